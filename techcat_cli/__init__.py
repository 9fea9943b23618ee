"""The `techcat` command: a thin front end over `techcat_core`."""

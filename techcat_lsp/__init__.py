"""The pygls language server over techcat_core."""

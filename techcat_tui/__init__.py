"""The full-screen Textual app over techcat_core."""

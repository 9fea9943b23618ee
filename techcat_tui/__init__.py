"""The full-screen Textual app over techcat_core: see, validate, run and commit a `.codex/` workspace live."""

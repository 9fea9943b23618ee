"""TechCat core: the `.codex/` workspace model, diagnostics, store, git and agent runtime.

Nothing in this package imports a user interface; the CLI, the TUI and the language server are thin
front ends over these functions.
"""

from __future__ import annotations

__version__ = "0.1.0"

"""How long a line a use-case takes: a summary, a checklist item, a role is one line a person reads, and a path is a
path. Longer is pasted text, refused with a sentence (and never echoed back whole by a front end)."""

from __future__ import annotations

MAX_LINE = 500  # characters of a summary, a checklist item's text, an agent's role or goal
MAX_PATH = 512  # characters of an output file or glob: far past any real repository path

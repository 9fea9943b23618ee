"""Where a file's repository is, found on the file system: the root every read of it is confined to.

Below the workspace loader, the config reader and Codex CLI's agent reader, which all need it, so none of them
imports another to find it (grimp keeps them apart: tests/test_core_layers.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from techcat_core.confine import probe

CODEX_DIR = ".codex"


def find_git_root(start: Path) -> Path | None:
    """The git top level containing `start`, found on the file system (no git process, no import)."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def repository_root(path: Path) -> Path:
    """The root a file's reads are confined to: its git top level, else the folder holding its `.codex/`."""
    start = Path(os.path.abspath(path)).parent
    git_root = find_git_root(start)
    if git_root is not None:
        return git_root
    for directory in (start, *start.parents):
        if directory.name == CODEX_DIR:
            return directory.parent
    return start


def folder_leads_out(folder: Path) -> bool:
    """Whether a folder of `.codex/` resolves outside its repository or into .git/ (then it is not walked)."""
    return os.path.lexists(folder) and probe(repository_root(folder), folder) is not None

"""The repository's files, for completing paths in `output_files` (walked lazily, cached briefly).

Names only, never contents; `.git` in any letter case is skipped, as the confinement rule (techcat_core.confine)
never reads or writes there, and symbolic links to folders are not followed out of the repository.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from techcat_core.confine import is_git_path

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
             "dist", "build", ".next", ".techcat", "target"}
MAX_FILES = 20_000
TTL = 10.0

_cache: dict[Path, tuple[float, list[str]]] = {}


def repository_files(root: Path) -> list[str]:
    """Repository-relative paths with forward slashes, skipping dependency and build folders."""
    now = time.monotonic()
    cached = _cache.get(root)
    if cached is not None and now - cached[0] < TTL:
        return cached[1]
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not is_git_path(d))
        relative = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        found.extend(prefix + name for name in sorted(filenames) if not is_git_path(name))  # a worktree's .git file
        if len(found) >= MAX_FILES:
            break
    _cache[root] = (now, found)
    return found

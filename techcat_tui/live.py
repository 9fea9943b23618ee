"""What the app watches: `.codex/` and the folders of the files the log names, through the core's one watcher.

The app subscribes to `techcat_core.watcher.watch_changes` (classified batches, no re-parse) rather than
`watch_workspace`: a full parse costs about half a second on a 100k-entry log, and the app puts an
appended row on screen within 300 ms by reading only the log's new end (see `log_tail`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from techcat_core.confine import is_git_path, normalise, path_problem


def output_folders(root: Path, codex_dir: Path, files: Iterable[str], limit: int = 200) -> list[Path]:
    """Existing folders of output files (pass newest first), so edits to those files refresh their previews."""
    folders: dict[Path, None] = {}
    resolved_root = root.resolve()
    codex = codex_dir.resolve()
    seen: set[str] = set()
    for name in files:
        if path_problem(name) or is_git_path(normalise(name)):
            continue  # the confinement rule (techcat_core.confine): never watch outside the repository or .git/
        lexical = normalise(name).rpartition("/")[0]
        if lexical in seen:
            continue
        seen.add(lexical)
        folder = Path(os.path.realpath(resolved_root / lexical))
        if folder in (resolved_root, codex) or folder in folders or codex in folder.parents:
            continue
        if resolved_root in folder.parents and not is_git_path(folder.relative_to(resolved_root).as_posix()) \
                and folder.is_dir():
            folders[folder] = None
            if len(folders) >= limit:
                break
    return list(folders)

"""Noticing changes on disk fast: paths and kinds only, classified and filtered by the core watcher's rules.

`techcat_core.watcher.watch_workspace` re-parses the whole workspace before it reports a change,
which costs about half a second on a 100k-entry log; the app needs to put an appended row on screen
within 300 ms, so it takes the raw batch here and decides itself what to re-read (see `log_tail`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from techcat_core.confine import is_git_path, normalise, path_problem
from techcat_core.watcher import ChangeKind, classify, is_ignored


@dataclass(frozen=True, slots=True)
class DiskChange:
    kinds: frozenset[ChangeKind]
    paths: tuple[Path, ...]

    def describe(self, root: Path) -> str:
        names = []
        for path in self.paths:
            try:
                names.append(path.relative_to(root).as_posix())
            except ValueError:
                names.append(path.name)
        shown = ", ".join(sorted(names)[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"{shown} changed on disk"


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


async def watch_changes(codex_dir: Path, folders: Sequence[Path], stop: asyncio.Event,
                        step_ms: int = 15) -> AsyncIterator[DiskChange]:
    """One `DiskChange` per burst of writes under `.codex/` or in `folders`, until `stop` is set."""
    from watchfiles import awatch

    codex_dir = codex_dir.resolve()

    def wanted(_change: object, raw: str) -> bool:
        return not is_ignored(Path(raw))

    async for changes in awatch(codex_dir, *folders, watch_filter=wanted, step=step_ms, debounce=400,
                                stop_event=stop, recursive=True, rust_timeout=500, yield_on_timeout=False):
        paths = tuple(sorted({Path(raw) for _, raw in changes}))
        if paths:
            yield DiskChange(frozenset(classify(path, codex_dir) for path in paths), paths)

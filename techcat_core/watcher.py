"""Watching a workspace: debounced, typed change events, each carrying a freshly parsed snapshot.

The TUI, the language server and `techcat watch` subscribe here rather than each watching files
their own way. Atomic saves show up as "added" rather than "modified"; both count as a change. The
store's own temp, lock and cache files are ignored.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from techcat_core.atomic import TEMP_PREFIX
from techcat_core.workspace import AGENTS, ARCHITECTURE, CONFIG, PRD, PROPOSED, TASK_LOG, Workspace, load_workspace


class ChangeKind(enum.Enum):
    TASK_LOG = "task log"
    ROSTER = "roster"
    PROPOSED = "proposed tasks"
    DOCUMENT = "document"
    PROMPT = "prompt"
    TEMPLATE = "template"
    CONFIG = "config"
    CUSTOM_AGENT = "custom agent"
    OUTPUT_FILE = "output file"
    OTHER = "other"


_BY_NAME = {TASK_LOG: ChangeKind.TASK_LOG, AGENTS: ChangeKind.ROSTER, PROPOSED: ChangeKind.PROPOSED,
            PRD: ChangeKind.DOCUMENT, ARCHITECTURE: ChangeKind.DOCUMENT, CONFIG: ChangeKind.CONFIG}


@dataclass(frozen=True, slots=True)
class WorkspaceChanged:
    """One debounced batch of changes and the workspace as it is after them."""

    kinds: frozenset[ChangeKind]
    paths: tuple[Path, ...]
    workspace: Workspace

    def describe(self) -> str:
        names = sorted({p.name for p in self.paths})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"{shown} changed on disk"


def is_ignored(path: Path) -> bool:
    """The store's and editors' scratch files: never a change worth reporting."""
    name = path.name
    return (name.startswith(TEMP_PREFIX) or ".techcat" in path.parts or name.endswith((".lock", "~", ".swp",
                                                                                          ".swx", ".tmp"))
            or name.startswith(".#") or name == "4913")


def classify(path: Path, codex_dir: Path) -> ChangeKind:
    try:
        relative = path.relative_to(codex_dir)
    except ValueError:
        return ChangeKind.OUTPUT_FILE
    if len(relative.parts) == 1:
        return _BY_NAME.get(relative.name, ChangeKind.OTHER)
    top = relative.parts[0]
    return {"prompts": ChangeKind.PROMPT, "templates": ChangeKind.TEMPLATE,
            "agents": ChangeKind.CUSTOM_AGENT}.get(top, ChangeKind.OTHER)


def _output_dirs(ws: Workspace, limit: int = 200) -> list[Path]:
    """Existing folders of the files the log names, so edits to those files refresh previews."""
    if ws.task_log is None:
        return []
    dirs: dict[Path, None] = {}
    for entry in reversed(ws.task_log.entries):
        for name in entry.output_files:
            folder = (ws.root / name).parent
            if folder.is_dir() and ws.root in (folder, *folder.parents) and folder != ws.root:
                dirs.setdefault(folder, None)
                if len(dirs) >= limit:
                    return list(dirs)
    return list(dirs)


async def watch_workspace(codex_dir: Path, *, debounce_ms: int = 50, stop: asyncio.Event | None = None,
                          include_outputs: bool = True) -> AsyncIterator[WorkspaceChanged]:
    """Yield one `WorkspaceChanged` per burst of edits, until `stop` is set."""
    from watchfiles import awatch

    codex_dir = codex_dir.resolve()
    ws = load_workspace(codex_dir)
    outputs = {p.resolve() for p in _output_dirs(ws)} if include_outputs else set()
    logged = {(ws.root / name).resolve() for e in (ws.task_log.entries if ws.task_log else [])
              for name in e.output_files} if include_outputs else set()
    watched = [codex_dir, *sorted(outputs)]

    def wanted(_change: object, raw: str) -> bool:
        path = Path(raw)
        if is_ignored(path):
            return False
        return codex_dir in path.parents or path in logged

    async for changes in awatch(*watched, watch_filter=wanted, step=debounce_ms, debounce=400,
                                stop_event=stop, recursive=True, rust_timeout=1000, yield_on_timeout=False):
        paths = tuple(sorted({Path(raw) for _, raw in changes}))
        if not paths:
            continue
        kinds = frozenset(classify(path, codex_dir) for path in paths)
        snapshot = await asyncio.to_thread(load_workspace, codex_dir)
        if include_outputs and ChangeKind.TASK_LOG in kinds and snapshot.task_log is not None:
            logged.clear()
            logged.update((snapshot.root / name).resolve() for e in snapshot.task_log.entries
                          for name in e.output_files)
        yield WorkspaceChanged(kinds, paths, snapshot)

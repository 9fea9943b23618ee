"""The one file watcher: debounced batches of classified changes, for every front end to subscribe to.

`watch_changes` reports what changed (which kind of file, added / modified / deleted) and nothing more,
so a front end that keeps its own parse (the TUI's tail reader, the language server's incremental
checker) re-reads only what it needs. `watch_workspace` adds a freshly parsed workspace to each batch,
for callers that want the whole picture (`techcat watch`). Atomic saves show up as "added" rather than
"modified"; both count as a change. The store's own temp, lock and cache files are ignored.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from techcat_core.atomic import TEMP_PREFIX
from techcat_core.workspace import AGENTS, ARCHITECTURE, CONFIG, PRD, PROPOSED, TASK_LOG, Workspace, load_workspace


class ChangeKind(enum.Enum):
    """Which kind of file changed: decides what a subscriber re-reads."""

    TASK_LOG = "task log"
    ROSTER = "roster"
    PROPOSED = "proposed tasks"
    PRD = "prd"
    ARCHITECTURE = "architecture"
    PROMPT = "prompt"
    TEMPLATE = "template"
    CONFIG = "config"
    CUSTOM_AGENT = "custom agent"
    OUTPUT_FILE = "output file"
    OTHER = "other"


class ChangeAction(enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


_BY_NAME = {TASK_LOG: ChangeKind.TASK_LOG, AGENTS: ChangeKind.ROSTER, PROPOSED: ChangeKind.PROPOSED,
            PRD: ChangeKind.PRD, ARCHITECTURE: ChangeKind.ARCHITECTURE, CONFIG: ChangeKind.CONFIG}


@dataclass(frozen=True, slots=True)
class PathChange:
    """One file that changed in a batch: where, what kind of file, and how."""

    path: Path
    kind: ChangeKind
    action: ChangeAction


def _describe(paths: Iterable[Path], root: Path | None) -> str:
    names = []
    for path in paths:
        try:
            names.append(path.relative_to(root).as_posix() if root is not None else path.name)
        except ValueError:
            names.append(path.name)
    names = sorted(set(names))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown} changed on disk"


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """One debounced burst of changes, each path once, sorted by path."""

    changes: tuple[PathChange, ...]

    @property
    def kinds(self) -> frozenset[ChangeKind]:
        return frozenset(change.kind for change in self.changes)

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(change.path for change in self.changes)

    def of_kind(self, *kinds: ChangeKind) -> tuple[PathChange, ...]:
        return tuple(change for change in self.changes if change.kind in kinds)

    def describe(self, root: Path | None = None) -> str:
        """"PROPOSED-TASKS.md changed on disk": names relative to `root` when given, else file names."""
        return _describe(self.paths, root)


@dataclass(frozen=True, slots=True)
class WorkspaceChanged:
    """One debounced batch of changes and the workspace as it is after them."""

    batch: ChangeBatch
    workspace: Workspace

    @property
    def kinds(self) -> frozenset[ChangeKind]:
        return self.batch.kinds

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.batch.paths

    def describe(self) -> str:
        return self.batch.describe()


def is_ignored(path: Path) -> bool:
    """The store's and editors' scratch files: never a change worth reporting."""
    name = path.name
    return (name.startswith(TEMP_PREFIX) or ".techcat" in path.parts or name.endswith((".lock", "~", ".swp",
                                                                                          ".swx", ".tmp"))
            or name.startswith(".#") or name == "4913")


def classify(path: Path, codex_dir: Path) -> ChangeKind:
    """The kind of file `path` is, relative to the workspace's `.codex/` folder (outside it: an output file)."""
    try:
        relative = path.relative_to(codex_dir)
    except ValueError:
        return ChangeKind.OUTPUT_FILE
    if not relative.parts:
        return ChangeKind.OTHER  # the folder itself (removed, or replaced)
    if len(relative.parts) == 1:
        return _BY_NAME.get(relative.name, ChangeKind.OTHER)
    top = relative.parts[0]
    return {"prompts": ChangeKind.PROMPT, "templates": ChangeKind.TEMPLATE,
            "agents": ChangeKind.CUSTOM_AGENT}.get(top, ChangeKind.OTHER)


_ACTIONS = {1: ChangeAction.ADDED, 2: ChangeAction.MODIFIED, 3: ChangeAction.DELETED}  # watchfiles.Change values


def classify_batch(raw: Iterable[tuple[int, str]], codex_dir: Path) -> ChangeBatch:
    """Raw (action, path) pairs of one burst as one classified batch: a path deleted and created again within
    the burst (an atomic replace by another tool) counts as modified."""
    seen: dict[Path, list[ChangeAction]] = {}
    for action, raw_path in raw:
        seen.setdefault(Path(raw_path), []).append(_ACTIONS.get(int(action), ChangeAction.MODIFIED))
    changes = []
    for path in sorted(seen):
        actions = seen[path]
        last = actions[-1]
        if last is ChangeAction.ADDED and ChangeAction.DELETED in actions:
            last = ChangeAction.MODIFIED
        elif last is ChangeAction.MODIFIED and actions[0] is ChangeAction.ADDED:
            last = ChangeAction.ADDED
        changes.append(PathChange(path, classify(path, codex_dir), last))
    return ChangeBatch(tuple(changes))


async def watch_changes(codex_dir: Path, folders: Sequence[Path] = (), *, stop: asyncio.Event | None = None,
                        ready: asyncio.Event | None = None, wanted: Callable[[Path], bool] | None = None,
                        debounce_ms: int = 400, step_ms: int = 50,
                        poll_ms: int = 500) -> AsyncIterator[ChangeBatch]:
    """Yield one `ChangeBatch` per burst of writes under `codex_dir` or in `folders`, until `stop` is set.

    `ready` is set once the operating system's watch is in place: a change made after that is reported
    (tests and callers wait for it instead of sleeping). `wanted` narrows what is reported beyond the
    scratch files every subscriber ignores. `poll_ms` is how often the watch thread looks at `stop`."""
    from watchfiles import awatch

    codex_dir = codex_dir.resolve()
    watched = [codex_dir, *(folder for folder in folders if folder.is_dir())]

    def keep(_change: object, raw: str) -> bool:
        path = Path(raw)
        return not is_ignored(path) and (wanted is None or wanted(path))

    # yield_on_timeout: the first (empty) yield proves the watch loop is running, which is what `ready` means
    async for raw in awatch(*watched, watch_filter=keep, step=step_ms, debounce=debounce_ms, stop_event=stop,
                            recursive=True, rust_timeout=poll_ms, yield_on_timeout=True):
        if ready is not None and not ready.is_set():
            ready.set()
        if raw:
            batch = classify_batch(((int(action), path) for action, path in raw), codex_dir)
            if batch.changes:
                yield batch


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
                          include_outputs: bool = True,
                          ready: asyncio.Event | None = None) -> AsyncIterator[WorkspaceChanged]:
    """Yield one `WorkspaceChanged` per burst of edits, until `stop` is set: `watch_changes` plus a fresh parse.

    `debounce_ms` is how long the watcher waits for the next write of a burst."""
    codex_dir = codex_dir.resolve()
    ws = load_workspace(codex_dir)
    outputs = {p.resolve() for p in _output_dirs(ws)} if include_outputs else set()
    logged = {(ws.root / name).resolve() for e in (ws.task_log.entries if ws.task_log else [])
              for name in e.output_files} if include_outputs else set()

    def wanted(path: Path) -> bool:
        return codex_dir in path.parents or path in logged

    async for batch in watch_changes(codex_dir, sorted(outputs), stop=stop, ready=ready, wanted=wanted,
                                     step_ms=debounce_ms, poll_ms=1000):
        snapshot = await asyncio.to_thread(load_workspace, codex_dir)
        if include_outputs and ChangeKind.TASK_LOG in batch.kinds and snapshot.task_log is not None:
            logged.clear()
            logged.update((snapshot.root / name).resolve() for e in snapshot.task_log.entries
                          for name in e.output_files)
        yield WorkspaceChanged(batch, snapshot)

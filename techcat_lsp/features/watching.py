"""Files that change on disk: through the client's file watcher when it has one, else the core's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types as lsp

from techcat_lsp.documents import uri_to_path
from techcat_lsp.features.diagnostics import publisher, refresh_history
from techcat_lsp.guard import guarded
from techcat_lsp.server import Service, TechcatServer
from techcat_lsp.state import WorkspaceState

logger = logging.getLogger("techcat_lsp")
WATCH_GLOB = "**/.codex/**"
OUTPUT_POLL_SECONDS = 3.0


def on_disk_change(ls: TechcatServer, paths: Iterable[Path]) -> None:
    """Files changed on disk; open documents are left alone (the editor's buffer is what counts)."""
    touched: set[WorkspaceState] = set()
    for path in paths:
        if ls.docs.by_path(path) is not None:
            continue
        states = [s for s in ls.states.values() if s.owns(path) or s.root in path.parents]
        for state in states:
            state.changed(path, on_disk=True)
            touched.add(state)
            if path == state.log_path:
                refresh_history(ls, state)
    if touched:
        publisher(ls).schedule()


async def _watch(ls: TechcatServer, state: WorkspaceState, stop: asyncio.Event, ready: asyncio.Event) -> None:
    """The core's one watcher (`watch_changes`: classified, debounced batches for `.codex/`), subscribed to.

    Not `watch_workspace`: it re-reads and re-parses the whole workspace on start and after every change
    (seconds, and a second copy in memory, for a 40 MB log), while the server keeps its own incremental
    parse and only needs to know which files changed.
    """
    from techcat_core.watcher import watch_changes

    try:
        async for batch in watch_changes(state.codex_dir, stop=stop, ready=ready, debounce_ms=200, poll_ms=1000):
            on_disk_change(ls, sorted({change.path.resolve() for change in batch.changes}))
    except asyncio.CancelledError:
        raise
    except Exception:  # a watcher that dies leaves the server running without live disk updates
        logger.exception("watching %s stopped", state.codex_dir)


def _changed_outputs(root: Path, known: dict[str, bool]) -> list[str]:
    return [name for name, existed in known.items() if os.path.exists(os.path.join(root, name)) != existed]


async def poll_output_files(ls: TechcatServer, interval: float = OUTPUT_POLL_SECONDS) -> None:
    """Notice output files created or deleted anywhere in the repository (TC114), without watching it all.

    Only the paths the log names are looked at, a few thousand stat calls in a worker thread.
    """
    while True:
        await asyncio.sleep(interval)
        for state in list(ls.states.values()):
            known = state.log_source.checker.known_paths()
            if not known:
                continue
            try:
                changed = await asyncio.to_thread(_changed_outputs, state.root, known)
            except OSError:
                continue
            if changed:
                state.outputs_changed(changed)
                publisher(ls).schedule()


class Watchers(Service):
    """The server's own watching: a watcher per workspace (when the client does not watch) and the output poll."""

    def __init__(self, ls: TechcatServer) -> None:
        super().__init__(ls)
        self.tasks: dict[Path, asyncio.Task[None]] = {}
        self.stops: dict[Path, asyncio.Event] = {}
        self.ready: dict[Path, asyncio.Event] = {}  # set once the watch is in place
        self.output_poll: asyncio.Task[None] | None = None
        self.cache_save: asyncio.Task[None] | None = None

    def start(self, state: WorkspaceState) -> None:
        if self.ls.watch_support or state.codex_dir in self.tasks:
            return
        stop = self.stops[state.codex_dir] = asyncio.Event()
        ready = self.ready[state.codex_dir] = asyncio.Event()
        self.tasks[state.codex_dir] = asyncio.ensure_future(_watch(self.ls, state, stop, ready))

    def stop(self) -> None:
        for task in (self.output_poll, self.cache_save):
            if task is not None:
                task.cancel()
        for stop in self.stops.values():
            stop.set()
        for task in self.tasks.values():
            task.cancel()


async def _save_code_cache() -> None:
    """After the first diagnostics: what this start compiled, for the next start (see code_cache.py)."""
    from techcat_lsp import code_cache

    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(0.5)
        await code_cache.save()


def start_core_watcher(ls: TechcatServer, state: WorkspaceState) -> None:
    ls.service(Watchers).start(state)


def stop_core_watchers(ls: TechcatServer) -> None:
    ls.service(Watchers).stop()


def register(server: TechcatServer) -> None:
    server.state_listeners.append(lambda state: _on_new_state(server, state))

    @server.feature(lsp.INITIALIZED)
    @guarded()
    async def initialized(ls: TechcatServer, params: lsp.InitializedParams) -> None:
        if ls.watch_support:
            with contextlib.suppress(Exception):
                await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                    id="techcat-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[lsp.FileSystemWatcher(glob_pattern=WATCH_GLOB)]))]))
        ls.discover()  # each new workspace starts its watcher and its git history check
        publisher(ls).schedule(delay=0)
        ls.service(Watchers).output_poll = asyncio.ensure_future(poll_output_files(ls))
        ls.service(Watchers).cache_save = asyncio.ensure_future(_save_code_cache())

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded()
    def did_change_watched_files(ls: TechcatServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        on_disk_change(ls, [p for change in params.changes if (p := uri_to_path(change.uri)) is not None])

    @server.feature(lsp.SHUTDOWN)
    @guarded()
    async def shutdown(ls: TechcatServer, params: None) -> None:
        stop_core_watchers(ls)
        from techcat_lsp import code_cache

        await code_cache.save()


def _on_new_state(ls: TechcatServer, state: WorkspaceState) -> None:
    """A workspace seen for the first time (a root folder, or the folder of a document opened later)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    start_core_watcher(ls, state)
    refresh_history(ls, state)

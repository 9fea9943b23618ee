"""`techcat watch`: run every `[>]` item of PROPOSED-TASKS.md, one at a time, as users mark them.

Marking an item `[>]` (in an editor, the TUI, the language server, or an MCP client) is the one
way every surface queues work. A malformed file yields a diagnostic message, never a dead daemon.
Each item is claimed (`techcat_core.runtime.claims`) before it runs and released only after it is
ticked or set back, so several daemons and `run --proposed` on one workspace run each item once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from techcat_core.confine import Refused
from techcat_core.proposed import STATE_QUEUED, ProposedItem
from techcat_core.runtime.claims import DEFAULT_LEASE, LocalClaims, held, item_open
from techcat_core.runtime.events import RunEvent, RunFailed, RunFinished
from techcat_core.runtime.runner import RunRequest, run_agent
from techcat_core.watcher import ChangeKind, watch_workspace
from techcat_core.workspace import PROPOSED, Workspace, load_workspace, locate_workspace

POLL_SECONDS = 1.0


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def queued_items(ws: Workspace) -> list[ProposedItem]:
    return [item for item in (ws.proposed.items if ws.proposed else []) if item.state == STATE_QUEUED]


def _warm_up() -> None:
    with contextlib.suppress(ImportError):
        import openai  # noqa: F401


def _problems(ws: Workspace) -> list[str]:
    """The checklist's errors (the engine's own rules, without checking the whole, maybe huge, log)."""
    from techcat_core.rules import proposed_rules, workspace_rules
    from techcat_core.tasklog.rules import iter_task_ids

    path = ws.path(PROPOSED)
    task_ids = set(iter_task_ids(ws.task_log)) if ws.task_log is not None else set()
    found = [d for d in workspace_rules(ws) if d.path == path] + proposed_rules(ws, task_ids)
    return [f"{path.name}:{d.range.start.line + 1}:{d.range.start.character + 1}: {d.code} {d.message}"
            for d in sorted(found, key=lambda d: d.sort_key()) if d.severity.label == "error"]


async def _until(event: asyncio.Event, stop: asyncio.Event) -> None:
    """Wait for `event` or `stop`, whichever is set first."""
    waiter = asyncio.ensure_future(event.wait())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        stopper.cancel()


async def watch_and_run(codex_dir: Path, stop: asyncio.Event, *, provider: str | None = None,
                        model: str | None = None, base_url: str | None = None,
                        commit: bool = False) -> AsyncIterator[RunEvent | str]:
    """Yield run events and one-line notes until `stop` is set."""
    from techcat_core.proposed_edit import ProposedEditError, set_item_state

    try:  # before resolving: a `.codex` linked out of its repository is refused whole
        codex_dir = locate_workspace(codex_dir).codex_dir
    except Refused as error:
        yield f"techcat watch: {error}; nothing will run"
        return
    failed: set[str] = set()
    wake = asyncio.Event()
    wake.set()  # the first pass picks up items queued before the daemon started

    watching = asyncio.Event()  # set once the file watcher's watch is in place (or it could not start)

    async def listen() -> None:
        try:
            async for event in watch_workspace(codex_dir, stop=stop, include_outputs=False, ready=watching):
                if ChangeKind.PROPOSED in event.kinds or ChangeKind.ROSTER in event.kinds:
                    wake.set()
        finally:  # a watcher that failed to start leaves the poll; the daemon still says it is watching
            watching.set()

    async def poll() -> None:
        """A change the file watcher missed (one made while it started, or on a network disk) is seen too."""
        seen = _stamp(codex_dir / PROPOSED)
        while not stop.is_set():
            await asyncio.sleep(POLL_SECONDS)
            now = _stamp(codex_dir / PROPOSED)
            if now != seen:
                seen = now
                wake.set()

    listener = asyncio.create_task(listen())
    poller = asyncio.create_task(poll())
    claims = LocalClaims(codex_dir)
    told: set[str] = set()  # items another runner holds, said once
    announced = False
    try:
        # Import the model client now, not when the first item is marked: under load the import alone
        # takes over a second, and a user who marks an item expects the run to start at once.
        await asyncio.to_thread(_warm_up)
        while not stop.is_set():
            if not announced and not wake.is_set():
                # Only once the watch is in place: a user (or a test) that marks an item after this line
                # is seen by the watcher at once, not by the next poll.
                await _until(watching, stop)
                announced = True
                if stop.is_set():
                    break
                yield f"watching {codex_dir / PROPOSED} for [>] items (Ctrl+C to stop)"
            await _until(wake, stop)
            if stop.is_set():
                break
            wake.clear()
            ws = await asyncio.to_thread(load_workspace, codex_dir)
            for problem in await asyncio.to_thread(_problems, ws):
                yield f"! {problem}"
            for item in queued_items(ws):
                if stop.is_set():
                    break
                key = f"{item.number}:{item.text}"
                if key in failed:
                    continue
                if not item.agent:
                    failed.add(key)
                    yield f"! {PROPOSED}:{item.line + 1}: item {item.number} is queued but names no agent (@name)"
                    continue
                claim = await asyncio.to_thread(claims.claim, item.text)
                if claim is None:  # another runner has it; look again when its lease could have run out
                    if item.text not in told:
                        told.add(item.text)
                        holder = await asyncio.to_thread(claims.holder, item.text)
                        who = holder.describe() if holder else "another runner"
                        yield f"· item {item.number} is being run by {who}"
                    asyncio.get_running_loop().call_later(DEFAULT_LEASE / 2, wake.set)
                    continue
                async with held(claims, claim):
                    if not await asyncio.to_thread(item_open, codex_dir, item.text, True):
                        wake.set()  # another runner ticked it (or set it back) before we claimed it
                        break
                    yield f"▷ item {item.number}: @{item.agent} {item.title}"
                    request = RunRequest(agent=item.agent, task=item.title, provider=provider, model=model,
                                         base_url=base_url, commit=commit, proposed_item=item.number, claim=claim)
                    ok = False
                    try:
                        async for event in run_agent(codex_dir, request):
                            if isinstance(event, RunFinished) and event.agent == item.agent and event.entry:
                                ok = True
                            if isinstance(event, RunFailed):
                                ok = False
                            yield event
                    except asyncio.CancelledError:
                        raise
                    except Exception as error:  # the daemon outlives any one run
                        ok = False
                        yield f"! item {item.number} stopped with an unexpected error: {error}"
                    if not ok:
                        failed.add(key)
                        try:  # still under the claim: no other runner picks it up before it is set back
                            await asyncio.to_thread(set_item_state, codex_dir, item.number, " ", None, item.text)
                            yield f"! item {item.number} failed; set back to [ ] so it is not retried in a loop"
                        except (ProposedEditError, OSError) as error:
                            yield f"! {error}"
                wake.set()  # look again: the file changed (ticked) and more may be queued
                break
    finally:
        for task in (listener, poller):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

"""Agent runs as commands: `techcat.runAgent` streams the runtime's events as work-done progress and
shows the result; `techcat.cancelRun` (or the progress's cancel button) stops a run, writing nothing."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from techcat_lsp.command_support import CommandError, relative, show, workspace_state
from techcat_lsp.features.diagnostics import publisher
from techcat_lsp.server import TechcatServer
from techcat_lsp.state import WorkspaceState

logger = logging.getLogger("techcat_lsp")
REPORT_EVERY = 0.2  # seconds between progress reports while text streams in


@dataclass
class Run:
    run_id: str
    agent: str
    task: str
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


def _runs(ls: TechcatServer) -> dict[str, Run]:
    runs: dict[str, Run] = ls.extensions.setdefault("runs", {})
    return runs


async def _ask_task(ls: TechcatServer, state: WorkspaceState, agent: str) -> tuple[str, int | None] | None:
    """No task given: offer the agent's open proposals to choose from."""
    analysis = state.analysis()
    items = [i for i in (analysis.proposed.items if analysis.proposed else []) if i.agent == agent and i.state != "x"]
    if not items:
        raise CommandError(f"{agent} needs a task: pass {{\"task\": \"...\"}} or propose one with @{agent} in "
                           "PROPOSED-TASKS.md")
    choices = {f"#{i.number} {i.title}"[:80]: i for i in items[:8]}
    answer = await ls.window_show_message_request_async(lsp.ShowMessageRequestParams(
        lsp.MessageType.Info, f"Run {agent} on which proposal?",
        [lsp.MessageActionItem(title) for title in choices]))
    if answer is None or answer.title not in choices:
        return None
    item = choices[answer.title]
    return item.title, item.number


class _Progress:
    """Work-done progress for one run, when the client supports it; cancelling it cancels the run."""

    def __init__(self, ls: TechcatServer, run: Run) -> None:
        self.ls = ls
        self.token = f"techcat-run-{run.run_id}"
        self.active = False
        self.run = run
        self._last = 0.0

    async def begin(self) -> None:
        if not self.ls.progress_support:
            return
        try:
            await self.ls.work_done_progress.create_async(self.token)
        except Exception:
            logger.warning("the client refused a progress token; running without progress")
            return
        self.active = True
        self.ls.work_done_progress.begin(self.token, lsp.WorkDoneProgressBegin(
            title=f"TechCat: {self.run.agent}", message=self.run.task[:120], cancellable=True, percentage=None))
        future = self.ls.work_done_progress.tokens.get(self.token)
        if future is not None:
            future.add_done_callback(lambda f: self.run.cancel.set() if f.cancelled() else None)

    def report(self, message: str, force: bool = True) -> None:
        now = time.monotonic()
        if not self.active or (not force and now - self._last < REPORT_EVERY):
            return
        self._last = now
        self.ls.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(message=message[:200]))

    def end(self, message: str) -> None:
        if self.active:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message[:200]))
            self.active = False
        self.ls.work_done_progress.tokens.pop(self.token, None)


async def run_agent_command(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    from techcat_core.runtime.events import (
        Chained,
        Committed,
        DryRun,
        FileWritten,
        Logged,
        Notice,
        Retrying,
        RunCancelled,
        RunFailed,
        RunFinished,
        RunStarted,
        TextDelta,
    )
    from techcat_core.runtime.runner import RunRequest, run_agent

    state = workspace_state(ls, spec)
    agent = spec.get("agent")
    if not isinstance(agent, str) or not agent:
        raise CommandError("techcat.runAgent needs {\"agent\": \"<name>\"}")
    task = spec.get("task")
    item = spec.get("proposedItem")
    if not isinstance(task, str) or not task.strip():
        chosen = await _ask_task(ls, state, agent)
        if chosen is None:
            return {"ok": False, "message": "no task chosen"}
        task, item = chosen
    run = Run(uuid.uuid4().hex[:8], agent, task)
    _runs(ls)[run.run_id] = run
    progress = _Progress(ls, run)
    await progress.begin()
    request = RunRequest(agent=agent, task=task, proposed_item=item if isinstance(item, int) else None,
                         cancel=run.cancel)
    received = 0
    outcome: dict[str, Any] = {"ok": False, "runId": run.run_id, "message": ""}
    written: list[Path] = []
    finished: Any = None
    notices: list[str] = []
    try:
        async for event in run_agent(state.codex_dir, request):
            if isinstance(event, RunStarted):
                progress.report(f"{event.agent}: {event.provider} {event.model}")
            elif isinstance(event, TextDelta):
                received += len(event.text)
                tail = event.text.strip().splitlines()[-1:] or [""]
                progress.report(f"{received} characters… {tail[0][:80]}", force=False)
            elif isinstance(event, Retrying):
                progress.report(f"retrying in {event.delay:.0f} s: {event.reason}")
            elif isinstance(event, DryRun):
                outcome["message"] = event.hint
            elif isinstance(event, FileWritten):
                written.append(event.path)
                progress.report(f"wrote {relative(state, event.path)}")
            elif isinstance(event, Logged):
                progress.report(f"logged {event.entry.get('task_id')}")
            elif isinstance(event, Chained):
                progress.report(f"{event.from_agent} hands off to {event.to_agent}")
            elif isinstance(event, Committed):
                progress.report(f"committed {event.sha[:8]}")
            elif isinstance(event, Notice):
                notices.append(event.message)
                progress.report(event.message)
            elif isinstance(event, RunFailed):
                outcome["message"] = event.message
                break
            elif isinstance(event, RunCancelled):
                outcome["message"] = f"{agent} was cancelled; nothing was written"
                outcome["cancelled"] = True
                break
            elif isinstance(event, RunFinished):
                finished = event
    finally:
        _runs(ls).pop(run.run_id, None)
        for path in [state.log_path, state.codex_dir / "PROPOSED-TASKS.md", *written]:
            state.changed(path, on_disk=True)
        publisher(ls).schedule()
    if finished is not None:
        entry = finished.entry or {}
        outcome["ok"] = True
        outcome["taskId"] = entry.get("task_id")
        outcome["files"] = [relative(state, p) for p in written]
        outcome["message"] = outcome["message"] or (
            f"{agent} finished: {entry.get('task_id', 'no entry')} logged, {len(written)} file"
            f"{'s' if len(written) != 1 else ''} written")
        if notices:
            outcome["message"] += " (" + "; ".join(notices) + ")"
    progress.end(outcome["message"])
    show(ls, outcome["message"], lsp.MessageType.Info if outcome["ok"] else (
        lsp.MessageType.Warning if outcome.get("cancelled") else lsp.MessageType.Error))
    return outcome


def cancel_runs(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    wanted = spec.get("runId")
    cancelled = []
    for run in list(_runs(ls).values()):
        if wanted in (None, run.run_id):
            run.cancel.set()
            cancelled.append(run.run_id)
    return {"ok": bool(cancelled), "cancelled": cancelled}



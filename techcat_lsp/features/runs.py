"""Agent runs as commands: `techcat.runAgent` streams the runtime's events as work-done progress (one per
agent of a chain), shows the result, and reviews the changes in the editor when asked (`review.py`);
`techcat.cancelRun` (or a progress's cancel button) stops a run, writing nothing."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from techcat_lsp.command_args import CancelRunArgs, RunAgentArgs
from techcat_lsp.command_support import CommandError, show, workspace_state
from techcat_lsp.features.diagnostics import publisher
from techcat_lsp.run_progress import AgentProgress
from techcat_lsp.server import Service, TechcatServer
from techcat_lsp.state import WorkspaceState


@dataclass
class Run:
    run_id: str
    agent: str
    task: str
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


class Runs(Service):
    """The runs in flight, by id (what `techcat.cancelRun` cancels)."""

    def __init__(self, ls: TechcatServer) -> None:
        super().__init__(ls)
        self.active: dict[str, Run] = {}


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


class _Reporter:
    """The run's events as progress (one per agent, see `run_progress`) and, at the end, the core's run summary
    (`RunSummarizer`: per agent of the chain, what it wrote, logged and ticked, and how it ended)."""

    def __init__(self, ls: TechcatServer, state: WorkspaceState, progress: AgentProgress, args: RunAgentArgs,
                 task: str, item: int | None) -> None:
        from techcat_core.runs.summary import RunSummarizer

        self.progress = progress
        self.summarizer = RunSummarizer(args.agent, task, item, root=state.root)
        self.written: list[Path] = []
        self.agent: str | None = None  # the agent running now
        self._received = 0

    async def feed(self, event: object) -> None:
        from techcat_core.runtime import events as ev

        line = self.summarizer.feed(event)
        match event:
            case ev.RunStarted(agent=agent, task=task):
                previous, self.agent, self._received = self.agent, agent, 0
                await self.progress.start(agent, task, f"{previous} hands off to {agent}" if previous else None)
            case ev.TextDelta(text=text):
                self._received += len(text)
                tail = text.strip().splitlines()[-1:] or [""]
                self.progress.report(f"{self._received} characters… {tail[0][:80]}", force=False)
                return
            case ev.ExecutorOutput(text=text):
                self.progress.report(text.strip()[:160], force=False)
                return
            case ev.FileWritten(path=path):
                self.written.append(path)
        if line is not None:  # the progress's title names the agent already
            self.progress.report(line.removeprefix(f"{self.agent}: ").removeprefix(f"{self.agent} "))


async def run_agent_command(ls: TechcatServer, args: RunAgentArgs) -> dict[str, Any]:
    from techcat_core.runtime.runner import RunRequest, run_agent
    from techcat_lsp.review import reviewer

    state = workspace_state(ls, args.location)
    agent = args.agent
    task, item = args.task, args.proposed_item
    if task is None or not task.strip():
        chosen = await _ask_task(ls, state, agent)
        if chosen is None:
            return {"ok": False, "message": "no task chosen"}
        task, item = chosen
    run = Run(uuid.uuid4().hex[:8], agent, task)
    runs = ls.service(Runs).active
    runs[run.run_id] = run
    progress = AgentProgress(ls, run.run_id, run.cancel)
    reporter = _Reporter(ls, state, progress, args, task, item)
    # The editor can always ask: every run is reviewed when `review` is true, else those `[review] agents` names.
    request = RunRequest(agent=agent, task=task, proposed_item=item, cancel=run.cancel,
                         review=reviewer(ls, state.root, lambda: reporter.agent or agent),
                         review_all=bool(args.review))
    try:
        async for event in run_agent(state.codex_dir, request):
            await reporter.feed(event)
    finally:
        runs.pop(run.run_id, None)
        for path in [state.log_path, state.codex_dir / "PROPOSED-TASKS.md", *reporter.written]:
            state.changed(path, on_disk=True)
        publisher(ls).schedule()
    summary = reporter.summarizer.summary()
    message = summary.message()
    outcome: dict[str, Any] = {
        "ok": summary.ok, "runId": run.run_id, "message": message, "outcome": summary.outcome,
        "taskId": summary.task_ids[0] if summary.task_ids else None, "files": list(summary.files),
        "agents": [{"agent": a.agent, "outcome": a.outcome, "taskId": a.task_id, "files": list(a.files)}
                   for a in summary.agents]}
    if summary.outcome == "cancelled":
        outcome["cancelled"] = True
    last = summary.agents[-1].line() if summary.agents else message
    progress.end(last if len(summary.agents) > 1 else message)
    show(ls, message, lsp.MessageType.Info if summary.ok else (
        lsp.MessageType.Warning if summary.outcome == "cancelled" else lsp.MessageType.Error))
    return outcome


def cancel_runs(ls: TechcatServer, args: CancelRunArgs) -> dict[str, Any]:
    cancelled = []
    for run in list(ls.service(Runs).active.values()):
        if args.run_id in (None, run.run_id):
            run.cancel.set()
            cancelled.append(run.run_id)
    return {"ok": bool(cancelled), "cancelled": cancelled}

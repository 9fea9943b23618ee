"""`workspace/executeCommand`: agent runs (streamed as work-done progress, cancellable), queueing a
proposal, logging the git changes as a task, applying every safe fix, opening an entry's files.
The command names and arguments are listed in `techcat_lsp.commands_api`."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from techcat_core.workspace import WorkspaceNotFound, find_codex_dir
from techcat_lsp.commands_api import CANCEL_RUN, FIX_ALL, LOG_FROM_GIT, OPEN_FILES, QUEUE_ITEM, RUN_AGENT
from techcat_lsp.convert import uri, workspace_edit
from techcat_lsp.documents import uri_to_path
from techcat_lsp.features.code_actions import non_overlapping
from techcat_lsp.features.diagnostics import publisher
from techcat_lsp.guard import guarded
from techcat_lsp.server import TechcatServer
from techcat_lsp.state import WorkspaceState

logger = logging.getLogger("techcat_lsp")
REPORT_EVERY = 0.2  # seconds between progress reports while text streams in


class CommandError(Exception):
    """A command cannot run; the message is shown to the user as is."""


@dataclass
class Run:
    run_id: str
    agent: str
    task: str
    cancel: asyncio.Event = field(default_factory=asyncio.Event)


def _spec(args: tuple[Any, ...]) -> dict[str, Any]:
    return args[0] if args and isinstance(args[0], dict) else {}


def _state(ls: TechcatServer, spec: dict[str, Any]) -> WorkspaceState:
    where = spec.get("workspace") or spec.get("uri")
    if not isinstance(where, str) or not where:
        states = list(ls.states.values()) or ls.discover()
        if len(states) == 1:
            return states[0]
        raise CommandError("say which workspace: pass {\"workspace\": \"<path to .codex>\"}")
    path = uri_to_path(where) if where.startswith("file:") else Path(where).resolve()
    if path is None:
        raise CommandError(f"{where} is not a file path or file: URI")
    state = ls.state_for_path(path if path.name != ".codex" else path / "AGENTS.md")
    if state is None:
        try:
            state = ls.state_for_path(find_codex_dir(path if path.is_dir() else path.parent) / "AGENTS.md")
        except (WorkspaceNotFound, OSError):
            state = None
    if state is None:
        raise CommandError(f"no .codex/ workspace at {where}")
    return state


def _runs(ls: TechcatServer) -> dict[str, Run]:
    runs: dict[str, Run] = ls.extensions.setdefault("runs", {})
    return runs


def _message(ls: TechcatServer, text: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
    ls.window_show_message(lsp.ShowMessageParams(kind, text))


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
        Retrying,
        RunCancelled,
        RunFailed,
        RunFinished,
        RunStarted,
        TextDelta,
    )
    from techcat_core.runtime.runner import RunRequest, run_agent

    state = _state(ls, spec)
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
                progress.report(f"wrote {_relative(state, event.path)}")
            elif isinstance(event, Logged):
                progress.report(f"logged {event.entry.get('task_id')}")
            elif isinstance(event, Chained):
                progress.report(f"{event.from_agent} hands off to {event.to_agent}")
            elif isinstance(event, Committed):
                progress.report(f"committed {event.sha[:8]}")
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
        outcome["files"] = [_relative(state, p) for p in written]
        outcome["message"] = outcome["message"] or (
            f"{agent} finished: {entry.get('task_id', 'no entry')} logged, {len(written)} file"
            f"{'s' if len(written) != 1 else ''} written")
    progress.end(outcome["message"])
    _message(ls, outcome["message"], lsp.MessageType.Info if outcome["ok"] else (
        lsp.MessageType.Warning if outcome.get("cancelled") else lsp.MessageType.Error))
    return outcome


def _relative(state: WorkspaceState, path: Path) -> str:
    try:
        return path.resolve().relative_to(state.root).as_posix()
    except ValueError:
        return str(path)


def cancel_runs(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    wanted = spec.get("runId")
    cancelled = []
    for run in list(_runs(ls).values()):
        if wanted in (None, run.run_id):
            run.cancel.set()
            cancelled.append(run.run_id)
    return {"ok": bool(cancelled), "cancelled": cancelled}


async def queue_item(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    state = _state(ls, spec)
    number = spec.get("number")
    if not isinstance(number, int):
        raise CommandError("techcat.queueItem needs {\"number\": <item number>}")
    path = state.codex_dir / "PROPOSED-TASKS.md"
    doc = ls.docs.by_path(path)
    if doc is None:  # not open: change the file itself, under the core's lock
        from techcat_core.proposed_edit import ProposedEditError, set_item_state

        try:
            set_item_state(state.codex_dir, number, ">")
        except ProposedEditError as error:
            raise CommandError(str(error)) from None
        state.changed(path, on_disk=True)
        publisher(ls).schedule()
        return {"ok": True}
    analysis = state.analysis()
    item = analysis.proposed.item(number) if analysis.proposed else None
    encoder = analysis.encoder(path, ls.encoding)
    if item is None:
        raise CommandError(f"PROPOSED-TASKS.md has no item {number}")
    result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(
        lsp.WorkspaceEdit(changes={uri(path): [lsp.TextEdit(encoder.range(item.mark_range), ">")]}),
        label=f"Queue item {number}"))
    return {"ok": bool(result.applied)}


async def log_from_git(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    from techcat_core.gitops import GitProblem, changed_since
    from techcat_core.tasklog.store import STATE_DIR, StoreError, append_entry

    state = _state(ls, spec)
    try:
        files = await asyncio.to_thread(changed_since, state.root, "HEAD")
    except GitProblem as error:
        raise CommandError(f"cannot read the git changes: {error}") from None
    codex = _relative(state, state.codex_dir)
    files = [f for f in files if f != f"{codex}/TASK-LOG.json" and not f.startswith(f"{codex}/{STATE_DIR}/")]
    if not files:
        _message(ls, "No uncommitted changes to log.")
        return {"ok": False, "message": "no changes"}
    agent = spec.get("agent") if isinstance(spec.get("agent"), str) else "task_logger"
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    summary = spec.get("summary") if isinstance(spec.get("summary"), str) else f"Changed {shown}"
    doc = ls.docs.by_path(state.log_path)
    if doc is not None:  # the log is open: add the entry to the buffer, where the user sees and saves it
        return await _append_to_buffer(ls, state, str(agent), str(summary), files)
    try:
        entry = await asyncio.to_thread(append_entry, state.codex_dir, str(agent), str(summary), files)
    except StoreError as error:
        raise CommandError(str(error)) from None
    state.changed(state.log_path, on_disk=True)
    publisher(ls).schedule()
    _message(ls, f"Logged {entry['task_id']}: {len(files)} changed file{'s' if len(files) != 1 else ''}")
    return {"ok": True, "taskId": entry["task_id"], "files": files}


async def _append_to_buffer(ls: TechcatServer, state: WorkspaceState, agent: str, summary: str,
                            files: list[str]) -> dict[str, Any]:
    from techcat_core.tasklog.ids import next_task_id
    from techcat_core.tasklog.render import detect_style, insertion, render_entry

    analysis = state.analysis()
    log = analysis.log
    encoder = analysis.encoder(state.log_path, ls.encoding)
    if log is None or (not log.valid and log.top_level != "empty"):
        raise CommandError("TASK-LOG.json has JSON errors; fix them first (see the problems list)")
    entry = {"task_id": next_task_id(e.task_id for e in log.entries), "agent": agent,
             "date": dt.date.today().isoformat(), "summary": summary, "output_files": files}
    style = detect_style(log)
    start, end, text = insertion(log, [render_entry(entry, style)], style)
    result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(lsp.WorkspaceEdit(
        changes={uri(state.log_path): [lsp.TextEdit(encoder.offset_range(start, end), text)]}),
        label=f"Log {entry['task_id']}"))
    return {"ok": bool(result.applied), "taskId": entry["task_id"], "files": files}


async def fix_all_command(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    target = spec.get("uri")
    found = ls.analysis_for(target) if isinstance(target, str) else None
    if found is None:
        raise CommandError("techcat.fixAll needs {\"uri\": \"<document>\"} inside a .codex/ folder")
    analysis, path = found
    safe = non_overlapping([d.fixes[0] for d in analysis.diagnostics.get(path, []) if d.fixes and d.fixes[0].safe])
    if not safe:
        return {"ok": True, "fixed": 0}
    result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(
        workspace_edit(safe, analysis, ls.encoding), label="Fix all safe problems"))
    return {"ok": bool(result.applied), "fixed": len(safe)}


async def open_files(ls: TechcatServer, spec: dict[str, Any]) -> dict[str, Any]:
    from techcat_lsp.preview import inside

    state = _state(ls, spec)
    files = [f for f in spec.get("files") or [] if isinstance(f, str)]
    opened: list[str] = []
    for name in files[:10]:
        target = inside(state.root, name)
        if target is None or not target.is_file():
            continue
        if ls.show_document_support:
            await ls.window_show_document_async(lsp.ShowDocumentParams(uri(target), take_focus=not opened))
        opened.append(name)
    if not ls.show_document_support and files:
        _message(ls, "Files: " + ", ".join(files))
    return {"ok": True, "opened": opened}


def _command(name: str, server: TechcatServer, action: Any) -> None:
    @server.command(name)
    @guarded({"ok": False, "message": "internal error; see the server log"})
    async def handler(ls: TechcatServer, *args: Any) -> dict[str, Any]:
        try:
            result = action(ls, _spec(args))
            if asyncio.iscoroutine(result):
                result = await result
            assert isinstance(result, dict)
            return result
        except CommandError as error:
            _message(ls, str(error), lsp.MessageType.Error)
            return {"ok": False, "message": str(error)}


def register(server: TechcatServer) -> None:
    for name, action in ((RUN_AGENT, run_agent_command), (CANCEL_RUN, cancel_runs), (QUEUE_ITEM, queue_item),
                         (LOG_FROM_GIT, log_from_git), (FIX_ALL, fix_all_command), (OPEN_FILES, open_files)):
        _command(name, server, action)

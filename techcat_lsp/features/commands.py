"""`workspace/executeCommand`: every command the server advertises (listed in `techcat_lsp.commands_api`).
Agent runs live in `runs.py`; here are queueing a proposal, logging the git changes as a task, applying
every safe fix and opening an entry's files."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types as lsp

from techcat_lsp.command_args import (
    AddAgentArgs,
    CancelRunArgs,
    FixAllArgs,
    LogFromGitArgs,
    OpenFilesArgs,
    QueueItemArgs,
    RunAgentArgs,
    parse,
)
from techcat_lsp.command_support import CommandError, show, workspace_state
from techcat_lsp.commands_api import ADD_AGENT, CANCEL_RUN, FIX_ALL, LOG_FROM_GIT, OPEN_FILES, QUEUE_ITEM, RUN_AGENT
from techcat_lsp.convert import uri, workspace_edit
from techcat_lsp.features.add_agent import add_agent_command
from techcat_lsp.features.code_actions import non_overlapping
from techcat_lsp.features.diagnostics import publisher
from techcat_lsp.features.runs import cancel_runs, run_agent_command
from techcat_lsp.guard import guarded
from techcat_lsp.server import TechcatServer
from techcat_lsp.state import WorkspaceState

if TYPE_CHECKING:
    from techcat_core.usecases.log_task import PreparedLog


async def queue_item(ls: TechcatServer, args: QueueItemArgs) -> dict[str, Any]:
    state = workspace_state(ls, args.location)
    number = args.number
    path = state.codex_dir / "PROPOSED-TASKS.md"
    doc = ls.docs.by_path(path)
    if doc is None:  # not open: the core's queue use-case changes the file, under its lock
        from techcat_core.usecases.errors import UseCaseError
        from techcat_core.usecases.proposed_items import queue

        try:
            await asyncio.to_thread(queue, state.codex_dir, number)
        except UseCaseError as error:
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


async def log_from_git(ls: TechcatServer, args: LogFromGitArgs) -> dict[str, Any]:
    """Log the uncommitted changes through the core's log-task use-case (its rules: a known agent, one line)."""
    from techcat_core.usecases.errors import UseCaseError
    from techcat_core.usecases.loading import roster_workspace
    from techcat_core.usecases.log_task import LogRequest, log_task, output_files, prepare_log

    state = workspace_state(ls, args.location)
    try:
        ws = await asyncio.to_thread(roster_workspace, state.codex_dir)
        files, _ = await asyncio.to_thread(output_files, ws, [], "HEAD")
    except UseCaseError as error:
        raise CommandError(f"cannot read the git changes: {error}") from None
    if not files:
        show(ls, "No uncommitted changes to log.")
        return {"ok": False, "message": "no changes"}
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    request = LogRequest(agent=args.agent or "task_logger", summary=args.summary or f"Changed {shown}",
                         output_files=tuple(files))
    try:
        if ls.docs.by_path(state.log_path) is not None:
            # the log is open: the entry goes into the buffer, where the user sees and saves it
            return await _append_to_buffer(ls, state, prepare_log(ws, request))
        logged = await asyncio.to_thread(log_task, state.codex_dir, request)
    except UseCaseError as error:
        raise CommandError(str(error)) from None
    state.changed(state.log_path, on_disk=True)
    publisher(ls).schedule()
    count = len(logged.entry.output_files)
    show(ls, f"Logged {logged.entry.task_id}: {count} changed file{'s' if count != 1 else ''}")
    return {"ok": True, "taskId": logged.entry.task_id, "files": list(logged.entry.output_files)}


async def _append_to_buffer(ls: TechcatServer, state: WorkspaceState, prepared: PreparedLog) -> dict[str, Any]:
    """The prepared entry, numbered after the buffer's entries (which may differ from the disk's)."""
    from techcat_core.tasklog.ids import next_task_id
    from techcat_core.tasklog.render import detect_style, insertion, render_entry
    from techcat_core.usecases.entry import TaskEntry

    analysis = state.analysis()
    log = analysis.log
    encoder = analysis.encoder(state.log_path, ls.encoding)
    if log is None or (not log.valid and log.top_level != "empty"):
        raise CommandError("TASK-LOG.json has JSON errors; fix them first (see the problems list)")
    entry = TaskEntry(next_task_id(e.task_id for e in log.entries), prepared.agent, prepared.date, prepared.summary,
                      prepared.output_files)
    style = detect_style(log)
    start, end, text = insertion(log, [render_entry(entry.as_dict(), style)], style)
    result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(lsp.WorkspaceEdit(
        changes={uri(state.log_path): [lsp.TextEdit(encoder.offset_range(start, end), text)]}),
        label=f"Log {entry.task_id}"))
    return {"ok": bool(result.applied), "taskId": entry.task_id, "files": list(entry.output_files)}


async def fix_all_command(ls: TechcatServer, args: FixAllArgs) -> dict[str, Any]:
    found = ls.analysis_for(args.uri) if args.uri else None
    if found is None:
        raise CommandError("techcat.fixAll needs {\"uri\": \"<document>\"} inside a .codex/ folder")
    analysis, path = found
    safe = non_overlapping([d.fixes[0] for d in analysis.diagnostics.get(path, []) if d.fixes and d.fixes[0].safe])
    if not safe:
        return {"ok": True, "fixed": 0}
    result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(
        workspace_edit(safe, analysis, ls.encoding), label="Fix all safe problems"))
    return {"ok": bool(result.applied), "fixed": len(safe)}


async def open_files(ls: TechcatServer, args: OpenFilesArgs) -> dict[str, Any]:
    from techcat_lsp.preview import inside

    state = workspace_state(ls, args.location)
    files = args.files
    opened: list[str] = []
    for name in files[:10]:
        target = inside(state.root, name)
        if target is None or not target.is_file():
            continue
        if ls.show_document_support:
            await ls.window_show_document_async(lsp.ShowDocumentParams(uri(target), take_focus=not opened))
        opened.append(name)
    if not ls.show_document_support and files:
        show(ls, "Files: " + ", ".join(files))
    return {"ok": True, "opened": opened}


Args = TypeVar("Args")
Action = Callable[[TechcatServer, Args], dict[str, Any] | Awaitable[dict[str, Any]]]


def command(server: TechcatServer, name: str, kind: type[Args], action: Action[Args]) -> None:
    """Register `action` for `name`: its argument read into `kind` first (an `InvalidParams` error when it does
    not fit, see `command_args`); a refusal (`CommandError`) is shown and answered `{"ok": false}`."""

    async def run(ls: TechcatServer, args: Args) -> dict[str, Any]:
        try:
            result = action(ls, args)
            if asyncio.iscoroutine(result):
                result = await result
            assert isinstance(result, dict)
            return result
        except CommandError as error:
            show(ls, str(error), lsp.MessageType.Error)
            return {"ok": False, "message": str(error)}

    guarded_run = guarded({"ok": False, "message": "internal error; see the server log"})(run)

    @server.command(name)
    async def handler(ls: TechcatServer, *arguments: Any) -> dict[str, Any]:
        result: dict[str, Any] = await guarded_run(ls, parse(name, kind, arguments))  # InvalidParams escapes
        return result


def register(server: TechcatServer) -> None:
    command(server, RUN_AGENT, RunAgentArgs, run_agent_command)
    command(server, CANCEL_RUN, CancelRunArgs, cancel_runs)
    command(server, QUEUE_ITEM, QueueItemArgs, queue_item)
    command(server, LOG_FROM_GIT, LogFromGitArgs, log_from_git)
    command(server, FIX_ALL, FixAllArgs, fix_all_command)
    command(server, OPEN_FILES, OpenFilesArgs, open_files)
    command(server, ADD_AGENT, AddAgentArgs, add_agent_command)

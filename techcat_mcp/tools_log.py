"""The task-log tools: `log_task` appends through the locked store, `search_log` reads and filters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.proposed import STATE_DONE
from techcat_core.proposed_edit import set_item_state
from techcat_core.tasklog.dates import parse_iso_date
from techcat_core.tasklog.rules import path_escape_problem
from techcat_core.tasklog.store import append_entry
from techcat_core.workspace import TASK_LOG, Workspace
from techcat_mcp.locate import WorkspaceLocator, core_errors
from techcat_mcp.log_search import LogQuery, search
from techcat_mcp.replies import as_json, one_line, require_agent
from techcat_mcp.toolspec import ToolSpec

DEFAULT_LIMIT = 20


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None or not value.strip():
        return None
    date = parse_iso_date(value.strip())
    if date is None:
        raise ToolError(f"{what} {value!r} is not a calendar date in YYYY-MM-DD form")
    return date


def _output_files(ws: Workspace, files: list[str], changed_since: str | None) -> list[str]:
    names: list[str] = []
    for name in files:
        clean = name.strip().replace("\\", "/")
        problem = path_escape_problem(clean)
        if not clean or problem:
            raise ToolError(f"output file {name!r} {problem or 'is empty'}; name files relative to the "
                            f"repository root ({ws.root})")
        if clean not in names:
            names.append(clean)
    if changed_since:
        from techcat_core.gitops import changed_since as git_changed_since

        if ws.git_root is None:
            raise ToolError(f"changed_since needs a git repository, and {ws.root} is not in one; "
                            "list output_files instead")
        log_path = ws.relative(ws.path(TASK_LOG))
        with core_errors():
            changed = git_changed_since(ws.root, changed_since)
        names += [name for name in changed if name != log_path and name not in names]
    return names


def log_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    def log_task(
        agent: Annotated[str, Field(description="Roster agent that did the work.")],
        summary: Annotated[str, Field(description="One line: what was done.")],
        output_files: Annotated[list[str] | None, Field(
            description="Files written, relative to the repo root.")] = None,
        changed_since: Annotated[str | None, Field(
            description="Git revision; adds the files changed since it (e.g. HEAD).")] = None,
        date: Annotated[str | None, Field(description="YYYY-MM-DD; default today.")] = None,
        done_item: Annotated[int | None, Field(
            description="PROPOSED-TASKS.md item number to tick as done.", ge=1)] = None,
    ) -> str:
        """Record a finished task in .codex/TASK-LOG.json; the id is allocated for you. Never edit the log by hand."""
        ws = locator.load()
        agent = require_agent(ws, agent)
        summary = one_line(summary, "summary")
        when = _date(date, "date")
        tolerance = ws.config.check.future_date_tolerance_days
        if when is not None and when > dt.date.today() + dt.timedelta(days=tolerance):
            raise ToolError(f"date {date} is in the future; log a task once it is done")
        files = _output_files(ws, output_files or [], changed_since)
        if done_item is not None:
            _require_open_item(ws, done_item)
        with core_errors():
            entry = append_entry(ws.codex_dir, agent, summary, files, date=when.isoformat() if when else None)
        reply: dict[str, Any] = {"logged": entry}
        if done_item is not None:
            try:
                with core_errors():
                    set_item_state(ws.codex_dir, done_item, STATE_DONE, task_id=entry["task_id"])
                reply["ticked_item"] = done_item
            except ToolError as error:
                reply["warning"] = f"logged, but item {done_item} was not ticked: {error}"
        return as_json(reply)

    def search_log(
        agent: Annotated[str | None, Field(description="Only this agent.")] = None,
        since: Annotated[str | None, Field(description="From this date, YYYY-MM-DD.")] = None,
        until: Annotated[str | None, Field(description="Up to this date, YYYY-MM-DD.")] = None,
        text: Annotated[str | None, Field(description="Words in the summary or task id.")] = None,
        file: Annotated[str | None, Field(description="Output file: path, folder, name or glob.")] = None,
        limit: Annotated[int, Field(description="Most recent matches to return.", ge=1, le=500)] = DEFAULT_LIMIT,
    ) -> str:
        """List task-log entries, newest first; every filter is optional and they combine."""
        query = LogQuery(agent=agent.strip() if agent and agent.strip() else None, since=_date(since, "since"),
                         until=_date(until, "until"), text=text, file=file)
        if query.since and query.until and query.since > query.until:
            raise ToolError(f"since {since} is after until {until}")
        ws = locator.load()
        if ws.task_log is None:
            raise ToolError(f"{ws.path(TASK_LOG)} does not exist; run `techcat init`")
        found = search(ws.task_log, query)
        reply: dict[str, Any] = {"matches": len(found), "entries": [e.value for e in reversed(found[-limit:])]}
        if ws.task_log.problems:
            reply["warning"] = (f"{TASK_LOG} has {len(ws.task_log.problems)} JSON problem(s), so some entries may "
                                "be missing; check_workspace locates them")
        return as_json(reply)

    return [ToolSpec(log_task, writes=True), ToolSpec(search_log)]


def _require_open_item(ws: Workspace, number: int) -> None:
    item = ws.proposed.item(number) if ws.proposed else None
    if item is None:
        count = len(ws.proposed.items) if ws.proposed else 0
        raise ToolError(f"PROPOSED-TASKS.md has no item {number} (it has {count}); list_proposed shows them")
    if item.state == STATE_DONE:
        raise ToolError(f"item {number} is already done: {item.text}")

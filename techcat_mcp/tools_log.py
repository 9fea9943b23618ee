"""The task-log tools: `log_task` through the core's log use-case, `search_log` through its one log query."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.tasklog.dates import parse_iso_date
from techcat_core.usecases.log_query import LogQuery, between, query_log
from techcat_core.usecases.log_task import LogRequest, log_task
from techcat_core.workspace import TASK_LOG
from techcat_mcp.locate import WorkspaceLocator, core_errors
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec

DEFAULT_LIMIT = 20


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None or not value.strip():
        return None
    date = parse_iso_date(value.strip())
    if date is None:
        raise ToolError(f"{what} {value!r} is not a calendar date in YYYY-MM-DD form")
    return date


def log_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    def log_task_tool(
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
        request = LogRequest(agent=agent, summary=summary, output_files=tuple(output_files or ()),
                             changed_since=changed_since.strip() if changed_since and changed_since.strip() else None,
                             date=date, done_item=done_item)
        with core_errors():
            result = log_task(locator.codex_dir(), request)
        reply: dict[str, Any] = {"logged": result.entry.as_dict()}
        if result.ticked_item is not None:
            reply["ticked_item"] = result.ticked_item
        if result.warnings:
            reply["warnings"] = list(result.warnings)
        return as_json(reply)

    def search_log(
        agent: Annotated[str | None, Field(description="Only this agent.")] = None,
        since: Annotated[str | None, Field(description="From this date, YYYY-MM-DD.")] = None,
        until: Annotated[str | None, Field(description="Up to this date, YYYY-MM-DD.")] = None,
        text: Annotated[str | None, Field(description="Words in the summary, task id, agent or files.")] = None,
        file: Annotated[str | None, Field(description="Output file: path, folder, name or glob.")] = None,
        limit: Annotated[int, Field(description="Most recent matches to return.", ge=1, le=500)] = DEFAULT_LIMIT,
        offset: Annotated[int, Field(description="Skip this many of the newest matches (paging).", ge=0)] = 0,
    ) -> str:
        """List task-log entries, newest first; every filter is optional and they combine."""
        with core_errors():
            date_from, date_to = between(_date(since, "since"), _date(until, "until"))
        query = LogQuery(words=tuple((text or "").lower().split()),
                         agent=agent.strip() if agent and agent.strip() else None,
                         date_from=date_from, date_to=date_to, file=file.strip() if file and file.strip() else None)
        ws = locator.load()
        if ws.task_log is None:
            raise ToolError(f"{ws.path(TASK_LOG)} does not exist; run `techcat init`")
        page = query_log(ws.task_log.entries, query, offset=offset, limit=limit, newest_first=True)
        reply: dict[str, Any] = {"matches": page.total, "entries": [e.value for e in page.entries]}
        if page.offset + len(page.entries) < page.total:
            reply["next_offset"] = page.offset + len(page.entries)
        if ws.task_log.problems:
            reply["warning"] = (f"{TASK_LOG} has {len(ws.task_log.problems)} JSON problem(s), so some entries may "
                                "be missing; check_workspace locates them")
        return as_json(reply)

    log_task_tool.__name__ = "log_task"
    return [ToolSpec(log_task_tool, writes=True), ToolSpec(search_log)]

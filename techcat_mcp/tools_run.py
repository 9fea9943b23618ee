"""`run_agent`: a roster agent run through the core runtime, offered only where a provider is configured.

Without a provider a run is a dry run that writes nothing, which is no use to a coding agent and
would only cost it context, so the tool is then left out of the list.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.config import TechcatConfig
from techcat_core.proposed import STATE_DONE
from techcat_core.runtime import events
from techcat_core.runtime.runner import RunRequest, run_agent
from techcat_core.runtime.settings import SETUP_HINT, SettingsError, resolve_settings, workspace_settings
from techcat_core.workspace import PROPOSED, Workspace
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec


def provider_configured(locator: WorkspaceLocator) -> bool:
    """True unless runs would be dry runs; a half-configured provider (or a broken techcat.toml) counts, so
    that its error is shown."""
    try:
        ws = locator.load()
    except ToolError:
        ws = None
    try:
        settings = workspace_settings(ws) if ws is not None else resolve_settings(TechcatConfig())
    except SettingsError:
        return True
    return settings.kind != "dry-run"


def _task_for_item(ws: Workspace, number: int, task: str) -> str:
    item = ws.proposed.item(number) if ws.proposed else None
    if item is None:
        count = len(ws.proposed.items) if ws.proposed else 0
        raise ToolError(f"{PROPOSED} has no item {number} (it has {count}); list_proposed shows them")
    if item.state == STATE_DONE:
        raise ToolError(f"item {number} is already done: {item.text}")
    return task or item.title


class _RunReport:
    """What a model needs from the event stream: who ran, what was written and logged, what failed."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.runs: list[dict[str, Any]] = []
        self.failures: list[str] = []
        self.dry_run = False

    def add(self, event: events.RunEvent) -> str | None:
        """Record one event; returns a progress message for the client when there is news."""
        if isinstance(event, events.RunStarted):
            return f"{event.agent} started ({event.provider}, {event.model})"
        if isinstance(event, events.Logged):
            entry = event.entry
            self.runs.append({"agent": entry["agent"], "task_id": entry["task_id"], "summary": entry["summary"],
                              "files": entry["output_files"]})
            return f"{entry['agent']} logged {entry['task_id']}"
        if isinstance(event, events.RunFailed):
            self.failures.append(event.message)
        elif isinstance(event, events.DryRun):
            self.dry_run = True
        return None


def run_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    if not provider_configured(locator):
        return []

    async def run_agent_tool(
        ctx: Context,
        agent: Annotated[str, Field(description="Roster agent to run.")],
        task: Annotated[str, Field(description="What the agent should do; optional with proposed_item.")] = "",
        proposed_item: Annotated[int | None, Field(
            description="PROPOSED-TASKS.md item to run; ticked when done.", ge=1)] = None,
    ) -> str:
        """Run a roster agent with the configured model; it writes its files, logs the task and runs the agents
        it chains to."""
        ws = locator.load()
        task = " ".join(task.split())
        if proposed_item is not None:
            task = _task_for_item(ws, proposed_item, task)
        if not task:
            raise ToolError("task is empty; say what the agent should do, or pass proposed_item")
        report = _RunReport(ws)
        request = RunRequest(agent=agent.strip(), task=task, proposed_item=proposed_item)
        step = 0
        async for event in run_agent(ws.codex_dir, request):
            message = report.add(event)
            if message:
                step += 1
                await ctx.report_progress(step, message=message)
        if report.dry_run:
            raise ToolError(SETUP_HINT)
        if not report.runs:
            raise ToolError("; ".join(report.failures) or "the run ended without logging anything")
        reply: dict[str, Any] = {"runs": report.runs}
        if report.failures:
            reply["failed"] = report.failures
        return as_json(reply)

    run_agent_tool.__name__ = "run_agent"
    return [ToolSpec(run_agent_tool, writes=True, destructive=True, open_world=True)]

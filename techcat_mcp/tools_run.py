"""`run_agent`: a roster agent run through the core runtime, offered only where a provider is configured.

Without a provider a run is a dry run that writes nothing, which is no use to a coding agent and
would only cost it context, so the tool is then left out of the list (and the client is told when it
comes and goes). What the run did is the core's run summary (techcat_core.runs.summary).
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.config import TechcatConfig
from techcat_core.proposed import STATE_DONE
from techcat_core.runs.summary import AgentRun, RunSummarizer
from techcat_core.runtime import events
from techcat_core.runtime.runner import RunRequest, run_agent
from techcat_core.runtime.settings import SETUP_HINT, SettingsError, resolve_settings, workspace_settings
from techcat_core.workspace import PROPOSED, Workspace
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec


def provider_configured(locator: WorkspaceLocator) -> bool:
    """True unless runs would be dry runs; a half-configured provider (or a broken techcat.toml) counts, so
    that its error is shown. Reads only the roster and techcat.toml (the server asks again whenever they change)."""
    from techcat_core.usecases.loading import roster_workspace

    try:
        ws = roster_workspace(locator.codex_dir())
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


def run_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    """The run tool; the server lists it only while `provider_configured` (see server.py)."""

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
        request = RunRequest(agent=agent.strip(), task=task, proposed_item=proposed_item)
        summarizer = RunSummarizer(request.agent, task, proposed_item, ws.root)
        step = 0
        async for event in run_agent(ws.codex_dir, request):
            message = summarizer.feed(event)
            if message and not isinstance(event, events.TextDelta | events.ExecutorOutput):
                step += 1
                await ctx.report_progress(step, message=message)
        summary = summarizer.summary()
        if summary.outcome == "dry-run":
            raise ToolError(SETUP_HINT)
        if not summary.wrote_anything and summary.outcome != "discarded":
            raise ToolError(summary.message())
        reply: dict[str, Any] = {"outcome": summary.outcome, "summary": summary.message(),
                                 "runs": [_run(run) for run in summary.agents]}
        return as_json(reply)

    run_agent_tool.__name__ = "run_agent"
    return [ToolSpec(run_agent_tool, writes=True, destructive=True, open_world=True)]


def _run(run: AgentRun) -> dict[str, Any]:
    item: dict[str, Any] = {"agent": run.agent, "outcome": run.outcome, "files": list(run.files)}
    for key, value in (("task_id", run.task_id), ("ticked_item", run.ticked_item), ("reason", run.reason)):
        if value is not None:
            item[key] = value
    return item

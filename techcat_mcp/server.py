"""The TechCat MCP server: thin tools over the core, the `.codex/` files as resources."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.types import Resource as ResourceInfo

from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.resources import register_resources, workspace_resources
from techcat_mcp.schema_compact import compact_schema
from techcat_mcp.tools_check import check_tools
from techcat_mcp.tools_log import log_tools
from techcat_mcp.tools_proposed import proposed_tools
from techcat_mcp.tools_roster import roster_tools
from techcat_mcp.tools_run import run_tools
from techcat_mcp.toolspec import ToolSpec

TOOL_SETS = ("all", "read-only")
INSTRUCTIONS = ("TechCat keeps this repository's agent memory in .codex/. When you finish a task, record it "
                "with log_task; never edit .codex/TASK-LOG.json by hand.")
READ_ONLY_INSTRUCTIONS = "TechCat keeps this repository's agent memory in .codex/; these tools read it."


class TechcatServer(MCPServer[Any]):
    """MCPServer whose resource list follows the workspace (agents come and go while it runs)."""

    def __init__(self, locator: WorkspaceLocator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.locator = locator

    async def list_resources(self) -> list[ResourceInfo]:
        """Only the files that exist, and every agent's prompt (the static list would show neither)."""
        return await anyio.to_thread.run_sync(workspace_resources, self.locator)


def tool_specs(locator: WorkspaceLocator, tool_set: str = "all") -> list[ToolSpec]:
    """The tools of a set, in the order clients list them."""
    if tool_set not in TOOL_SETS:
        raise ValueError(f"unknown tool set {tool_set!r}; use one of {', '.join(TOOL_SETS)}")
    from techcat_mcp.tools_runs import runs_tools

    specs = [*log_tools(locator), *roster_tools(locator), *check_tools(locator), *proposed_tools(locator),
             *run_tools(locator), *runs_tools(locator)]
    return [spec for spec in specs if tool_set == "all" or not spec.writes]


def make_tool(spec: ToolSpec, compact: bool = True) -> Tool:
    """The SDK's tool for a spec; plain-text results, so no output schema is advertised either."""
    tool = Tool.from_function(spec.fn, description=" ".join((spec.fn.__doc__ or "").split()),
                              annotations=spec.annotations, structured_output=False)
    if compact:
        tool.parameters = compact_schema(tool.parameters)
    return tool


def _version() -> str:
    try:
        return version("techcat-studio")
    except PackageNotFoundError:
        return "0"


def build_server(codex_dir: Path | None, tool_set: str = "all") -> TechcatServer:
    locator = WorkspaceLocator(codex_dir)
    instructions = INSTRUCTIONS if tool_set == "all" else READ_ONLY_INSTRUCTIONS
    server = TechcatServer(locator, name="techcat", version=_version(), instructions=instructions,
                           tools=[make_tool(spec) for spec in tool_specs(locator, tool_set)], log_level="WARNING")
    register_resources(server, locator)
    return server

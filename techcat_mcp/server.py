"""The TechCat MCP server: thin tools over the core, the `.codex/` files as resources."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.stdio import stdio_server
from mcp.types import Resource as ResourceInfo
from pydantic import ValidationError

from techcat_mcp.arguments import argument_problem, shorten, trim_message
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.resources import register_resources, workspace_resources
from techcat_mcp.schema_compact import compact_schema
from techcat_mcp.stdio import ScreenedReadStream
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

    def __init__(self, locator: WorkspaceLocator, writing_tools: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.locator = locator
        self.writing_tools = writing_tools  # an oversized argument is refused before these run

    async def list_resources(self) -> list[ResourceInfo]:
        """Only the files that exist, and every agent's prompt (the static list would show neither)."""
        return await anyio.to_thread.run_sync(workspace_resources, self.locator)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None) -> Any:
        """Every tool call is answered with its reason: arguments no tool can take are refused before it
        runs, a crash says what kind it was, and no message repeats a long argument back."""
        problem = argument_problem(arguments, limit_size=name in self.writing_tools) or self._unknown(name, arguments)
        if problem is not None:
            raise ToolError(f"Error executing tool {shorten(name, 80)}: {problem}")
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as error:
            cause = error.__cause__
            detail = f"{type(cause).__name__}: {cause}" if cause is not None else "no detail"
            raise ToolError(trim_message(f"{error}: internal error, please report it ({shorten(detail, 300)})",
                                         arguments)) from cause
        except ToolError as error:
            if isinstance(error.__cause__, ValidationError):
                raise ToolError(trim_message(f"Error executing tool {shorten(name, 80)}: invalid arguments: "
                                             f"{_invalid(error.__cause__)}", arguments)) from error.__cause__
            raise ToolError(trim_message(str(error), arguments)) from error.__cause__

    def _unknown(self, name: str, arguments: dict[str, Any]) -> str | None:
        """An argument the tool does not take (pydantic would drop it silently, and the caller never learn)."""
        tool = self._tool_manager.get_tool(name)
        if tool is None:
            return None
        known = set(tool.parameters.get("properties", {}))
        unknown = [key for key in arguments if key not in known]
        if not unknown:
            return None
        takes = ", ".join(sorted(known)) or "no arguments"
        return f"unknown argument `{shorten(str(unknown[0]), 80)}`; {shorten(name, 80)} takes {takes}"

    async def run_stdio_async(self) -> None:
        """The SDK's stdio loop, with the lines it cannot read answered instead of dropped (see stdio.py)."""
        async with stdio_server() as (read_stream, write_stream):
            await self._lowlevel_server.run(ScreenedReadStream(read_stream, write_stream), write_stream,
                                            self._lowlevel_server.create_initialization_options())


def _invalid(error: ValidationError) -> str:
    """pydantic's complaints as `argument: what (got value)`, each value cut short."""
    parts = []
    for problem in error.errors()[:3]:
        where = ".".join(str(part) for part in problem["loc"]) or "arguments"
        got = problem.get("input")
        shown = shorten(got if isinstance(got, str) else repr(got), 60)
        parts.append(f"`{where}`: {problem['msg']} (got {shown})")
    more = len(error.errors()) - 3
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


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
    tools = [(spec, make_tool(spec)) for spec in tool_specs(locator, tool_set)]
    server = TechcatServer(locator, writing_tools=frozenset(tool.name for spec, tool in tools if spec.writes),
                           name="techcat", version=_version(), instructions=instructions,
                           tools=[tool for _, tool in tools], log_level="WARNING")
    register_resources(server, locator)
    return server

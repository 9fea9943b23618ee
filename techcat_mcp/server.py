"""The TechCat MCP server: thin tools over the core, the `.codex/` files as resources."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.shared.subscriptions import ResourcesListChanged, ToolsListChanged
from mcp.types import ClientCapabilities, NotificationParams, RootsCapability
from mcp.types import Resource as ResourceInfo
from mcp.types import Tool as ToolInfo
from pydantic import ValidationError

from techcat_mcp.arguments import argument_problem, shorten, trim_message
from techcat_mcp.live import POLL_SECONDS, root_paths, signature
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.resources import register_resources, workspace_resources
from techcat_mcp.schema_compact import compact_schema
from techcat_mcp.stdio import ScreenedReadStream
from techcat_mcp.tools_check import check_tools
from techcat_mcp.tools_docs import docs_tools
from techcat_mcp.tools_log import log_tools
from techcat_mcp.tools_proposed import proposed_tools
from techcat_mcp.tools_roster import roster_tools
from techcat_mcp.tools_run import provider_configured, run_tools
from techcat_mcp.toolspec import ToolSpec

TOOL_SETS = ("all", "read-only")
INSTRUCTIONS = ("TechCat keeps this repository's agent memory in .codex/. When you finish a task, record it "
                "with log_task; never edit .codex/TASK-LOG.json by hand.")
READ_ONLY_INSTRUCTIONS = "TechCat keeps this repository's agent memory in .codex/; these tools read it."


logger = logging.getLogger("techcat_mcp")
NO_PROVIDER = ("run_agent is offered once a provider is configured (the tool list then changes; no restart "
               "needed): ")


class TechcatServer(MCPServer[Any]):
    """MCPServer whose resource and tool lists follow the workspace (agents come and go, a provider gets
    configured) and the client's workspace roots, telling the client when they change."""

    def __init__(self, locator: WorkspaceLocator, writing_tools: frozenset[str] = frozenset(),
                 conditions: dict[str, Callable[[], bool]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.locator = locator
        self.writing_tools = writing_tools  # an oversized argument is refused before these run
        self.conditions = conditions or {}  # tool name → whether it is offered now
        self._offered = self._offered_now()
        self._sessions: list[ServerSession] = []  # handshake-era connections, for list-changed notifications
        self._tasks: anyio.abc.TaskGroup | None = None
        low = self._lowlevel_server
        low.add_notification_handler("notifications/initialized", NotificationParams, self._initialized)
        low.add_notification_handler("notifications/roots/list_changed", NotificationParams, self._roots_changed)

    def _offered_now(self) -> frozenset[str]:
        return frozenset(name for name, offered in self.conditions.items() if offered())

    def _hidden(self, name: str) -> bool:
        return name in self.conditions and name not in self._offered

    async def list_tools(self) -> list[ToolInfo]:
        """The tools offered now: a conditional one (run_agent) only while its condition holds."""
        await self.refresh()
        return [tool for tool in await super().list_tools() if not self._hidden(tool.name)]

    async def refresh(self, resources: bool = False) -> None:
        """Look again at what decides the tool list; tell the client when it (or, if asked, the resources) changed."""
        offered = await anyio.to_thread.run_sync(self._offered_now)
        tools = offered != self._offered
        self._offered = offered
        for session in list(self._sessions):
            try:
                if tools:
                    await session.send_tool_list_changed()
                if resources:
                    await session.send_resource_list_changed()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                self._sessions.remove(session)
        if tools:
            await self._subscriptions.publish(ToolsListChanged())  # clients of protocol 2026-07-28 listen here
        if resources:
            await self._subscriptions.publish(ResourcesListChanged())

    async def _initialized(self, ctx: ServerRequestContext[Any], params: NotificationParams) -> None:
        self._sessions.append(ctx.session)
        if self.locator.follows_roots and ctx.session.check_client_capability(
                ClientCapabilities(roots=RootsCapability())):
            self._start(self._ask_roots, ctx.session)

    async def _roots_changed(self, ctx: ServerRequestContext[Any], params: NotificationParams) -> None:
        if self.locator.follows_roots:
            self._start(self._ask_roots, ctx.session)

    def _start(self, job: Callable[[ServerSession], Any], session: ServerSession) -> None:
        """Server-to-client requests wait for the client's answer, so they run beside the message loop."""
        if self._tasks is not None:
            self._tasks.start_soon(job, session)

    async def _ask_roots(self, session: ServerSession) -> None:
        """`roots/list`: the client's folders, searched for `.codex/` before the server's cwd."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated in 2026-07-28; clients use it
                result = await session.list_roots()
        except Exception as error:  # a client that cannot answer keeps the cwd: say so on stderr, go on
            logger.warning("roots/list failed (%s); the workspace is found from the working directory", error)
            return
        roots = root_paths([str(root.uri) for root in result.roots])
        if roots != self.locator.roots:
            self.locator.roots = roots
            await self.refresh(resources=True)

    async def _follow_files(self) -> None:
        """Stat the few files that decide the tool list, twice a second; look again when one changed."""
        seen = await anyio.to_thread.run_sync(signature, self.locator)
        while True:
            await anyio.sleep(POLL_SECONDS)
            try:
                now = await anyio.to_thread.run_sync(signature, self.locator)
                if now != seen:
                    seen = now
                    await self.refresh(resources=True)
            except Exception:  # a bug here must not end the server: the tools still answer, the list just lags
                logger.exception("could not look again at the workspace's tool settings")

    async def list_resources(self) -> list[ResourceInfo]:
        """Only the files that exist, and every agent's prompt (the static list would show neither)."""
        return await anyio.to_thread.run_sync(workspace_resources, self.locator)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None) -> Any:
        """Every tool call is answered with its reason: arguments no tool can take are refused before it
        runs, a crash says what kind it was, and no message repeats a long argument back."""
        problem = argument_problem(arguments, limit_size=name in self.writing_tools) or self._unknown(name, arguments)
        if problem is None and name in self.conditions and not await anyio.to_thread.run_sync(self.conditions[name]):
            from techcat_core.runtime.settings import SETUP_HINT

            problem = NO_PROVIDER + SETUP_HINT
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
        options = self._lowlevel_server.create_initialization_options(
            NotificationOptions(tools_changed=True, resources_changed=True))
        async with stdio_server() as (read_stream, write_stream), anyio.create_task_group() as tasks:
            self._tasks = tasks
            tasks.start_soon(self._follow_files)
            await self._lowlevel_server.run(ScreenedReadStream(read_stream, write_stream), write_stream, options)
            tasks.cancel_scope.cancel()


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

    specs = [*log_tools(locator), *roster_tools(locator), *docs_tools(locator), *check_tools(locator),
             *proposed_tools(locator), *run_tools(locator), *runs_tools(locator)]
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
    conditions: dict[str, Callable[[], bool]] = {"run_agent": lambda: provider_configured(locator)}
    server = TechcatServer(locator, writing_tools=frozenset(tool.name for spec, tool in tools if spec.writes),
                           conditions={n: c for n, c in conditions.items() if any(t.name == n for _, t in tools)},
                           name="techcat", version=_version(), instructions=instructions,
                           tools=[tool for _, tool in tools], log_level="WARNING")
    register_resources(server, locator)
    return server

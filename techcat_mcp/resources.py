"""Resources a client can attach as context: the five `.codex/` files and each agent's prompt.

The list is computed on every request, so agents and prompts added after start-up show up. Files are read
through the core's confinement rule: a link out of the repository, a FIFO or an oversized file is not served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import Resource as ResourceInfo

from techcat_core.confine import probe
from techcat_core.workspace import CORE_FILES, TASK_LOG, UnsafeFile, Workspace, read_text
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.tools_roster import agent_definition, agent_prompt

CODEX_URI = "techcat://codex/{name}"  # one static resource per file of CORE_FILES
PROMPT_URI = "techcat://prompts/{agent}"


def _mime(name: str) -> str:
    return "application/json" if name == TASK_LOG else "text/markdown"


def _workspace(locator: WorkspaceLocator) -> Workspace:
    try:
        return locator.load()
    except ToolError as error:
        raise ResourceError(str(error)) from None


def workspace_resources(locator: WorkspaceLocator) -> list[ResourceInfo]:
    """Concrete URIs for the files that exist and for every roster agent; none without a workspace."""
    try:
        ws = locator.load()
    except ToolError:
        return []
    found = [ResourceInfo(uri=CODEX_URI.format(name=name), name=name, mime_type=_mime(name),
                          description=f".codex/{name}")
             for name in CORE_FILES if ws.path(name).is_file() and probe(ws.root, ws.path(name)) is None]
    for agent in ws.agents:
        source = "prompts/" + agent.name + ".md" if agent.name in ws.prompts else "its roster section"
        found.append(ResourceInfo(uri=PROMPT_URI.format(agent=agent.name), name=f"prompt: {agent.name}",
                                  mime_type="text/markdown", description=f"{agent.description} ({source})"))
    return found


def _file_reader(locator: WorkspaceLocator, name: str) -> Callable[[], str]:
    def read() -> str:
        ws = _workspace(locator)
        unsafe: list[UnsafeFile] = []
        text = read_text(ws.path(name), root=ws.root, limit=ws.config.limits.max_file_bytes, unsafe=unsafe)
        if unsafe:  # the confinement rule (techcat_core.confine) refused it: say why, serve nothing
            raise ResourceError(f".codex/{name} {unsafe[0].reason}, so it is not served ({unsafe[0].hint})")
        if text is None:
            raise ResourceNotFoundError(f"{ws.path(name)} does not exist; run `techcat init`")
        return text

    return read


def register_resources(server: MCPServer[Any], locator: WorkspaceLocator) -> None:
    for name in CORE_FILES:
        server.add_resource(FunctionResource(uri=CODEX_URI.format(name=name), name=name, mime_type=_mime(name),
                                             description=f".codex/{name}", fn=_file_reader(locator, name)))

    @server.resource(PROMPT_URI, name="agent-prompt", mime_type="text/markdown",
                     description="An agent's prompts/<agent>.md, or its roster section when it has none.")
    def prompt(agent: str) -> str:
        ws = _workspace(locator)
        found = ws.agent(agent)
        if found is None:
            raise ResourceNotFoundError(f"no agent {agent!r} in the roster")
        return agent_prompt(ws, agent) or agent_definition(ws, found)

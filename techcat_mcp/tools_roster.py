"""`read_roster`: the agents, or one agent's definition and prompt, so a model uses real names; `add_agent`
appends a roster section through the core's use-case (techcat_core.usecases.agents.add_agent)."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.positions import LineIndex
from techcat_core.roster import Agent
from techcat_core.usecases.agents import NewAgent, add_agent
from techcat_core.workspace import AGENTS, Workspace, read_text
from techcat_mcp.locate import WorkspaceLocator, core_errors
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec


def agent_definition(ws: Workspace, agent: Agent) -> str:
    """The agent's own section of AGENTS.md (or its whole .toml file), as written."""
    text = ws.texts.get(agent.source)
    if text is None:
        return agent.body
    index = LineIndex(text)
    return text[index.offset(agent.section.start):index.offset(agent.section.end)].strip() + "\n"


def agent_prompt(ws: Workspace, name: str) -> str | None:
    """The agent's prompt file, if it may be read (confined: no link out of the repository, no FIFO, capped)."""
    path = ws.prompts.get(name)
    return read_text(path, root=ws.root, limit=ws.config.limits.max_file_bytes) if path is not None else None


def _summary(ws: Workspace, agent: Agent) -> dict[str, Any]:
    item: dict[str, Any] = {"name": agent.name, "role": agent.description}
    chains = list(dict.fromkeys(link.target for link in agent.chains))
    if chains:
        item["chains_to"] = chains
    if agent.name in ws.prompts:
        item["prompt"] = ws.relative(ws.prompts[agent.name])
    return item


def find_agent(ws: Workspace, name: str) -> Agent:
    agent = ws.agent(name.strip())
    if agent is None:
        names = sorted(ws.agent_names)
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = ", ".join(names) if names else "none: AGENTS.md defines no agents"
        raise ToolError(f"no agent {name!r} in the roster (agents: {listing}){hint}")
    return agent


def roster_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    def read_roster(
        agent: Annotated[str | None, Field(description="One agent: its definition and prompt.")] = None,
    ) -> str:
        """The agents of .codex/AGENTS.md with their roles and chains; or one agent in full."""
        ws = locator.load()
        if agent:
            found = find_agent(ws, agent)
            return as_json({**_summary(ws, found), "source": ws.relative(found.source),
                            "definition": agent_definition(ws, found), "prompt": agent_prompt(ws, found.name)})
        if ws.roster is None or ws.roster.kind == "missing":
            raise ToolError(f"{ws.path(AGENTS)} does not exist; run `techcat init`")
        reply: dict[str, Any] = {"agents": [_summary(ws, a) for a in ws.agents]}
        if not ws.agents:
            reply["note"] = "AGENTS.md holds free-form instructions, not a roster; any agent name is accepted"
        return as_json(reply)

    def add_agent_tool(
        name: str,
        role: Annotated[str, Field(description="One line: what it does.")],
        outputs: Annotated[list[str] | None, Field(description="Paths or globs it writes.")] = None,
    ) -> str:
        """Add an agent to the roster (.codex/AGENTS.md)."""
        with core_errors():
            agent = add_agent(locator.codex_dir(), NewAgent(name, role, outputs=tuple(outputs or ())))
        return as_json({"added": {"name": agent.name, "role": agent.description, "outputs": agent.outputs}})

    add_agent_tool.__name__ = "add_agent"
    return [ToolSpec(read_roster), ToolSpec(add_agent_tool, writes=True)]

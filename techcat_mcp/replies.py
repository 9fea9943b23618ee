"""How tool results and argument checks read to a model: compact JSON, and errors that name the fix."""

from __future__ import annotations

import difflib
import json
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from techcat_core.workspace import Workspace

ALWAYS_KNOWN_AGENTS = frozenset({"task_logger"})


def as_json(value: Any) -> str:
    """One line of JSON: models read it well and it costs fewer tokens than an indented dump."""
    return json.dumps(value, ensure_ascii=False)


def require_agent(ws: Workspace, name: str) -> str:
    """The agent name, if the roster knows it; a roster-less (free-form) AGENTS.md accepts any name."""
    name = name.strip()
    if not name:
        raise ToolError("agent is empty; pass a roster agent's name (read_roster lists them)")
    known = ws.agent_names | ALWAYS_KNOWN_AGENTS
    if not ws.agents or name in known:
        return name
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ToolError(f"agent {name!r} is not in the roster ({', '.join(sorted(known))}){hint}")


def one_line(text: str, what: str) -> str:
    """Collapse whitespace; the log and the checklist hold one line per item."""
    line = " ".join(text.split())
    if not line:
        raise ToolError(f"{what} is empty; write one line")
    return line

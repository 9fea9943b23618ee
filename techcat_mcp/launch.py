"""`techcat mcp`: serve the tools over stdio until the client closes the pipe."""

from __future__ import annotations

import sys
from pathlib import Path

from techcat_mcp.server import TOOL_SETS


def run_server(codex_dir: Path | None, tool_set: str | None = None) -> int:
    """Exit code 0 when the client hangs up; stdout belongs to the protocol, so messages go to stderr.

    Without `tool_set`, the workspace's `[mcp] tools` setting chooses (a team may make every agent's
    server read-only in the file they share), else all tools.
    """
    if tool_set is None:
        tool_set = configured_tool_set(codex_dir)
    if tool_set not in TOOL_SETS:
        print(f"techcat mcp: unknown tool set {tool_set!r}; use {' or '.join(TOOL_SETS)}", file=sys.stderr)
        return 2
    from techcat_mcp.server import build_server

    server = build_server(codex_dir, tool_set)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0


def configured_tool_set(codex_dir: Path | None) -> str:
    from mcp.server.mcpserver.exceptions import ToolError

    from techcat_core.usecases.loading import roster_workspace
    from techcat_mcp.locate import WorkspaceLocator

    try:  # the settings only: the task log (maybe 100k entries) is not parsed to start the server
        return roster_workspace(WorkspaceLocator(codex_dir).codex_dir()).config.mcp.tools or "all"
    except ToolError:  # no workspace yet: the tools say so when called
        return "all"

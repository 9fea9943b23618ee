"""`techcat mcp`: serve the tools over stdio until the client closes the pipe."""

from __future__ import annotations

import sys
from pathlib import Path

from techcat_mcp.server import TOOL_SETS


def run_server(codex_dir: Path | None, tool_set: str = "all") -> int:
    """Exit code 0 when the client hangs up; stdout belongs to the protocol, so messages go to stderr."""
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

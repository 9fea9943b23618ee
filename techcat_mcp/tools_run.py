"""`run_agent`: not available until the agent runtime (`techcat_core/runtime/runner.py`) lands."""

from __future__ import annotations

from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.toolspec import ToolSpec


def run_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    return []

"""`read_doc`: the product (PRD.md) and the architecture (ARCHITECTURE.md) as a tool, for clients that do not
attach resources (most coding agents call tools, not resources)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from mcp.server.mcpserver.exceptions import ToolError

from techcat_core.workspace import ARCHITECTURE, PRD, UnsafeFile, read_text
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.toolspec import ToolSpec


def _reader(locator: WorkspaceLocator, name: str) -> Callable[[], str]:
    def read() -> str:
        from techcat_core.usecases.loading import roster_workspace

        ws = roster_workspace(locator.codex_dir())
        unsafe: list[UnsafeFile] = []
        text = read_text(ws.path(name), root=ws.root, limit=ws.config.limits.max_file_bytes, unsafe=unsafe)
        if unsafe:  # the confinement rule refused it: say why, return nothing
            raise ToolError(f".codex/{name} {unsafe[0].reason}, so it is not read ({unsafe[0].hint})")
        if text is None:
            raise ToolError(f"{ws.path(name)} does not exist; `techcat init` creates it")
        return text

    return read


def docs_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    readers = {"prd": _reader(locator, PRD), "architecture": _reader(locator, ARCHITECTURE)}

    def read_doc(name: Literal["prd", "architecture"]) -> str:
        """.codex/PRD.md (the product) or .codex/ARCHITECTURE.md, as written."""
        return readers[name]()

    return [ToolSpec(read_doc)]

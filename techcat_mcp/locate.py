"""Finding the workspace for each tool call, and turning core failures into tool errors.

The server may start before `techcat init` has run, or outside a repository: then every call
looks for `.codex/` again and says what to do, instead of the server refusing to start. Without
`--workspace`, the client's workspace roots (MCP `roots/list`) are searched first, then the cwd.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError

from techcat_core.confine import Refused
from techcat_core.gitops import GitProblem
from techcat_core.proposed_edit import ProposedEditError
from techcat_core.tasklog.store import StoreError
from techcat_core.usecases.errors import UseCaseError
from techcat_core.workspace import Workspace, WorkspaceNotFound, find_codex_dir, load_workspace, locate_workspace


class WorkspaceLocator:
    """The `.codex/` folder the server works on: fixed by `--workspace`, else found from the cwd.

    Kept as written, not resolved: a `.codex` that is a link out of its repository is refused on each call
    (`locate_workspace`), which a resolved path could no longer tell."""

    def __init__(self, codex_dir: Path | None) -> None:
        self._fixed = Path(os.path.abspath(codex_dir)) if codex_dir is not None else None
        self.roots: tuple[Path, ...] = ()  # the client's workspace roots, in its order

    @property
    def follows_roots(self) -> bool:
        """Roots matter only when no `--workspace` fixed the folder."""
        return self._fixed is None

    def _from_roots(self) -> Path | None:
        for root in self.roots:
            try:
                return find_codex_dir(root)
            except WorkspaceNotFound:
                continue
        return None

    def codex_dir(self) -> Path:
        """The resolved `.codex/` of this call, or a tool error saying why there is none TechCat may use."""
        if self._fixed is not None:
            if not self._fixed.is_dir():
                raise ToolError(f"{self._fixed} no longer exists; run `techcat init` to create the workspace")
            found = self._fixed
        elif (from_roots := self._from_roots()) is not None:
            found = from_roots
        else:
            try:
                found = find_codex_dir(Path.cwd())
            except WorkspaceNotFound as error:
                roots = f"; none of the client's roots ({', '.join(map(str, self.roots))}) holds one either" \
                    if self.roots else ""
                raise ToolError(f"{error} (the MCP server's working directory is {Path.cwd()}){roots}") from None
        try:
            return locate_workspace(found).codex_dir
        except Refused as error:
            raise ToolError(f"{error}; nothing was read") from None

    def load(self) -> Workspace:
        """A fresh snapshot: other agents and people change the files between calls."""
        return load_workspace(self.codex_dir())


@contextlib.contextmanager
def core_errors() -> Iterator[None]:
    """Core failures already carry a located sentence; pass it to the model as a tool error."""
    try:
        yield
    except (StoreError, ProposedEditError, GitProblem, UseCaseError) as error:
        raise ToolError(str(error)) from None
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise ToolError(f"{where}{error.strerror or error}") from None

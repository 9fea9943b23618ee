"""`check_workspace`: the core's diagnostics, located as `path:line:column` for a model to act on;
`apply_fixes`: the safe fixes it suggests, through the engine's own fix path (`techcat check --fix`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.confine import Refused, normalise, path_problem, readable, shown_path
from techcat_core.diagnostics import Diagnostic, Severity
from techcat_core.engine import check_workspace as run_checks
from techcat_core.workspace import Workspace
from techcat_mcp.locate import WorkspaceLocator, core_errors
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec

MAX_SHOWN = 100
_LABELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def describe(ws: Workspace, diagnostic: Diagnostic) -> dict[str, Any]:
    """One diagnostic as the model sees it; line and column are 1-based, as editors show them."""
    start = diagnostic.range.start
    item: dict[str, Any] = {
        "where": f"{ws.relative(diagnostic.path)}:{start.line + 1}:{start.character + 1}",
        "severity": _LABELS[diagnostic.severity],
        "code": diagnostic.code,
        "message": diagnostic.message,
    }
    if diagnostic.fixes:
        fix = diagnostic.fixes[0]
        item["fix"] = fix.title + ("" if fix.safe else " (review first)")
    return item


def _candidates(ws: Workspace, file: str) -> set[Path]:
    """The files `file` may name (relative to the repository or to `.codex/`, or absolute inside the repository);
    anything else is refused by the confinement rule (techcat_core.confine) with a sentence."""
    given = file.strip()
    try:
        if os.path.isabs(given) and "\x00" not in given:
            return {readable(ws.root, Path(given))}
        problem = path_problem(given)
        if problem:
            raise Refused(given, problem)
        return {readable(ws.root, base / normalise(given)) for base in (ws.root, ws.codex_dir)}
    except Refused as error:
        raise ToolError(f'file "{shown_path(given)}" {error.reason}, so it is not a workspace file; name it '
                        f"relative to {ws.codex_dir} or to the repository root {ws.root}") from None


def check_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    def check_workspace(
        file: Annotated[str | None, Field(description="Only this file, e.g. TASK-LOG.json.")] = None,
    ) -> str:
        """Validate the .codex/ files; returns located errors and warnings, with a fix where one is known."""
        ws = locator.load()
        with core_errors():
            diagnostics = run_checks(ws).diagnostics
        if file and file.strip():
            wanted = _candidates(ws, file)
            diagnostics = [d for d in diagnostics if d.path.resolve() in wanted]
            if not diagnostics and not any(path.is_file() for path in wanted):
                raise ToolError(f"no file {file!r} in the workspace; name it relative to {ws.codex_dir} "
                                f"or to the repository root {ws.root}")
        counts = {label: sum(1 for d in diagnostics if _LABELS[d.severity] == label)
                  for label in ("error", "warning", "note")}
        reply: dict[str, Any] = {**{f"{k}s": v for k, v in counts.items()},
                                 "diagnostics": [describe(ws, d) for d in diagnostics[:MAX_SHOWN]]}
        if len(diagnostics) > MAX_SHOWN:
            reply["more"] = f"{len(diagnostics) - MAX_SHOWN} more not shown; pass file= to narrow"
        if any(d.fixes and d.fixes[0].safe for d in diagnostics):
            reply["hint"] = "apply_fixes (or `techcat check --fix`) applies the safe fixes"
        return as_json(reply)

    def apply_fixes() -> str:
        """Apply every safe fix check_workspace suggests, atomically; a fix that would add an error is rolled back.
        Returns what is left."""
        from techcat_core.engine import fix_workspace
        from techcat_core.fix_writer import FixNotApplied

        codex = locator.codex_dir()
        try:
            with core_errors():
                result, applied = fix_workspace(codex)
        except FixNotApplied as error:
            raise ToolError(f"no fix was applied: {error}") from None
        ws = result.workspace
        left = result.diagnostics
        reply: dict[str, Any] = {"applied": applied, "errors": sum(d.severity is Severity.ERROR for d in left),
                                 "warnings": sum(d.severity is Severity.WARNING for d in left),
                                 "left": [describe(ws, d) for d in left[:MAX_SHOWN]]}
        if len(left) > MAX_SHOWN:
            reply["more"] = f"{len(left) - MAX_SHOWN} more not shown; check_workspace(file=...) narrows"
        return as_json(reply)

    return [ToolSpec(check_workspace), ToolSpec(apply_fixes, writes=True, destructive=True)]

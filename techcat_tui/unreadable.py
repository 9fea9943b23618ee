"""Why a workspace file cannot be read, in one sentence for the views' guidance.

The views would otherwise guess from what the parse left behind: an AGENTS.md that is not UTF-8
reads as "free-form instructions", a TASK-LOG.json that is a directory as "missing". The sentence
comes from the core's own diagnostic (TC001 for a file that is not UTF-8); only a path that exists
but gave no text at all (a directory, no permission) is told apart here, since the core reports
that as a missing file (TC002).
"""

from __future__ import annotations

from techcat_core.diagnostics import Diagnostic
from techcat_core.workspace import Workspace

SEE_PROBLEMS = "See Problems (5)."


def core_file_diagnostics(ws: Workspace) -> list[Diagnostic]:
    """The core's workspace-level diagnostics (TC001 not UTF-8, TC002 missing, TC003 bad config)."""
    from techcat_core.rules import workspace_rules

    return workspace_rules(ws)


def read_problem(ws: Workspace, name: str, diagnostics: list[Diagnostic] | None = None) -> str | None:
    """A sentence saying why `.codex/<name>` cannot be read properly, or None when it reads (or is absent)."""
    path = ws.path(name)
    for diagnostic in diagnostics if diagnostics is not None else core_file_diagnostics(ws):
        if diagnostic.path == path and diagnostic.code == "TC001":
            start = diagnostic.range.start
            where = f"{name}:{start.line + 1}:{start.character + 1}"
            return f"{name} cannot be read as UTF-8: {where}: {diagnostic.message} ({diagnostic.code}). {SEE_PROBLEMS}"
    if path in ws.texts or not path.exists():
        return None
    what = "it is a directory, not a file" if path.is_dir() else "this user may not read it"
    return f"{name} cannot be read: {what}. {SEE_PROBLEMS}"

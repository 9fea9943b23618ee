"""The line above the log table when the task log cannot be shown whole: missing, unreadable, not an array, or
broken at a place (its first problem, located), with what to press next."""

from __future__ import annotations

from textual.markup import escape

from techcat_core.workspace import TASK_LOG, Workspace
from techcat_tui.unreadable import read_problem


def log_banner(ws: Workspace) -> str | None:
    """Markup for the banner, or None for a log that read cleanly (nothing to say)."""
    log = ws.task_log
    problem_text = read_problem(ws, TASK_LOG)
    if problem_text is not None:
        shown = f" Showing the {len(log.entries):,} entries that could be read." if log and log.entries else ""
        return f"[$text-error]{escape(problem_text)}[/]{shown}"
    if log is None:
        return ("[$text-warning]TASK-LOG.json is missing.[/] Press [b]i[/] to create the missing files "
                "(never overwrites), or log a task with `techcat log`.")
    if log.top_level not in ("array", "empty"):
        return (f"[$text-error]TASK-LOG.json holds a JSON {log.top_level}, not an array of entries.[/] "
                "See Problems (5) or edit it (e).")
    if log.problems:
        problem = log.problems[0]
        position = log.lines.position(problem.start)
        return (f"[$text-error]TASK-LOG.json:{position.line + 1}:{position.character + 1}: "
                f"{problem.message}.[/] Showing the {len(log.entries):,} entries that could be read; "
                "see Problems (5) for every issue.")
    return None

"""Logging a finished task: the one rule set every front end applies before the store appends.

- the agent must be in the roster (or the built-in `task_logger`), unless `force`; a free-form AGENTS.md
  names no agents, so any name is accepted there;
- the summary is one line: a multi-line summary is refused, not folded, since the log holds one line per task
  and joining the lines could change what the user meant (the details belong in the files);
- a date must be a calendar date in YYYY-MM-DD form and not in the future (past `[check]
  future_date_tolerance_days`);
- output files are repository-relative paths inside the repository; one that does not exist is logged
  all the same and named in a warning returned with the result (it may be deleted on purpose);
- the id, the lock and the validation against `techcat check`'s rules are the store's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from techcat_core.tasklog.dates import parse_iso_date
from techcat_core.tasklog.rules import path_escape_problem
from techcat_core.usecases.agents import require_agent
from techcat_core.usecases.entry import TaskEntry
from techcat_core.usecases.errors import UseCaseError
from techcat_core.usecases.limits import MAX_LINE, MAX_PATH
from techcat_core.usecases.loading import roster_workspace
from techcat_core.workspace import TASK_LOG, Workspace


@dataclass(frozen=True, slots=True)
class LogRequest:
    agent: str
    summary: str
    output_files: tuple[str, ...] = ()
    changed_since: str | None = None  # a git revision: the files changed since it are added
    date: str | None = None  # YYYY-MM-DD; None: today
    force: bool = False  # accept an agent the roster does not know
    done_item: int | None = None  # a PROPOSED-TASKS.md item to tick, citing the new task id


@dataclass(frozen=True, slots=True)
class PreparedLog:
    """A request that passed every rule, ready for the store (or an editor's buffer)."""

    agent: str
    summary: str
    output_files: tuple[str, ...]
    date: str
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LogResult:
    entry: TaskEntry
    warnings: tuple[str, ...] = ()
    ticked_item: int | None = None


def one_line(text: str, what: str) -> str:
    """`text` stripped; refused when empty or on several lines."""
    line = text.strip()
    if not line:
        raise UseCaseError(f"the {what} is empty; say in one line what was done")
    if len(line) > MAX_LINE:
        raise UseCaseError(f"the {what} is {len(line):,} characters long; keep it to one line of at most "
                           f"{MAX_LINE} (the details belong in the files it names)")
    count = len(line.splitlines())  # any line break: \n, \r, U+2028, a form feed…
    if count > 1:
        raise UseCaseError(f"the {what} has {count} lines; the task log holds one line per task, so write one "
                           "line (the details belong in the files it names)")
    return line


def entry_date(ws: Workspace, value: str | None, today: dt.date) -> str:
    """The entry's date: today when none is given; refused when not YYYY-MM-DD or in the future."""
    if value is None or not value.strip():
        return today.isoformat()
    date = parse_iso_date(value.strip())
    if date is None:
        raise UseCaseError(f"date {value.strip()!r} is not a calendar date in YYYY-MM-DD form")
    tolerance = ws.config.check.future_date_tolerance_days
    if date > today + dt.timedelta(days=tolerance):
        raise UseCaseError(f"date {date.isoformat()} is in the future (today is {today.isoformat()}); log a task "
                           "once it is done")
    return date.isoformat()


def output_files(ws: Workspace, files: tuple[str, ...] | list[str], changed_since: str | None = None
                 ) -> tuple[list[str], list[str]]:
    """The files to log (named ones first, then git's, each once) and the warnings about them."""
    names: list[str] = []
    named: list[str] = []
    for raw in files:
        name = raw.strip().replace("\\", "/")
        while name.startswith("./"):
            name = name[2:]
        if len(name) > MAX_PATH:
            raise UseCaseError(f"an output file name is {len(name):,} characters long, more than the {MAX_PATH} "
                               "a repository path takes; name the files, not their contents")
        problem = "is empty" if not name else path_escape_problem(name)
        if problem:
            raise UseCaseError(f'output file "{raw}" {problem}; name files relative to the repository root '
                               f"({ws.root})")
        if name not in names:
            names.append(name)
            named.append(name)
    if changed_since:
        names += [name for name in _changed(ws, changed_since) if name not in names]
    missing = [name for name in named if not _exists(ws.root / name)]
    warnings = []
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        warnings.append(f"output file{'s' if len(missing) != 1 else ''} {shown} "
                        f"{'do' if len(missing) != 1 else 'does'} not exist in {ws.root}; logged as given "
                        "(check the spelling)")
    return names, warnings


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system, say: it cannot be there
        return False


def _changed(ws: Workspace, revision: str) -> list[str]:
    from techcat_core.gitops import GitProblem, changed_since

    if ws.git_root is None:
        raise UseCaseError(f"the files changed since {revision} need a git repository, and {ws.root} is not in "
                           "one; name the output files instead")
    try:
        changed = changed_since(ws.root, revision)
    except GitProblem as error:
        raise UseCaseError(f"the files changed since {revision}: {error}") from None
    log_path = ws.relative(ws.path(TASK_LOG))
    state = ws.relative(ws.codex_dir / ".techcat") + "/"
    return [name for name in changed if name != log_path and not name.startswith(state)]


def prepare_log(ws: Workspace, request: LogRequest, today: dt.date | None = None) -> PreparedLog:
    """Apply every rule but the store's; raises UseCaseError with the first problem."""
    today = today or dt.date.today()
    agent = require_agent(ws, request.agent, request.force)
    summary = one_line(request.summary, "summary")
    date = entry_date(ws, request.date, today)
    files, warnings = output_files(ws, request.output_files, request.changed_since)
    if request.done_item is not None:
        from techcat_core.usecases.proposed_items import require_open_item

        require_open_item(ws, request.done_item)
    return PreparedLog(agent, summary, tuple(files), date, tuple(warnings))


def log_task(codex_dir: Path, request: LogRequest, today: dt.date | None = None) -> LogResult:
    """Check the request, append it through the locked store, tick `done_item`; the entry as written."""
    from techcat_core.proposed_edit import ProposedEditError
    from techcat_core.tasklog.store import StoreError, append_entry

    ws = roster_workspace(codex_dir)  # the roster and the config, never the whole (maybe huge) log
    prepared = prepare_log(ws, request, today)
    try:
        written = append_entry(ws.codex_dir, prepared.agent, prepared.summary, prepared.output_files,
                               date=prepared.date)
    except StoreError as error:
        raise UseCaseError(str(error)) from None
    entry = TaskEntry.from_value(written)
    warnings = list(prepared.warnings)
    ticked = None
    if request.done_item is not None:
        from techcat_core.usecases.proposed_items import tick

        try:
            tick(ws.codex_dir, request.done_item, task_id=entry.task_id)
            ticked = request.done_item
        except (UseCaseError, ProposedEditError, OSError) as error:
            warnings.append(f"logged {entry.task_id}, but item {request.done_item} was not ticked: {error}")
    return LogResult(entry, tuple(warnings), ticked)

"""TC403 and TC404: the task log compared with git history.

History is append-only: an entry that is in HEAD and was changed or removed since is an error.
And a log that stops being updated while commits go on is drift: one note, with a fix that logs them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.gitops import (
    SHALLOW_ADVICE,
    GitProblem,
    changed_since,
    commits_after,
    file_at_head,
    last_commit_touching,
    shallow_commits,
)
from techcat_core.head_diff import HeadDiff, common_prefix, diff_text, diff_with_head, read_blob
from techcat_core.head_window import HeadLog, head_from_window
from techcat_core.history_repairs import Repairs, canonical
from techcat_core.positions import Range
from techcat_core.tasklog.ids import next_task_id
from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log
from techcat_core.tasklog.render import detect_style, insertion, render_entry
from techcat_core.workspace import TASK_LOG, Workspace

DRIFT_AGENT = "task_logger"


def _renumbered_by_hand(log: TaskLog, entry: LogEntry, rest: str, repairs: Repairs) -> list[Diagnostic]:
    """TC403 when HEAD's duplicate-id `entry` now has an id other than the one TechCat's fix gives it."""
    moved = next((e for e in log.entries if isinstance(e.value, dict) and e.task_id != entry.task_id
                  and canonical({k: v for k, v in e.value.items() if k != "task_id"}) == rest), None)
    if moved is None or repairs.titles_for(entry, moved):
        return []  # the renumbering `techcat check --fix` offers (or the merge driver's, on incoming entries)
    offered = [fix.title for fix in repairs.offered(entry)]
    hint = f" (TechCat offers “{offered[0]}”)" if offered else ""
    return [Diagnostic.of("TC403", f"{entry.task_id} (a duplicate id in the last commit) was renumbered "
                       f"to {moved.task_id} by hand since the last commit{hint}; the task log is append-only: "
                       "restore it and let `techcat check --fix` renumber it", log.path,
                       log.range(moved.start, moved.start + 1))]


def append_only_rule(ws: Workspace, log: TaskLog, head_text: str) -> list[Diagnostic]:
    """TC403/TC406 for HEAD's entries changed or removed since; HEAD parsed only where it differs from `log`."""
    return _append_only_diff(ws, log, diff_text(log.text, head_text), lambda: head_text)


def _append_only_diff(ws: Workspace, log: TaskLog, diff: HeadDiff, read_head: Callable[[], str]) -> list[Diagnostic]:
    """The rule from how HEAD differs from `log`; `read_head()` gives HEAD's whole text, read only if needed."""
    if diff.prefix == len(log.text) == diff.size:
        return []
    window = head_from_window(log, diff)
    if window is None:
        return _append_only_full(ws, log, read_head())
    entries, before, after = window

    def whole() -> TaskLog:
        return parse_task_log(read_head(), log.path)

    head = HeadLog(log.path, entries, True, diff.prefix, lambda start, end: diff.slice(log.text, start, end), whole)
    return _append_only(ws, log, head, Repairs(ws, head), (before, len(entries) - (len(log.entries) - after), after))


def _append_only_full(ws: Workspace, log: TaskLog, head_text: str) -> list[Diagnostic]:
    """The rule with HEAD's whole log parsed and checked: the reference the windowed rule must equal, and its
    fallback."""
    if head_text == log.text:
        return []
    head = HeadLog.of(parse_task_log(head_text, log.path), common_prefix(log.text, head_text))
    return _append_only(ws, log, head, Repairs(ws, head, alone=False))


def _id_key(value: Any) -> str | None:
    """What two entries with equal values share: the `task_id` string (None for every other entry)."""
    if type(value) is dict or isinstance(value, dict):
        task_id = value.get("task_id")
        return task_id if type(task_id) is str else None
    return None


def _append_only(ws: Workspace, log: TaskLog, head: HeadLog, repairs: Repairs,
                 window: tuple[int, int, int] | None = None) -> list[Diagnostic]:
    """The comparison itself. `window` (first, end, log_end): `head.entries[first:end]` came from HEAD's
    differing part, standing where `log.entries[first:log_end]` stand; the entries around them are `log`'s own.
    """
    if not head.valid or not head.entries:
        return []
    if head.prefix >= head.entries[-1].end:
        return []  # a pure append: every byte of HEAD's entries is unchanged
    current: Counter[str] | None = None
    compared: list[LogEntry] = head.entries
    keys: list[str] | None = None
    if window is not None:
        # HEAD's entries around the window are `log`'s: each finds its own value in `current`. When no value
        # of the window's is also one of theirs, they use up nothing the window's entries could match: only
        # the window's entries need comparing, and only the values of `log`'s entries that share an id with
        # them need counting (equal values have equal ids). Else the whole comparison, as it always was.
        first, end, log_end = window
        keys = [canonical(e.value) for e in head.entries[first:end]]
        wanted = {_id_key(e.value) for e in head.entries[first:end]}
        current = Counter(canonical(e.value) for e in log.entries if _id_key(e.value) in wanted)
        theirs = Counter(canonical(e.value) for e in log.entries[first:log_end])
        if all(current[key] == theirs[key] for key in keys):
            compared = head.entries[first:end]
        else:
            keys = current = None
    if current is None:
        current = Counter(canonical(e.value) for e in log.entries)
    without_ids: list[Counter[str]] = []
    head_ids = Counter(e.task_id for e in head.entries)
    by_id = {e.task_id: e for e in log.entries if e.task_id}
    out: list[Diagnostic] = []
    for position, entry in enumerate(compared):
        key = keys[position] if keys is not None else canonical(entry.value)
        if current[key] > 0:
            current[key] -= 1
            continue
        if isinstance(entry.value, dict):
            rest = canonical({k: v for k, v in entry.value.items() if k != "task_id"})
            if head_ids[entry.task_id] > 1 and not without_ids:
                without_ids.append(Counter(canonical({k: v for k, v in e.value.items() if k != "task_id"})
                                           for e in log.entries if isinstance(e.value, dict)))
            without_id = without_ids[0] if without_ids else Counter()
            if head_ids[entry.task_id] > 1 and without_id[rest] > 0:
                without_id[rest] -= 1  # a duplicate id renumbered: by `check --fix`, or by hand to another id?
                out.extend(_renumbered_by_hand(log, entry, rest, repairs))
                continue
        label = entry.task_id or f"entry {entry.index + 1}"
        found = by_id.get(entry.task_id) if entry.task_id else None
        if found is None and entry.index < len(log.entries):
            found = log.entries[entry.index]  # an id repaired too (`TASK_12` → `task-012`): the same place
        repaired = repairs.titles_for(entry, found) if found is not None else None
        if found is not None and repaired:
            out.append(Diagnostic.of("TC406", f"{label} was repaired since the last commit ("
                                  f"{'; '.join(repaired)}): brought to its valid form by a fix TechCat offers, so "
                                  "it is not a history rewrite; commit the repair", log.path,
                                  log.range(found.start, found.start + 1)))
            continue
        if found is not None and entry.task_id and by_id.get(entry.task_id) is None:
            found = None  # the entry at that place is another one: this one was removed
        if found is not None:
            out.append(Diagnostic.of("TC403", f"{label} was changed since the last commit; "
                                  "the task log is append-only: restore it (`git checkout -p` on the log) "
                                  "and log a new task instead",
                                  log.path, log.range(found.start, found.start + 1)))
        else:
            start = log.top_level_span[0]
            out.append(Diagnostic.of("TC403", f"{label} (in the last commit) was removed; the task log is "
                                  "append-only: restore it from git", log.path, log.range(start, start + 1)))
    return out


def drift_rule(ws: Workspace, log: TaskLog) -> list[Diagnostic]:
    rel = ws.relative(log.path)
    anchor = last_commit_touching(ws.root, rel)
    if anchor is None or not log.valid:
        return []
    if anchor in shallow_commits(ws.root):  # its parents were not fetched: it only seems to add the log
        raise GitProblem(f"this is a shallow clone: the history before {anchor[:8]} was not fetched, so git cannot "
                         f"tell which commit last changed {rel} nor count the commits since; {SHALLOW_ADVICE}")
    commits = commits_after(ws.root, anchor)
    if not commits:
        return []
    try:
        files = [f for f in changed_since(ws.root, anchor, include_untracked=False) if f != rel]
    except GitProblem:
        files = []
    subjects = "; ".join(c.summary for c in reversed(commits[:5]))
    more = f" and {len(commits) - 5} more" if len(commits) > 5 else ""
    entry = {
        "task_id": next_task_id(e.task_id for e in log.entries),
        "agent": DRIFT_AGENT,
        "date": commits[0].date,
        "summary": (subjects + more)[:300],
        "output_files": files[:200],
    }
    style = detect_style(log)
    start, end, text = insertion(log, [render_entry(entry, style)], style)
    fix = Fix(f"Log the {len(commits)} unlogged commit{'s' if len(commits) != 1 else ''} as {entry['task_id']}",
              (TextEdit(log.path, log.range(start, end), text),), safe=False)
    noun = "commit" if len(commits) == 1 else "commits"
    span = commits[0].sha[:8] if len(commits) == 1 else f"{commits[-1].sha[:8]}…{commits[0].sha[:8]}"
    last_entry = log.entries[-1] if log.entries else None
    where = log.range(last_entry.start, last_entry.start + 1) if last_entry else Range.of(0, 0)
    return [Diagnostic.of("TC404", f"{len(commits)} {noun} since the last logged task "
                       f"({span}) {'has' if len(commits) == 1 else 'have'} no task-log entry", log.path, where, (fix,))]


RULE_NAMES = {"TC403": "TC403 (append-only)", "TC404": "TC404 (unlogged commits)"}


def skipped_notice(log: TaskLog, skipped: dict[str, str]) -> Diagnostic:
    """One note (TC405) saying which history checks did not run, why, and what to do."""
    names = " and ".join(RULE_NAMES[code] for code in skipped)
    reasons = list(dict.fromkeys(skipped.values()))
    reason = "; ".join(reasons)
    plural = len(skipped) > 1
    advice = "" if "shallow clone" in reason else (
        ("" if "git fsck" in reason else " (`git fsck` checks the repository)") +
        "; the other checks ran, and `techcat check --no-git` skips the history checks without this note")
    start = log.top_level_span[0]
    where = log.range(start, min(len(log.text), start + 1)) if log.text else Range.of(0, 0)
    return Diagnostic.of("TC405", f"git history check{'s' if plural else ''} {names} "
                         f"{'were' if plural else 'was'} skipped: {reason}{advice}", log.path, where)


def _read_head(path: Path, blob: str) -> str:
    """HEAD's whole log, from the blob the diff streamed (so both are of one commit)."""
    try:
        return read_blob(path, blob)
    except (OSError, UnicodeDecodeError):
        return file_at_head(path) or ""


def history_rules(ws: Workspace) -> list[Diagnostic]:
    """TC403 and TC404. They are best effort, so a git failure never stops the rest of the check, but it is
    never silent either: a rule git could not run is named in one informational note with the reason."""
    log = ws.task_log
    if log is None or ws.git_root is None:
        return []
    out: list[Diagnostic] = []
    skipped: dict[str, str] = {}
    try:
        from techcat_core.appends_to_head import appends_to_head  # HEAD's log is read whole only when it must be

        path = ws.path(TASK_LOG)
        if not appends_to_head(path, log.text):
            streamed = diff_with_head(path, log.text)
            if streamed is not None:
                diff, blob = streamed
                out += _append_only_diff(ws, log, diff, lambda: _read_head(path, blob))
            elif (head_text := file_at_head(path)) is not None:
                out += append_only_rule(ws, log, head_text)
    except GitProblem as error:
        skipped["TC403"] = str(error)
    try:
        out += drift_rule(ws, log)
    except GitProblem as error:
        skipped["TC404"] = str(error)
    if skipped:
        out.append(skipped_notice(log, skipped))
    return out

"""TC403 and TC404: the task log compared with git history.

History is append-only: an entry that is in HEAD and was changed or removed since is an error.
And a log that stops being updated while commits go on is drift: one note, with a fix that logs them.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import json
from collections import Counter
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.edits import FixConflict, apply_edits
from techcat_core.gitops import (
    SHALLOW_ADVICE,
    GitProblem,
    changed_since,
    commits_after,
    file_at_head,
    last_commit_touching,
    shallow_commits,
)
from techcat_core.positions import LineIndex, Range
from techcat_core.tasklog.ids import next_task_id
from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log, skip_whitespace
from techcat_core.tasklog.render import detect_style, insertion, render_entry
from techcat_core.workspace import TASK_LOG, Workspace

DRIFT_AGENT = "task_logger"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class Repairs:
    """The fixes TechCat offers for the entries of HEAD's log: a change that applies some of them is a repair.

    Computed once, and only when an entry changed; each changed entry is compared with its HEAD version
    after every combination of its own fixes (an entry has a handful), applied to the entry's text alone.
    """

    _MAX_FIXES = 6

    def __init__(self, ws: Workspace, head: TaskLog) -> None:
        self.ws = ws
        self.head = head
        self._by_entry: dict[int, list[Fix]] | None = None

    def _fixes(self) -> dict[int, list[Fix]]:
        if self._by_entry is None:
            from techcat_core.rules import agent_reference_rules
            from techcat_core.tasklog.rules import check_task_log

            head_ws = dataclasses.replace(self.ws, task_log=self.head)
            diagnostics = [*check_task_log(self.head, self.ws.root, dt.date.today(),
                                           self.ws.config.check.future_date_tolerance_days),
                           *agent_reference_rules(head_ws)]
            by_entry: dict[int, list[Fix]] = {}
            for diagnostic in diagnostics:
                for fix in diagnostic.fixes[:1]:
                    if fix.edits and all(edit.path == self.head.path for edit in fix.edits):
                        entry = self.head.entry_at(self.head.lines.offset(fix.edits[0].range.start))
                        if entry is not None:
                            by_entry.setdefault(entry.index, []).append(fix)
            self._by_entry = by_entry
        return self._by_entry

    def offered(self, entry: LogEntry) -> list[Fix]:
        """The fixes TechCat offers for HEAD's `entry`."""
        return self._fixes().get(entry.index, [])

    def titles_for(self, entry: LogEntry, current: LogEntry) -> list[str]:
        """The fixes that turn HEAD's `entry` into `current`, or [] when no combination of them does."""
        fixes = self._fixes().get(entry.index, [])[:self._MAX_FIXES]
        if not fixes:
            return []
        target = _canonical(current.value)
        text = self.head.text[entry.start:entry.end]
        piece = LineIndex(text)
        for size in range(1, len(fixes) + 1):
            for chosen in itertools.combinations(fixes, size):
                edits = [TextEdit(edit.path, _shift(self.head, edit.range, entry.start, piece), edit.new_text)
                         for fix in chosen for edit in fix.edits]
                try:
                    value = json.loads(apply_edits(text, edits))
                except (ValueError, FixConflict):
                    continue
                if _canonical(value) == target:
                    return [fix.title for fix in chosen]
        return []


def _shift(log: TaskLog, rng: Range, base: int, piece: LineIndex) -> Range:
    """`rng` of the whole log as a range of `piece`, the text that starts at offset `base` (one entry's)."""
    start = piece.position(log.lines.offset(rng.start) - base)
    end = piece.position(log.lines.offset(rng.end) - base)
    return Range(start, end)


def _renumbered_by_hand(log: TaskLog, entry: LogEntry, rest: str, repairs: Repairs) -> list[Diagnostic]:
    """TC403 when HEAD's duplicate-id `entry` now has an id other than the one TechCat's fix gives it."""
    moved = next((e for e in log.entries if isinstance(e.value, dict) and e.task_id != entry.task_id
                  and _canonical({k: v for k, v in e.value.items() if k != "task_id"}) == rest), None)
    if moved is None or repairs.titles_for(entry, moved):
        return []  # the renumbering `techcat check --fix` offers (or the merge driver's, on incoming entries)
    offered = [fix.title for fix in repairs.offered(entry)]
    hint = f" (TechCat offers “{offered[0]}”)" if offered else ""
    return [Diagnostic.of("TC403", f"{entry.task_id} (a duplicate id in the last commit) was renumbered "
                       f"to {moved.task_id} by hand since the last commit{hint}; the task log is append-only: "
                       "restore it and let `techcat check --fix` renumber it", log.path,
                       log.range(moved.start, moved.start + 1))]


_CHUNK = 1 << 16


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix: slices compared 64 KiB at a time, then bisected (no char loop)."""
    limit = min(len(a), len(b))
    at = 0
    while at < limit and a[at:min(limit, at + _CHUNK)] == b[at:min(limit, at + _CHUNK)]:
        at += _CHUNK
    if at >= limit:
        return limit
    low, high = at, min(limit, at + _CHUNK)  # a[:low] == b[:low]; a[:high] != b[:high]
    while high - low > 1:
        mid = (low + high) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    size = 0
    while size < limit:
        step = min(_CHUNK, limit - size)
        if a[len(a) - size - step:len(a) - size] != b[len(b) - size - step:len(b) - size]:
            break
        size += step
    else:
        return limit
    low, high = size, size + step  # the last `low` chars agree; the last `high` do not
    while high - low > 1:
        mid = (low + high) // 2
        if a[len(a) - mid:len(a) - low] == b[len(b) - mid:len(b) - low]:
            low = mid
        else:
            high = mid
    return low


def _head_from_window(log: TaskLog, head_text: str) -> tuple[TaskLog, int, int] | None:
    """HEAD's log as `parse_task_log` would give it, parsing only the part of it that differs from `log`.

    The entries before the first difference and after the last are `log`'s (same text, and the window is
    cut between entries, so they lex the same): their values are shared, offsets and indexes shifted.
    With it, `before` and `after`: `log.entries[before:after]` are the ones HEAD's window replaces.
    None when that cannot be shown (an invalid log or window, a difference at the array's brackets):
    the caller parses HEAD whole.
    """
    text = log.text
    entries = log.entries
    if not log.valid or not entries or log.array_close is None:
        return None
    prefix = _common_prefix(text, head_text)
    suffix = _common_suffix(text, head_text, min(len(text), len(head_text)) - prefix)
    delta = len(head_text) - len(text)
    ends = [e.end for e in entries]
    before = bisect.bisect_right(ends, prefix)  # entries[:before] end inside the common prefix
    starts = [e.start for e in entries]
    after = bisect.bisect_left(starts, len(text) - suffix)  # entries[after:] start inside the common suffix
    if before > after:
        return None
    open_at = log.top_level_span[0]
    if before:
        left = entries[before - 1].end
    elif open_at + 1 <= prefix:
        left = open_at + 1
    else:
        return None
    if after < len(entries):
        right = entries[after].start
    elif log.array_close >= len(text) - suffix:
        right = log.array_close
    else:
        return None
    if not before and after == len(entries):
        return None  # every entry differs: nothing to save
    window_end = right + delta
    if window_end < left:
        return None
    inner = _window_inner(head_text, left, window_end, bool(before), after < len(entries))
    if inner is None:
        return None
    inner_start, inner_end = inner
    if inner_start < inner_end:
        piece = parse_task_log("[" + head_text[inner_start:inner_end] + "]", log.path)
        if not piece.valid or not piece.entries:
            return None
        middle = piece.entries
    else:
        middle = []
    shift = inner_start - 1
    head_entries = [LogEntry(e.index, e.start, e.end, e.value) for e in entries[:before]]
    head_entries += [LogEntry(before + k, e.start + shift, e.end + shift, e.value) for k, e in enumerate(middle)]
    moved = before + len(middle) - after
    head_entries += [LogEntry(e.index + moved, e.start + delta, e.end + delta, e.value) for e in entries[after:]]
    head = TaskLog(log.path, head_text, head_entries, top_level=log.top_level,
                   top_level_span=log.top_level_span, array_close=log.array_close + delta)
    return head, before, after


def _window_inner(text: str, start: int, end: int, after_entry: bool, before_entry: bool) -> tuple[int, int] | None:
    """The entries' part of `text[start:end]`, between the commas that join it to the entries around it.

    None when the window is not such a sequence there (its entries are checked by parsing them).
    """
    low = skip_whitespace(text, start)
    high = end
    while high > low and text[high - 1] in " \t\n\r":
        high -= 1
    if after_entry:
        if low >= high or text[low] != ",":
            return None
        low = skip_whitespace(text, low + 1)
        if low > high:
            low = high
    if before_entry:
        if low == high:
            return (low, low)  # no entries in between: the one comma (or the bracket) joins them
        if text[high - 1] != ",":
            return None
        high -= 1
        while high > low and text[high - 1] in " \t\n\r":
            high -= 1
        if low == high:
            return None  # `,,`: an empty entry
    elif low == high and after_entry:
        return None  # `a, ]`: a trailing comma
    return (low, high)


def append_only_rule(ws: Workspace, log: TaskLog, head_text: str) -> list[Diagnostic]:
    """TC403/TC406 for HEAD's entries changed or removed since; HEAD parsed only where it differs from `log`."""
    if head_text == log.text:
        return []
    window = _head_from_window(log, head_text)
    if window is None:
        return _append_only_full(ws, log, head_text)
    head, before, after = window
    return _append_only(ws, log, head, (before, len(head.entries) - (len(log.entries) - after), after))


def _append_only_full(ws: Workspace, log: TaskLog, head_text: str) -> list[Diagnostic]:
    """The rule with HEAD's whole log parsed: the reference the windowed parse must equal, and its fallback."""
    if head_text == log.text:
        return []
    return _append_only(ws, log, parse_task_log(head_text, log.path))


def _append_only(ws: Workspace, log: TaskLog, head: TaskLog,
                 window: tuple[int, int, int] | None = None) -> list[Diagnostic]:
    """The comparison itself. `window` (first, end, log_end): `head.entries[first:end]` came from HEAD's
    differing part, standing where `log.entries[first:log_end]` stand; the entries around them are `log`'s own.
    """
    head_text = head.text
    if not head.valid or not head.entries:
        return []
    last = head.entries[-1]
    if log.text[:last.end] == head_text[:last.end]:
        return []  # a pure append: every byte of HEAD's entries is unchanged
    current = Counter(_canonical(e.value) for e in log.entries)
    without_ids: list[Counter[str]] = []
    head_ids = Counter(e.task_id for e in head.entries)
    by_id = {e.task_id: e for e in log.entries if e.task_id}
    repairs = Repairs(ws, head)
    out: list[Diagnostic] = []
    compared: list[LogEntry] = head.entries
    keys: list[str] | None = None
    if window is not None:
        # HEAD's entries around the window are `log`'s: each finds its own value in `current`. When no value
        # of the window's is also one of theirs, they use up nothing the window's entries could match: only
        # the window's entries need comparing (else the whole comparison, as it always was).
        first, end, log_end = window
        keys = [_canonical(e.value) for e in head.entries[first:end]]
        theirs = Counter(_canonical(e.value) for e in log.entries[first:log_end])
        if all(current[key] == theirs[key] for key in keys):
            compared = head.entries[first:end]
        else:
            keys = None
    for position, entry in enumerate(compared):
        key = keys[position] if keys is not None else _canonical(entry.value)
        if current[key] > 0:
            current[key] -= 1
            continue
        if isinstance(entry.value, dict):
            rest = _canonical({k: v for k, v in entry.value.items() if k != "task_id"})
            if head_ids[entry.task_id] > 1 and not without_ids:
                without_ids.append(Counter(_canonical({k: v for k, v in e.value.items() if k != "task_id"})
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

        head_text = None if appends_to_head(ws.path(TASK_LOG), log.text) else file_at_head(ws.path(TASK_LOG))
        if head_text is not None:
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

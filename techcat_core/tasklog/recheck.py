"""Re-checking an edited task log: only the entries an edit replaced go through the per-entry rules again.

`LogChecker` keeps each entry's diagnostics (from `TaskLogRules.entry` and `.entry_paths`, TC401 from
`agent_reference_rules`) and re-runs those rules only on the entries the edit replaced; entries that moved
by whole lines have their diagnostics shifted. The log-wide rules run over cached per-entry facts: the id
rules (`TaskLogRules.id_rules`) only when an id changed, the files-exist gate from a running count, TC115
only among entries whose pre-filter bucket repeats. No rule is restated here: the results equal the full
check's (tests/test_incremental.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.positions import Position, Range
from techcat_core.rules import agent_reference_rules, has_roster
from techcat_core.tasklog.duplicates import bucket, duplicate_entries
from techcat_core.tasklog.parse import TaskLog
from techcat_core.tasklog.reparse import Splice
from techcat_core.tasklog.rules import TaskLogRules, id_fact
from techcat_core.workspace import Workspace


def _shift_range(rng: Range, lines: int) -> Range:
    return Range(Position(rng.start.line + lines, rng.start.character),
                 Position(rng.end.line + lines, rng.end.character))


def _shift(diagnostic: Diagnostic, lines: int) -> Diagnostic:
    if lines == 0:
        return diagnostic
    fixes = tuple(Fix(f.title, tuple(TextEdit(e.path, _shift_range(e.range, lines), e.new_text) for e in f.edits),
                      f.safe) for f in diagnostic.fixes)
    return dataclasses.replace(diagnostic, range=_shift_range(diagnostic.range, lines), fixes=fixes)


def _shifted(indices: set[int], prefix: int, moved: int) -> set[int]:
    """`indices` after a splice at `prefix` that added `moved` entries (the replaced ones were dropped)."""
    if not moved:
        return indices
    return {i if i < prefix else i + moved for i in indices}


_NOWHERE = Position(0, 0)  # the anchor of an entry without diagnostics (one object for all)


@dataclass(slots=True)
class _EntryResult:
    """What the per-entry rules said about one entry, and the facts the whole-log passes need."""

    index: int  # only meaningful when `index_sensitive`
    index_sensitive: bool  # a message cites the entry's number ("entry 12 has no ...")
    anchor: Position  # where the entry started when the diagnostics were made
    local: tuple[Diagnostic, ...]  # TC102-TC109
    agent: tuple[Diagnostic, ...]  # TC401
    escapes: tuple[Diagnostic, ...]  # TC113
    missing: tuple[Diagnostic, ...]  # TC114, reported only when some logged file exists
    existing: int  # output paths (inside the repository) that exist
    paths: Sequence[object]  # its output_files (the entry's own list, not a copy), to refresh on file changes
    id_fact: tuple[bool, str | None]  # (is an object, its task_id): all the id pass reads
    number: int | None  # the id's number when it is well formed
    width: int  # its digit count (0 when not well formed)
    has_output: bool
    bucket: int | None  # the hash of TC115's pre-filter (agent, date, summary; a collision costs a closer
    # look, never a wrong answer, and an int is 32 bytes where the key is ~250); None: not an object


class LogChecker:
    """The TC1xx and TC401 diagnostics of successive versions of one task log, re-checking only what changed.

    Call `check(ws, splice)` with each new version (`splice` from `reparse_spliced`, None after a full
    parse). Runs the rules of `check_task_log`, `duplicate_entries` and `agent_reference_rules` themselves,
    on the entries that changed; tests/test_incremental.py proves the result equal to a full check.
    """

    def __init__(self) -> None:
        self._results: list[_EntryResult | None] = []
        self._context: tuple[Any, ...] | None = None
        self._roster: tuple[frozenset[str], bool] | None = None
        self._exists: dict[str, bool] = {}
        self._existing_total = 0
        self._ids: Counter[str] = Counter()
        self._ids_valid = False
        self._id_diags: dict[int, list[Diagnostic]] = {}
        self._id_anchors: dict[int, Position] = {}
        self._buckets: Counter[int] = Counter()
        self._repeated: set[int] = set()  # buckets of more than one entry: TC115 looks only at those
        # The few entries the whole-log passes look at, so an edit does not walk 100k results for them:
        self._marked: set[int] = set()  # results with diagnostics or an index-sensitive message
        self._in_repeated: set[int] = set()  # results whose bucket is in `_repeated`

    @property
    def task_ids(self) -> AbstractSet[str]:
        """The well-formed task ids of the last checked version (what TC302 compares with)."""
        return self._ids.keys()

    def known_paths(self) -> dict[str, bool]:
        """Every output path checked so far, and whether it existed: to notice files created or deleted."""
        return dict(self._exists)

    def forget_paths(self, paths: Iterable[str] | None = None) -> None:
        """Files appeared or vanished on disk: re-check the entries naming them (every entry when None)."""
        if paths is None:
            self._exists.clear()
            self._reset(len(self._results))
            return
        changed = set(paths)
        for name in changed:
            self._exists.pop(name, None)
        for i, result in enumerate(self._results):
            if result is not None and any(type(p) is str and p in changed for p in result.paths):
                self._drop(i)

    def check(self, ws: Workspace, splice: Splice | None, today: dt.date | None = None) -> list[Diagnostic]:
        """TC1xx and TC401 for `ws.task_log`, which `splice` relates to the log of the previous call."""
        log = ws.task_log
        if log is None:
            self._reset(0)
            return []
        today = today or dt.date.today()
        tolerance = ws.config.check.future_date_tolerance_days
        context = (ws.root, today, tolerance)
        roster = (frozenset(ws.agent_names), has_roster(ws))
        roster_changed = False
        if (context != self._context or splice is None or roster[1] != (self._roster or roster)[1]
                or len(self._results) != len(log.entries) - splice.new_count + splice.old_count):
            self._context = context
            self._reset(len(log.entries))
        else:
            self._apply_splice(log, splice)
            roster_changed = roster != self._roster
        self._roster = roster
        if log.top_level not in ("array", "empty"):
            self._reset(0)
            return TaskLogRules(log, ws.root, today, tolerance).run()
        checker = TaskLogRules(log, ws.root, today, tolerance, self._exists)
        checker.syntax()
        out = list(checker.take())
        results = self._results  # the stale ones are None: found at C speed (100k results an edit)
        self._compute(ws, log, list(itertools.compress(range(len(results)), map(operator.is_, results,
                                                                                 itertools.repeat(None)))),
                      checker)
        self._move_anchors(log)
        if roster_changed:
            self._refresh_agents(ws, log)
        gate = self._existing_total > 0
        results = self._results
        for i in sorted(self._marked):
            result = results[i]
            if result is not None and result.has_output:
                out.extend(result.local)
                out.extend(result.agent)
                out.extend(result.escapes)
                if gate:
                    out.extend(result.missing)
        out.extend(self._id_pass(log, checker))
        if self._repeated:
            out.extend(duplicate_entries(log, sorted(self._in_repeated)))
        return out

    def _move_anchors(self, log: TaskLog) -> None:
        """Shift the diagnostics of entries that moved down or up by whole lines since they were made."""
        position = log.lines.position
        results = self._results
        for i in sorted(self._marked):
            result = results[i]
            if result is None or not result.has_output:
                continue
            where = position(log.entries[i].start)
            if where != result.anchor:
                lines = where.line - result.anchor.line
                result.local = tuple(_shift(d, lines) for d in result.local)
                result.agent = tuple(_shift(d, lines) for d in result.agent)
                result.escapes = tuple(_shift(d, lines) for d in result.escapes)
                result.missing = tuple(_shift(d, lines) for d in result.missing)
                result.anchor = where

    def _refresh_agents(self, ws: Workspace, log: TaskLog) -> None:
        """The roster's names changed: re-run TC401 over the whole log (cheap), not every entry's rules."""
        found: dict[int, list[Diagnostic]] = {}
        for diagnostic in agent_reference_rules(ws):
            entry = log.entry_at(log.lines.offset(diagnostic.range.start))
            if entry is not None:
                found.setdefault(entry.index, []).append(diagnostic)
        position = log.lines.position
        for i, result in enumerate(self._results):
            if result is None or (not result.agent and i not in found):
                continue
            if not result.has_output:
                result.anchor = position(log.entries[i].start)
            result.agent = tuple(found.get(i, ()))
            result.has_output = bool(result.local or result.agent or result.escapes or result.missing)
            if result.has_output or result.index_sensitive:
                self._marked.add(i)
            else:
                self._marked.discard(i)

    # -- bookkeeping ----------------------------------------------------------------------------------

    def _reset(self, count: int) -> None:
        self._results = [None] * count
        self._existing_total = 0
        self._ids.clear()
        self._ids_valid = False
        self._id_diags = {}
        self._id_anchors = {}
        self._buckets.clear()
        self._repeated.clear()
        self._marked = set()
        self._in_repeated = set()

    def _drop(self, i: int) -> None:
        result = self._results[i]
        if result is None:
            return
        self._existing_total -= result.existing
        self._marked.discard(i)
        self._in_repeated.discard(i)
        if result.bucket is not None:
            self._buckets[result.bucket] -= 1
            if self._buckets[result.bucket] <= 1:
                if result.bucket in self._repeated:
                    self._repeated.discard(result.bucket)
                    results = self._results
                    self._in_repeated = {k for k in self._in_repeated
                                         if (r := results[k]) is not None and r.bucket != result.bucket}
                if self._buckets[result.bucket] <= 0:
                    del self._buckets[result.bucket]
        task_id = result.id_fact[1]
        if result.number is not None and task_id is not None:
            self._ids[task_id] -= 1
            if self._ids[task_id] <= 0:
                del self._ids[task_id]
        self._results[i] = None

    def _apply_splice(self, log: TaskLog, splice: Splice) -> None:
        """Keep the results of the entries the edit did not touch; decide whether the id pass re-runs."""
        end_old = splice.prefix + splice.old_count
        removed = self._results[splice.prefix:end_old]
        for i in range(splice.prefix, end_old):
            self._drop(i)
        results = self._results[:splice.prefix] + [None] * splice.new_count + self._results[end_old:]
        self._results = results
        moved = splice.new_count - splice.old_count
        self._marked = _shifted(self._marked, splice.prefix, moved)
        self._in_repeated = _shifted(self._in_repeated, splice.prefix, moved)
        position = log.lines.position
        first_after = splice.prefix + splice.new_count
        watch = [i for i in sorted(self._marked) if i >= first_after
                 if (r := results[i]) is not None and (r.index_sensitive or r.has_output)]
        for i in watch:
            result = results[i]
            assert result is not None
            if result.index_sensitive and result.index != i:
                self._drop(i)  # its message cites the entry's number, which moved
            elif result.has_output and position(log.entries[i].start).character != result.anchor.character:
                self._drop(i)  # the entry moved within its line: re-check rather than shift
        new_facts = [(e.is_object, e.task_id if e.is_object else None)
                     for e in log.entries[splice.prefix:first_after]]
        old_facts = [r.id_fact if r is not None else None for r in removed]
        touched = range(splice.prefix, splice.prefix + max(splice.new_count, splice.old_count))
        if (old_facts != new_facts or any(i in self._id_diags for i in touched)
                or (splice.line_delta and any(d.code == "TC111" for ds in self._id_diags.values() for d in ds))):
            self._ids_valid = False  # an id changed, or a TC111 message cites a line that may have moved

    def _compute(self, ws: Workspace, log: TaskLog, stale: list[int], checker: TaskLogRules) -> None:
        if not stale:
            return
        entries = log.entries
        subset = TaskLog(log.path, log.text, entries=[entries[i] for i in stale])
        subset.lines = log.lines
        agent_diags: dict[int, list[Diagnostic]] = {}
        for diagnostic in agent_reference_rules(dataclasses.replace(ws, task_log=subset)):
            entry = subset.entry_at(log.lines.offset(diagnostic.range.start))
            if entry is not None:
                agent_diags.setdefault(entry.index, []).append(diagnostic)
        checker.log = subset
        position = log.lines.position
        newly_repeated: set[int] = set()
        for i in stale:
            entry = entries[i]
            checker.entry(entry)
            local = checker.take()
            escaped: list[Diagnostic] = []
            absent: list[Diagnostic] = []
            existing = checker.entry_paths(entry, escaped, absent) if entry.is_object else 0
            escapes, missing = tuple(escaped), tuple(absent)
            files = entry.get("output_files")
            paths: Sequence[object] = files if type(files) is list else ()
            agent = tuple(agent_diags.get(entry.index, ()))
            task_id, number, width = id_fact(entry)
            has_output = bool(local or agent or escapes or missing)
            key = None if (coarse := bucket(entry.value)) is None else hash(coarse)
            index_sensitive = not entry.is_object or not entry.task_id
            self._results[i] = _EntryResult(
                i, index_sensitive, position(entry.start) if has_output else _NOWHERE,
                local, agent, escapes, missing, existing, paths, (entry.is_object, task_id),
                number, width, has_output, key)
            if has_output or index_sensitive:
                self._marked.add(i)
            if key is not None:
                self._buckets[key] += 1
                if key in self._repeated:
                    self._in_repeated.add(i)
                elif self._buckets[key] > 1:
                    self._repeated.add(key)
                    newly_repeated.add(key)  # the entries that had it alone are found below, in one pass
            self._existing_total += existing
            if number is not None and task_id is not None:
                self._ids[task_id] += 1
        if newly_repeated:
            self._in_repeated.update(k for k, r in enumerate(self._results)
                                     if r is not None and r.bucket in newly_repeated)
        checker.log = log

    # -- the id pass ----------------------------------------------------------------------------------

    def _id_pass(self, log: TaskLog, checker: TaskLogRules) -> list[Diagnostic]:
        """TC110-TC112 over the whole log; re-run only when an id (or a line a message cites) changed."""
        position = log.lines.position
        moved: dict[int, Position] = {}
        if self._ids_valid:
            for key, anchor in self._id_anchors.items():
                where = position(log.entries[key].start) if key < len(log.entries) else None
                if where is None or where.character != anchor.character:
                    self._ids_valid = False
                    break
                if where != anchor:
                    moved[key] = where
        if not self._ids_valid:
            checker.log = log
            checker.log = log
            checker.id_rules(log.entries, [(r.id_fact[1], r.number, r.width) for r in self._results
                                           if r is not None])
            found = list(checker.take())
            self._id_diags = {}
            self._id_anchors = {}
            for diagnostic in found:
                entry = log.entry_at(log.lines.offset(diagnostic.range.start))
                key = entry.index if entry is not None else -1
                self._id_diags.setdefault(key, []).append(diagnostic)
                if entry is not None:
                    self._id_anchors[key] = position(entry.start)
            self._ids_valid = True
            return found
        out: list[Diagnostic] = []
        for key, diagnostics in self._id_diags.items():
            where = moved.get(key)
            if where is not None:
                lines = where.line - self._id_anchors[key].line
                diagnostics[:] = [_shift(d, lines) for d in diagnostics]
                self._id_anchors[key] = where
            out.extend(diagnostics)
        return out

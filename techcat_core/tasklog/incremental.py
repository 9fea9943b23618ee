"""Incremental re-parsing and re-checking of `TASK-LOG.json` for editors that send one keystroke at a time.

A 100k-entry log is 40 MB; parsing it costs ~0.3 s and checking it more, far too slow to repeat on
every keystroke. An edit touches one or two entries, so:

- `BlockLineIndex` keeps line starts in blocks, so an edit rebuilds one block and shifts the others;
- `reparse` resumes the parser at the last clean entry before the edit and stops as soon as it is
  back in step with the previous parse, reusing (and shifting) the entries after it;
- `LogChecker` keeps each entry's diagnostics and re-runs the per-entry rules only on the entries
  the edit replaced; the whole-log passes (ids, the files-exist gate) use cached per-entry facts.

The results equal a full `parse_task_log` / `check_workspace(git=False)`; tests/test_incremental.py
proves it on random logs and random edits.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.positions import LineIndex, Position, Range
from techcat_core.rules import (
    agent_reference_rules,
    has_roster,
    placeholder_rules,
    proposed_rules,
    roster_rules,
    workspace_rules,
)
from techcat_core.tasklog.duplicates import bucket, duplicate_entries
from techcat_core.tasklog.ids import TASK_ID, format_task_id, repair_task_id, task_number
from techcat_core.tasklog.parse import (
    LogEntry,
    ResumeStateUnknown,
    SyntaxProblem,
    TaskLog,
    _skip_ws,
    parse_entries,
    parse_task_log,
)
from techcat_core.tasklog.rules import _Checker, _json_type, path_escape_problem
from techcat_core.workspace import Workspace

_NEWLINE = re.compile(r"\n")
BLOCK_LINES = 2048
# Problems at the very end of the file that do not depend on the parser's state when it reaches them.
_TAIL_PROBLEMS = ("unexpected end of file", "unexpected text after the closing ']'")

# ---------------------------------------------------------------------------------------------------
# Line index
# ---------------------------------------------------------------------------------------------------


class BlockLineIndex(LineIndex):
    """A `LineIndex` whose line starts live in blocks of ~2k lines, each relative to its block's base.

    `edited()` returns a new index for the edited text that shares every untouched block with this
    one: an edit costs one block rebuild plus a shift of the block bases, not a re-split of the text.
    Instances are immutable, so an older document version keeps a valid index.
    """

    __slots__ = ("_bases", "_blocks", "_firsts")

    def __init__(self, text: str, blocks: tuple[list[int], list[int], list[list[int]]] | None = None) -> None:
        super().__init__(text)
        if blocks is None:
            starts = [0]
            starts.extend(m.end() for m in _NEWLINE.finditer(text))
            blocks = _chunk(starts, 0)
        self._bases, self._firsts, self._blocks = blocks

    @property
    def starts(self) -> list[int]:
        """Every line start; materialised on demand (the block methods below never need it)."""
        if self._starts is None:
            result: list[int] = []
            for base, block in zip(self._bases, self._blocks, strict=True):
                result.extend(base + rel for rel in block)
            self._starts = result
        return self._starts

    @property
    def line_count(self) -> int:
        return self._firsts[-1] + len(self._blocks[-1])

    def line_start(self, line: int) -> int | None:
        if line < 0:
            return None
        b = bisect.bisect_right(self._firsts, line) - 1
        k = line - self._firsts[b]
        block = self._blocks[b]
        if k >= len(block):
            return None
        return self._bases[b] + block[k]

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        b = bisect.bisect_right(self._bases, offset) - 1
        block = self._blocks[b]
        rel = offset - self._bases[b]
        k = bisect.bisect_right(block, rel) - 1
        return Position(self._firsts[b] + k, rel - block[k])

    def offset(self, position: Position) -> int:
        start = self.line_start(max(position.line, 0))
        if start is None:
            return len(self.text)
        following = self.line_start(position.line + 1)
        line_end = following - 1 if following is not None else len(self.text)
        return min(start + position.character, line_end)

    def line_text(self, line: int) -> str:
        start = self.line_start(line)
        if start is None:
            return ""
        following = self.line_start(line + 1)
        end = following - 1 if following is not None else len(self.text)
        return self.text[start:end].rstrip("\r")

    def edited(self, start: int, old_end: int, new_text: str) -> BlockLineIndex:
        """The index of `new_text`, which is this text with `[start, old_end)` replaced."""
        delta = len(new_text) - len(self.text)
        new_end = old_end + delta
        b0 = bisect.bisect_right(self._bases, start) - 1
        b1 = bisect.bisect_right(self._bases, old_end) - 1
        merged: list[int] = []
        for b in range(b0, b1 + 1):
            base = self._bases[b]
            merged.extend(base + rel for rel in self._blocks[b])
        keep_before = [s for s in merged if s <= start]
        keep_after = [s + delta for s in merged if s > old_end]
        inserted = [m.end() for m in _NEWLINE.finditer(new_text, start, new_end)]
        rebuilt = _chunk(keep_before + inserted + keep_after, self._firsts[b0])
        removed_lines = len(merged) - len(keep_before) - len(keep_after)
        line_delta = len(inserted) - removed_lines
        bases = self._bases[:b0] + rebuilt[0] + [b + delta for b in self._bases[b1 + 1:]]
        firsts = self._firsts[:b0] + rebuilt[1] + [f + line_delta for f in self._firsts[b1 + 1:]]
        blocks = self._blocks[:b0] + rebuilt[2] + self._blocks[b1 + 1:]
        return BlockLineIndex(new_text, (bases, firsts, blocks))


def _chunk(starts: list[int], first_line: int) -> tuple[list[int], list[int], list[list[int]]]:
    bases: list[int] = []
    firsts: list[int] = []
    blocks: list[list[int]] = []
    for i in range(0, len(starts), BLOCK_LINES):
        part = starts[i:i + BLOCK_LINES]
        base = part[0]
        bases.append(base)
        firsts.append(first_line + i)
        blocks.append([s - base for s in part])
    return bases, firsts, blocks


def line_index_for(text: str) -> BlockLineIndex:
    return BlockLineIndex(text)


# ---------------------------------------------------------------------------------------------------
# Re-parsing
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Splice:
    """How a re-parsed log's entries relate to the previous ones.

    `entries[:prefix]` are the previous objects, untouched; the next `new_count` are new; the rest are
    the previous `entries[prefix + old_count:]`, moved by `delta` characters and `line_delta` lines.
    """

    prefix: int
    old_count: int
    new_count: int
    delta: int
    line_delta: int


def reparse(previous: TaskLog, start: int, old_end: int, new_text: str,
            lines: LineIndex | None = None) -> TaskLog:
    """Parse `new_text`, which is `previous.text` with `[start, old_end)` replaced; equals a full parse.

    `previous` is consumed: its entries after the edit are moved in place and reused.
    """
    return reparse_spliced(previous, start, old_end, new_text, lines)[0]


def _full(previous: TaskLog, new_text: str, lines: LineIndex | None) -> tuple[TaskLog, Splice | None]:
    log = parse_task_log(new_text, previous.path)
    if lines is not None:
        log.lines = lines
    return log, None


def reparse_spliced(previous: TaskLog, start: int, old_end: int, new_text: str,
                    lines: LineIndex | None = None) -> tuple[TaskLog, Splice | None]:
    """`reparse`, also saying which entries are new (None when it fell back to a full parse)."""
    old_text = previous.text
    delta = len(new_text) - len(old_text)
    new_end = old_end + delta
    if (previous.top_level != "array" or not 0 <= start <= old_end <= len(old_text)
            or start <= previous.top_level_span[0] or new_end < start):
        return _full(previous, new_text, lines)
    old_entries = previous.entries
    # The checkpoint: the last entry that ends before the edit. The parser's state right after it is
    # known, except for the last comma it consumed, which only a rare error path reads (see _main_loop).
    j = bisect.bisect_left(old_entries, start, key=lambda e: e.end) - 1
    log = TaskLog(previous.path, new_text, top_level="array", top_level_span=previous.top_level_span)
    if lines is not None:
        log.lines = lines
    log.entries = old_entries[:j + 1]
    last_comma: int | None
    if j >= 0:
        checkpoint = old_entries[j].start
        log.problems = [p for p in previous.problems if p.start <= checkpoint and not p.message.startswith(
            "trailing comma")]  # recorded before entry j; a trailing comma is always recorded last
        index, expect_value, last_comma = _skip_ws(new_text, old_entries[j].end), False, None
    else:
        index = _skip_ws(new_text, previous.top_level_span[1])
        last_comma, expect_value = index, True

    # Where the previous parse can take over again: an entry at or after the edit that starts and ends
    # where a previous one did (shifted).
    # After that entry both parses read the same text from the same state, but for the last comma seen;
    # only a "trailing comma" problem ever reads it, so without one the previous problems carry over.
    tail_clean = [p for p in previous.problems if p.start >= old_end]
    stale_comma_risk = any(p.message.startswith("trailing comma") for p in previous.problems)
    first = bisect.bisect_left(old_entries, old_end, key=lambda e: e.start)
    candidate = [first]
    synced: list[int] = []

    def in_step(entry: LogEntry) -> bool:
        if entry.start < new_end:
            return False
        m = candidate[0]
        while m < len(old_entries) and old_entries[m].start + delta < entry.start:
            m += 1
        candidate[0] = m
        if m >= len(old_entries):
            return False
        old = old_entries[m]
        if old.start + delta != entry.start or old.end + delta != entry.end:
            return False
        if stale_comma_risk and any(p.start > old.start and not p.message.startswith(_TAIL_PROBLEMS)
                                    for p in tail_clean):
            return False
        synced.append(m)
        return True

    try:
        synced_early = parse_entries(log, index, expect_value, last_comma, in_step)
    except ResumeStateUnknown:
        return _full(previous, new_text, lines)
    if not synced_early:
        return log, Splice(j + 1, len(old_entries) - (j + 1), len(log.entries) - (j + 1), delta,
                           _line_delta(old_text, new_text, start, old_end, new_end))
    m = synced[0]
    resumed_at = old_entries[m].start
    log.entries.pop()  # the previous parse's entry m replaces the one just scanned: same text, same value
    prefix = j + 1
    new_count = len(log.entries) - prefix
    index_shift = len(log.entries) - m
    for entry in old_entries[m:]:
        entry.start += delta
        entry.end += delta
        entry.index += index_shift
        if entry._spans is not None or entry._all_spans is not None:
            entry._spans = entry._all_spans = None
    log.entries.extend(old_entries[m:])
    # Problems the previous parse recorded after entry m. One at entry m's start was recorded before it
    # (a missing comma; the re-scan has it already), except the end-of-file problem, which is placed on
    # the last character and so lies at entry m's start when m is a one-character value at the very end.
    log.problems.extend(SyntaxProblem(p.message, p.start + delta, p.end + delta)
                        for p in tail_clean if p.start > resumed_at
                        or (p.start == resumed_at and p.message.startswith(_TAIL_PROBLEMS[0])))
    log.array_close = previous.array_close + delta if previous.array_close is not None else None
    return log, Splice(prefix, m - prefix, new_count, delta, _line_delta(old_text, new_text, start, old_end, new_end))


def _line_delta(old_text: str, new_text: str, start: int, old_end: int, new_end: int) -> int:
    return new_text.count("\n", start, new_end) - old_text.count("\n", start, old_end)


# ---------------------------------------------------------------------------------------------------
# Re-checking
# ---------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _escape_problem(path: str) -> str | None:
    return path_escape_problem(path)


def _shift_range(rng: Range, lines: int) -> Range:
    return Range(Position(rng.start.line + lines, rng.start.character),
                 Position(rng.end.line + lines, rng.end.character))


def _shift(diagnostic: Diagnostic, lines: int) -> Diagnostic:
    if lines == 0:
        return diagnostic
    fixes = tuple(Fix(f.title, tuple(TextEdit(e.path, _shift_range(e.range, lines), e.new_text) for e in f.edits),
                      f.safe) for f in diagnostic.fixes)
    return dataclasses.replace(diagnostic, range=_shift_range(diagnostic.range, lines), fixes=fixes)


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
    paths: tuple[str, ...]  # those paths, to refresh on file-system changes
    id_fact: tuple[bool, str | None]  # (is an object, its task_id): all the id pass reads
    number: int | None  # the id's number when it is well formed
    width: int  # its digit count (0 when not well formed)
    has_output: bool
    bucket: object | None  # TC115's pre-filter (agent, date and summary); None: not an object


class _SubsetChecker(_Checker):
    """The core checker with a file-existence cache that outlives one run."""

    def __init__(self, log: TaskLog, root: Path, today: dt.date, tolerance_days: int,
                 exists_cache: dict[str, bool]) -> None:
        super().__init__(log, root, today, tolerance_days)
        self._exists = exists_cache

    def take(self) -> tuple[Diagnostic, ...]:
        found = tuple(self.out)
        del self.out[:]
        return found


class LogChecker:
    """The TC1xx and TC401 diagnostics of successive versions of one task log, re-checking only what changed.

    Call `check(ws, splice)` with each new version (`splice` from `reparse_spliced`, None after a full
    parse). Mirrors `check_task_log` + `agent_reference_rules`; tests/test_incremental.py proves equality.
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
        self._buckets: Counter[object] = Counter()
        self._repeated: set[object] = set()  # buckets of more than one entry: TC115 looks only at those

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
            if result is not None and not changed.isdisjoint(result.paths):
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
            return _Checker(log, ws.root, today, tolerance).run()
        checker = _SubsetChecker(log, ws.root, today, tolerance, self._exists)
        checker.syntax()
        out = list(checker.take())
        self._compute(ws, log, [i for i, r in enumerate(self._results) if r is None], checker)
        self._move_anchors(log)
        if roster_changed:
            self._refresh_agents(ws, log)
        gate = self._existing_total > 0
        for result in self._results:
            if result is not None and result.has_output:
                out.extend(result.local)
                out.extend(result.agent)
                out.extend(result.escapes)
                if gate:
                    out.extend(result.missing)
        out.extend(self._id_pass(log, checker))
        if self._repeated:
            repeated = self._repeated
            out.extend(duplicate_entries(log, [i for i, r in enumerate(self._results)
                                               if r is not None and r.bucket in repeated]))
        return out

    def _move_anchors(self, log: TaskLog) -> None:
        """Shift the diagnostics of entries that moved down or up by whole lines since they were made."""
        position = log.lines.position
        results = self._results
        for i in [i for i, r in enumerate(results) if r is not None and r.has_output]:
            result = results[i]
            assert result is not None
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

    def _drop(self, i: int) -> None:
        result = self._results[i]
        if result is None:
            return
        self._existing_total -= result.existing
        if result.bucket is not None:
            self._buckets[result.bucket] -= 1
            if self._buckets[result.bucket] <= 1:
                self._repeated.discard(result.bucket)
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
        position = log.lines.position
        first_after = splice.prefix + splice.new_count
        watch = [i for i in range(first_after, len(results))
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

    def _compute(self, ws: Workspace, log: TaskLog, stale: list[int], checker: _SubsetChecker) -> None:
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
        for i in stale:
            entry = entries[i]
            if not isinstance(entry.value, dict):
                checker.diag("TC102", f"entry {entry.index + 1} is {_json_type(entry.value)}, not an "
                             "object with task_id, agent, date, summary and output_files", entry.start, entry.end)
            else:
                checker.fields(entry)
            local = checker.take()
            escapes, missing, existing, paths = _entry_paths(entry, checker)
            agent = tuple(agent_diags.get(entry.index, ()))
            task_id = entry.task_id if entry.is_object else None
            match = TASK_ID.match(task_id) if task_id is not None else None
            has_output = bool(local or agent or escapes or missing)
            key = bucket(entry.value)
            self._results[i] = _EntryResult(
                i, not entry.is_object or not entry.task_id, position(entry.start) if has_output else Position(0, 0),
                local, agent, escapes, missing, existing, paths, (entry.is_object, task_id),
                int(match.group(1)) if match else None, len(match.group(1)) if match else 0, has_output, key)
            if key is not None:
                self._buckets[key] += 1
                if self._buckets[key] > 1:
                    self._repeated.add(key)
            self._existing_total += existing
            if match and task_id is not None:
                self._ids[task_id] += 1
        checker.log = log

    # -- the id pass ----------------------------------------------------------------------------------

    def _id_pass(self, log: TaskLog, checker: _SubsetChecker) -> list[Diagnostic]:
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
            found = _ids(log, [r for r in self._results if r is not None], checker)
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


def _ids(log: TaskLog, results: list[_EntryResult], checker: _SubsetChecker) -> list[Diagnostic]:
    """`_Checker.ids` over cached per-entry facts: the same diagnostics, in the same order.

    The core pass matches every id against a regex three times; here the numbers are cached and only
    the entries with a malformed or repeated id are visited one by one.
    """
    widths = Counter(r.width for r in results if r.width)
    width = widths.most_common(1)[0][0] if widths else 3
    counts = Counter(r.number for r in results if r.number is not None)
    next_free = max(counts, default=0) + 1
    taken = set(counts)
    repeated = {n for n, c in counts.items() if c > 1}
    entries = log.entries
    first_seen: dict[int, LogEntry] = {}
    for i, result in enumerate(results):
        task_id = result.id_fact[1]
        number = result.number
        if number is None:
            if task_id is None or not task_id.strip():
                continue
            entry = entries[i]
            repaired = repair_task_id(task_id, width)
            fixes: tuple[Fix, ...] = ()
            if repaired and task_number(repaired) not in taken:
                fixes = (checker.replace_value(entry, "task_id", repaired, f"Change the id to {repaired}"),)
                taken.add(task_number(repaired) or 0)
            checker.diag_range("TC110", f'task id "{task_id}" is not of the form task-<digits> '
                               f"(for example {format_task_id(1, width)})", log.value_range(entry, "task_id"), fixes)
            continue
        if number not in repeated:
            continue
        first = first_seen.get(number)
        if first is None:
            first_seen[number] = entries[i]
            continue
        entry = entries[i]
        new_id = format_task_id(next_free, width)
        next_free += 1
        first_line = log.lines.position(first.start).line + 1
        checker.diag_range("TC111", f"task id {task_id} is already used by the entry at line "
                           f"{first_line}; renumber this one to {new_id}", log.value_range(entry, "task_id"),
                           (checker.replace_value(entry, "task_id", new_id, f"Renumber to {new_id}"),))
    ordered = sorted(counts)
    gaps = [(a, b) for a, b in itertools.pairwise(ordered) if b - a > 1]
    if gaps:
        wanted = {n for pair in gaps for n in pair}
        firsts: dict[int, LogEntry] = {}
        for i in [i for i, r in enumerate(results) if r.number in wanted]:
            firsts.setdefault(results[i].number or 0, entries[i])
        for before, after in gaps:
            checker.gaps({before: firsts[before], after: firsts[after]}, width)  # one gap per call
    return list(checker.take())


def _entry_paths(entry: LogEntry, checker: _SubsetChecker) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...],
                                                                     int, tuple[str, ...]]:
    """`_Checker.paths` for one entry, leaving the log-wide files-exist gate to the caller.

    Re-stated here (same messages) because the core pass re-derives every path's shape with pathlib on
    each run, ~25 µs a path; here that is cached per distinct path.
    """
    value = entry.get("output_files")
    if not isinstance(value, list):
        return (), (), 0, ()
    escapes: list[Diagnostic] = []
    missing: list[Diagnostic] = []
    existing = 0
    paths: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            continue
        problem = _escape_problem(item)
        if problem:
            start, end = checker.item_span(entry, i)
            checker.diag("TC113", f'output path "{item}" {problem}; name files relative to the '
                         "repository root", start, end)
            escapes.extend(checker.take())
            continue
        paths.append(item)
        if checker.exists(item):
            existing += 1
        else:
            start, end = checker.item_span(entry, i)
            checker.diag("TC114", f'output file "{item}" does not exist in the repository',
                         start, end)
            missing.extend(checker.take())
    return tuple(escapes), tuple(missing), existing, tuple(paths)


def check_workspace_incremental(ws: Workspace, checker: LogChecker, splice: Splice | None,
                                today: dt.date | None = None) -> list[Diagnostic]:
    """`check_workspace(ws, today, git=False)`, with the task log re-checked incrementally by `checker`."""
    today = today or dt.date.today()
    diagnostics = workspace_rules(ws)
    task_ids: AbstractSet[str] = frozenset()
    if ws.task_log is not None:
        diagnostics += checker.check(ws, splice, today)
        task_ids = checker.task_ids
    diagnostics += roster_rules(ws)
    diagnostics += proposed_rules(ws, task_ids)  # type: ignore[arg-type]  # only tests membership
    diagnostics += placeholder_rules(ws)
    ignored = set(ws.config.check.ignore)
    diagnostics = [d for d in diagnostics if d.code not in ignored]
    diagnostics.sort(key=Diagnostic.sort_key)
    return diagnostics

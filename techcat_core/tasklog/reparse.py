"""Re-parsing an edited task log from the last clean entry before the edit, reusing the entries after it.

An edit touches one or two entries of a log that costs ~0.3 s to parse whole: the parser resumes at the
last entry that ends before the edit and stops as soon as it is back in step with the previous parse; the
entries after that are the previous objects, moved. The result equals a full `parse_task_log`
(tests/test_incremental.py proves it on random logs and random edits).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from techcat_core.positions import LineIndex
from techcat_core.tasklog.parse import (
    LogEntry,
    ResumeStateUnknown,
    SyntaxProblem,
    TaskLog,
    parse_entries,
    parse_task_log,
    skip_whitespace,
)

# Problems at the very end of the file that do not depend on the parser's state when it reaches them.
_TAIL_PROBLEMS = ("unexpected end of file", "unexpected text after the closing ']'")


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
    log = parse_task_log(new_text, previous.path, share_strings=previous.shared_strings)
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
    log = TaskLog(previous.path, new_text, top_level="array", top_level_span=previous.top_level_span,
                  shared_strings=previous.shared_strings)
    if lines is not None:
        log.lines = lines
    log.entries = old_entries[:j + 1]
    last_comma: int | None
    if j >= 0:
        checkpoint = old_entries[j].start
        log.problems = [p for p in previous.problems if p.start <= checkpoint and not p.message.startswith(
            "trailing comma")]  # recorded before entry j; a trailing comma is always recorded last
        index, expect_value, last_comma = skip_whitespace(new_text, old_entries[j].end), False, None
    else:
        index = skip_whitespace(new_text, previous.top_level_span[1])
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

"""HEAD's task-log entries, parsed only where HEAD differs from the working log.

The entries before the first difference and after the last are the working log's (same text, and the
window is cut between entries, so they lex the same): their values are shared, offsets and indexes
shifted. Only HEAD's window is parsed, from a few characters of text (`HeadDiff.slice`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from techcat_core.head_diff import HeadDiff
from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log, skip_whitespace


@dataclass(frozen=True, slots=True)
class HeadLog:
    """HEAD's entries (offsets in HEAD's text), its text where asked for, and its whole parse when needed."""

    path: Path
    entries: list[LogEntry]
    valid: bool
    prefix: int  # HEAD's text and the working log's agree for this many characters
    slice: Callable[[int, int], str]  # HEAD's text [start:end]
    whole: Callable[[], TaskLog]  # HEAD's log parsed whole: read and parsed only when called

    @staticmethod
    def of(log: TaskLog, prefix: int) -> HeadLog:
        """A HeadLog of a log parsed whole (`prefix`: how far it agrees with the working log)."""
        return HeadLog(log.path, log.entries, log.valid, prefix, lambda start, end: log.text[start:end], lambda: log)


def head_from_window(log: TaskLog, diff: HeadDiff) -> tuple[list[LogEntry], int, int] | None:
    """HEAD's entries as `parse_task_log` would give them, parsing only HEAD's window.

    With them, `before` and `after`: `log.entries[before:after]` are the ones HEAD's window replaces.
    None when that cannot be shown (an invalid log or window, a difference at the array's brackets):
    the caller parses HEAD whole.
    """
    text = log.text
    entries = log.entries
    if not log.valid or not entries or log.array_close is None:
        return None
    prefix, suffix = diff.prefix, diff.suffix
    delta = diff.delta(text)
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
    region = diff.slice(text, left, window_end)
    inner = window_inner(region, bool(before), after < len(entries))
    if inner is None:
        return None
    inner_start, inner_end = inner
    if inner_start < inner_end:
        piece = parse_task_log("[" + region[inner_start:inner_end] + "]", log.path)
        if not piece.valid or not piece.entries:
            return None
        middle = piece.entries
    else:
        middle = []
    shift = left + inner_start - 1
    head_entries = [LogEntry(e.index, e.start, e.end, e.value) for e in entries[:before]]
    head_entries += [LogEntry(before + k, e.start + shift, e.end + shift, e.value) for k, e in enumerate(middle)]
    moved = before + len(middle) - after
    head_entries += [LogEntry(e.index + moved, e.start + delta, e.end + delta, e.value) for e in entries[after:]]
    return head_entries, before, after


def window_inner(text: str, after_entry: bool, before_entry: bool) -> tuple[int, int] | None:
    """The entries' part of `text` (HEAD's window), between the commas that join it to the entries around it.

    None when the window is not such a sequence there (its entries are checked by parsing them).
    """
    low = skip_whitespace(text, 0)
    high = len(text)
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

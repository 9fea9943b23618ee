"""An agent's memory: the newest task-log entries, read from the end of the log without parsing all of it.

A prompt holds only the entries that fit its budget, so a run reads the log's last bytes (as many as
the budget could use, and more when that was not enough) and decodes the entries from the first
complete one. A `{` inside a string cannot start a run of entries that decodes cleanly to the closing
`]` (JSON inside a string has escaped quotes), so the first candidate that does is an entry's start.
A log that does not end as a well-formed array, or is small, is read whole by the checker's parser;
at 100k entries this is milliseconds instead of the ~2 s a full parse takes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techcat_core.tasklog.ids import next_task_id

SLACK_BYTES = 64 * 1024
WHOLE_BELOW = 256 * 1024  # a log this small is parsed whole (exact count, every id)
_decoder = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Memory:
    entries: list[Any]  # entry values, oldest first: the newest of the log (all of it when len == total)
    total: int | None  # entries in the whole log; None when not counted (a run needs only the newest)
    next_id: str  # the id the next entry will probably get (the store allocates the real one)


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _entries_from(text: str, start: int) -> list[dict[str, Any]] | None:
    """Objects from `start` to the array's closing `]`, or None when `start` is not an entry's start."""
    entries: list[dict[str, Any]] = []
    index = start
    while True:
        try:
            value, index = _decoder.raw_decode(text, index)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        entries.append(value)
        index = _skip(text, index)
        if index >= len(text):
            return None
        if text[index] == "]":
            return entries if not text[index + 1:].strip() else None
        if text[index] != ",":
            return None
        index = _skip(text, index + 1)
        if index >= len(text) or text[index] != "{":
            return None


def _tail_entries(text: str) -> list[dict[str, Any]] | None:
    index = text.find("{")
    while index >= 0:
        before = index - 1
        while before >= 0 and text[before] in _WHITESPACE:
            before -= 1
        if before >= 0 and text[before] == ",":
            found = _entries_from(text, index)
            if found is not None:
                return found
        index = text.find("{", index + 1)
    return None


def _count(path: Path) -> int:
    """The entries of the whole log, by their `"task_id"` keys (inside a string the quotes would be escaped)."""
    key = b'"task_id"'
    count, carry = 0, b""
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            joined = carry + block
            count += joined.count(key)
            carry = joined[-(len(key) - 1):]  # too short to hold a key: one split across blocks is found once
    return count


def _ids(entries: list[dict[str, Any]]) -> list[str | None]:
    return [e.get("task_id") if isinstance(e.get("task_id"), str) else None for e in entries]


def recent_memory(path: Path, want_bytes: int, count: bool = False) -> Memory | None:
    """The newest entries, at least `want_bytes` of them when the log has that many; None when the log must be
    read whole (missing, small, or not a well-formed array at its end) — the caller then parses it.

    `count` also counts the whole log's entries (reading all of it: 10–20 ms at 100k, so only `--explain`)."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size <= WHOLE_BELOW:
        return None
    window = min(size, want_bytes + SLACK_BYTES)
    with path.open("rb") as handle:
        while window < size:
            handle.seek(size - window)
            data = handle.read(window)
            skip = 0
            while skip < len(data) and 0x80 <= data[skip] < 0xC0:  # cut inside a character
                skip += 1
            try:
                text = data[skip:].decode("utf-8")
            except UnicodeDecodeError:
                return None
            entries = _tail_entries(text)
            if entries is not None and (len(text) - text.find("{") >= want_bytes or window * 2 >= size):
                total = max(len(entries), _count(path)) if count else None
                return Memory(list(entries), total, next_task_id(_ids(entries)))
            if entries is None and text.rstrip()[-1:] != "]":
                return None  # not a closed array: the checker's parser says what is wrong
            window *= 2
    return None


def memory_of_log(entries: list[Any]) -> Memory:
    """The memory of a log parsed whole (`TaskLog.entries`)."""
    return Memory([e.value for e in entries], len(entries), next_task_id([e.task_id for e in entries]))

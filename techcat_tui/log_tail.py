"""Reading only what was appended to the task log since the app last read it.

A 100k-entry log takes about half a second to parse in full; appends (the common change: `techcat
log`, another agent run) are found by checking that the old entries are untouched and parsing only
the text after the last of them with the core parser. Anything else returns None and the caller
reloads the whole workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log
from techcat_core.workspace import decode_text


@dataclass(frozen=True, slots=True)
class LogState:
    """The text of the log as last read, where its last entry ends and how many entries it has."""

    text: str = field(repr=False)  # megabytes: never in a worker's description
    last_end: int = 0
    count: int = 0


def state_of(log: TaskLog | None) -> LogState | None:
    """A state to diff against, only for a valid log with entries (anything else reloads in full)."""
    if log is None or not log.valid or not log.entries:
        return None
    return LogState(log.text, log.entries[-1].end, len(log.entries))


@dataclass(frozen=True, slots=True)
class Appended:
    state: LogState
    entries: list[LogEntry]


def read_appended(path: Path, old: LogState) -> Appended | None:
    """The entries added after `old`, or None when the log changed in any other way."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    text = decode_text(data, path)
    end = old.last_end
    if len(text) < end or text[:end] != old.text[:end]:
        return None
    tail = text[end:]
    rest = tail.lstrip()
    skipped = len(tail) - len(rest)
    if rest.startswith("]"):
        return Appended(LogState(text, end, old.count), []) if not rest[1:].strip() else None
    if not rest.startswith(","):
        return None
    body = end + skipped + 1
    fragment = parse_task_log("[" + text[body:], path)
    if not fragment.valid:
        return None
    shift = body - 1
    entries = [LogEntry(old.count + e.index, e.start + shift, e.end + shift, e.value) for e in fragment.entries]
    last_end = entries[-1].end if entries else end
    return Appended(LogState(text, last_end, old.count + len(entries)), entries)

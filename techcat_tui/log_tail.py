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


@dataclass(frozen=True, slots=True)
class LogState:
    """The log's bytes as last read, where its last entry ends (in bytes and in characters), how many entries."""

    data: bytes = field(repr=False)  # megabytes: never in a worker's description
    end_byte: int = 0
    last_end: int = 0
    count: int = 0


def state_of(log: TaskLog | None, data: bytes | None = None) -> LogState | None:
    """A state to diff against, only for a valid log with entries (anything else reloads in full).

    `data` is the file's bytes when the caller has them; else the text is encoded again.
    """
    if log is None or not log.valid or not log.entries:
        return None
    end = log.entries[-1].end
    if data is None:
        data = log.text.encode("utf-8", errors="surrogatepass")
    end_byte = end if log.text.isascii() else len(data) - len(log.text[end:].encode("utf-8", errors="surrogatepass"))
    return LogState(data, end_byte, end, len(log.entries))


@dataclass(frozen=True, slots=True)
class Appended:
    state: LogState
    entries: list[LogEntry]


def read_appended(path: Path, old: LogState) -> Appended | None:
    """The entries added after `old`, or None when the log changed in any other way.

    The bytes before the old last entry's end are compared in place and only the bytes after it are
    decoded: for a 30 MB log that is a few milliseconds instead of decoding and copying it all.
    """
    from techcat_core.workspace import read_bytes  # confined: no FIFO, no link out of the repository, bounded

    data = read_bytes(path)
    if data is None:
        return None
    end = old.end_byte
    if len(data) < end or not old.data.startswith(memoryview(data)[:end]):  # a memcmp, no copies
        return None
    try:
        tail = data[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    rest = tail.lstrip()
    skipped = len(tail) - len(rest)
    if rest.startswith("]"):
        return Appended(LogState(data, end, old.last_end, old.count), []) if not rest[1:].strip() else None
    if not rest.startswith(","):
        return None
    fragment = parse_task_log("[" + rest[1:], path)
    if not fragment.valid:
        return None
    shift = old.last_end + skipped  # the fragment's "[" stands where the comma was
    entries = [LogEntry(old.count + e.index, e.start + shift, e.end + shift, e.value) for e in fragment.entries]
    if not entries:
        return Appended(LogState(data, end, old.last_end, old.count), [])
    tail_end = skipped + fragment.entries[-1].end  # in the tail's characters
    end_byte = end + len(tail[:tail_end].encode("utf-8"))
    return Appended(LogState(data, end_byte, entries[-1].end, old.count + len(entries)), entries)

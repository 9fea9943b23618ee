"""The task log as display rows, and the filter and sort the log view applies to them.

Plain Python, no Textual. The filter is the core's one log query (`techcat_core.usecases.log_query`, which
the MCP server's search shares); a 100k-entry log is filtered with one pass of substring tests over a
pre-lowered haystack per row, which keeps one keystroke well under the 100 ms budget. A well-formed
log's rows are decoded straight from its bytes for the first screen (`quick_rows`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec

from techcat_core.gc_policy import collector_paused
from techcat_core.tasklog.ids import task_number
from techcat_core.tasklog.parse import REQUIRED_FIELDS, LogEntry
from techcat_core.usecases.log_query import LogQuery

SORT_KEYS = ("file", "id", "date", "agent")


class LogRow(msgspec.Struct, gc=False):
    """One entry as the table shows it; `entry` is the entry's position in the file.

    A msgspec struct rather than a dataclass or named tuple: 100k of them are built at start-up,
    and structs are cheaper to build and invisible to the cyclic collector (they hold only strings).
    The lower-cased search text is built on first use (`search_text`), after the first screen.
    """

    entry: int
    task_id: str
    date: str
    agent: str
    summary: str
    files: tuple[str, ...]
    extras: tuple[tuple[str, str], ...] = ()  # fields the format does not define, as JSON text
    haystack: str = ""  # filled by `search_text`

    @property
    def number(self) -> int:
        return task_number(self.task_id) or -1

    @property
    def output_files(self) -> tuple[str, ...]:
        """The name the core's log query reads the files by (`usecases.log_query.EntryLike`)."""
        return self.files


def same_row(a: LogRow, b: LogRow) -> bool:
    """Whether two rows show the same entry (`==` would also compare the search text, filled or not)."""
    return (a.entry, a.task_id, a.date, a.agent, a.summary, a.files, a.extras) == \
        (b.entry, b.task_id, b.date, b.agent, b.summary, b.files, b.extras)


def search_text(row: LogRow) -> str:
    """What the filter's words are matched against, lower-cased once and kept on the row."""
    haystack = row.haystack
    if not haystack:
        haystack = "\x00".join((row.task_id, row.date, row.agent, row.summary, *row.files)).lower()
        if row.extras:
            haystack += "".join(f"\x00{key}\x00{text}" for key, text in row.extras).lower()
        row.haystack = haystack
    return haystack


def fill_search_texts(rows: Sequence[LogRow]) -> None:
    """Build every row's search text now (off the main thread), so the first filter key need not."""
    for row in rows:
        if not row.haystack:
            search_text(row)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))


def row_from_entry(entry: LogEntry) -> LogRow:
    value = entry.value
    if not isinstance(value, dict):  # (a DupKeys, for an entry with a repeated key, is a dict too)
        summary = f"(not an object: {json.dumps(value, ensure_ascii=False)[:60]})"
        return LogRow(entry.index, "", "", "", summary, ())
    raw_id, raw_date, raw_agent, raw_summary = (value.get("task_id"), value.get("date"), value.get("agent"),
                                                value.get("summary"))
    task_id = raw_id if type(raw_id) is str else _text(raw_id)
    date = raw_date if type(raw_date) is str else _text(raw_date)
    agent = raw_agent if type(raw_agent) is str else _text(raw_agent)
    summary = raw_summary if type(raw_summary) is str else _text(raw_summary)
    raw_files = value.get("output_files")
    files = tuple(f for f in raw_files if type(f) is str) if type(raw_files) is list else ()
    if len(value) == 5 and "output_files" in value and "summary" in value and "task_id" in value \
            and "agent" in value and "date" in value:
        return LogRow(entry.index, task_id, date, agent, summary, files)
    extras = tuple((key, json.dumps(item, ensure_ascii=False)) for key, item in value.items()
                   if key not in REQUIRED_FIELDS)
    return LogRow(entry.index, task_id, date, agent, summary, files, extras)


def rows_from_entries(entries: Iterable[LogEntry]) -> list[LogRow]:
    """Rows for every entry, with the cyclic garbage collector paused (it would walk the whole parsed log)."""
    with collector_paused():
        return [row_from_entry(entry) for entry in entries]


class _PlainEntry(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """An entry with exactly the five fields of the format, each of the right type."""

    task_id: str
    agent: str
    date: str
    summary: str
    output_files: tuple[str, ...]


_PLAIN_LOG = msgspec.json.Decoder(list[_PlainEntry])
_BOM = b"\xef\xbb\xbf"


def quick_rows(data: bytes) -> list[LogRow] | None:
    """The rows of a log whose entries all have exactly the five fields, as strings and a list of strings.

    That is almost every real log, and msgspec decodes it in C about four times faster than the exact
    parser (which also records every entry's offsets); the rows are the same as `rows_from_entries`
    would build. Anything else (a syntax error, an extra or missing field, a number where a string
    belongs, bytes that are not UTF-8) returns None: the caller parses exactly.
    """
    try:
        entries = _PLAIN_LOG.decode(data[3:] if data.startswith(_BOM) else data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    with collector_paused():
        return [LogRow(index, e.task_id, e.date, e.agent, e.summary, e.output_files)
                for index, e in enumerate(entries)]


def matching(rows: Sequence[LogRow], query: LogQuery, candidates: Iterable[int] | None = None) -> list[int]:
    """Positions in `rows` the core's one log query matches (`usecases.log_query`, shared with MCP's search);
    `candidates` narrows the search (e.g. only appended rows). Each row's search text is built once and kept."""
    positions: Iterable[int] = range(len(rows)) if candidates is None else candidates
    if query.is_empty:
        return list(positions)
    return [i for i in positions if query.matches(rows[i], rows[i].haystack or search_text(rows[i]))]


def sort_positions(rows: Sequence[LogRow], positions: list[int], key: str, descending: bool) -> list[int]:
    """Stable sort of row positions by a column; `file` is the order of the log itself."""
    if key == "file" or key not in SORT_KEYS:
        ordered = positions
    elif key == "id":
        ordered = sorted(positions, key=lambda i: rows[i].number)
    elif key == "date":
        ordered = sorted(positions, key=lambda i: rows[i].date)
    else:
        ordered = sorted(positions, key=lambda i: rows[i].agent)
    return ordered[::-1] if descending else ordered


@dataclass(frozen=True, slots=True)
class AgentStats:
    tasks: int
    last_date: str
    last_task: str


def agent_stats(rows: Sequence[LogRow]) -> dict[str, AgentStats]:
    """How many tasks each agent has done and its latest one (the log is in the order work was done)."""
    counts = Counter(row.agent for row in rows)
    latest: dict[str, LogRow] = {row.agent: row for row in rows}
    return {name: AgentStats(count, latest[name].date, latest[name].task_id) for name, count in counts.items()}

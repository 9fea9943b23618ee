"""Filtering task-log entries by agent, date range, text and file: the `search_log` tool's logic."""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass

from techcat_core.tasklog.dates import parse_iso_date
from techcat_core.tasklog.parse import LogEntry, TaskLog

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class LogQuery:
    agent: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    text: str | None = None
    file: str | None = None

    def matches(self, entry: LogEntry) -> bool:
        if not entry.is_object:
            return False
        if self.agent is not None and entry.agent != self.agent:
            return False
        if (self.since or self.until) and not self._in_dates(entry):
            return False
        if self.text and not _has_words(entry, self.text):
            return False
        return not self.file or any(file_matches(self.file, name) for name in entry.output_files)

    def _in_dates(self, entry: LogEntry) -> bool:
        date = parse_iso_date(entry.date or "")
        if date is None:
            return False
        return (self.since is None or date >= self.since) and (self.until is None or date <= self.until)


def _has_words(entry: LogEntry, text: str) -> bool:
    haystack = f"{entry.task_id or ''} {entry.summary or ''}".casefold()
    return all(word in haystack for word in text.casefold().split())


def _normal(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def file_matches(query: str, name: str) -> bool:
    """A glob, the exact path, a folder above it, or (with no slash) its file name."""
    query, name = _normal(query), _normal(name)
    if _GLOB_CHARS & set(query):
        return fnmatch.fnmatchcase(name, query)
    if name == query or name.startswith(query.rstrip("/") + "/"):
        return True
    return "/" not in query and name.rsplit("/", 1)[-1] == query


def search(log: TaskLog, query: LogQuery) -> list[LogEntry]:
    """Matching entries, in log order."""
    return [entry for entry in log.entries if query.matches(entry)]

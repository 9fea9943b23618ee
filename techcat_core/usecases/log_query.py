"""The one task-log query: free words, an agent, a date prefix or range and an output file, with paging.

The TUI's filter box and the MCP server's `search_log` both parse and apply it here, so the same words
find the same entries everywhere. It works on anything carrying the five fields (a parsed `LogEntry`,
a `TaskEntry`, a front end's row), read through `EntryLike`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from techcat_core.usecases.errors import UseCaseError

_PARTIAL_DATE = r"\d{1,4}(?:-\d{0,2}(?:-\d{0,2})?)?"  # any prefix of YYYY-MM-DD, as it is being typed
_DATE_RANGE = re.compile(rf"^({_PARTIAL_DATE})?\s*\.\.\s*({_PARTIAL_DATE})?$")
_DATE_PREFIX = re.compile(rf"^{_PARTIAL_DATE}$")
_GLOB_CHARS = frozenset("*?[")
END_OF_PREFIX = "\uffff"  # appended to an upper bound like 2025-07: "through the end of July"


class EntryLike(Protocol):
    @property
    def task_id(self) -> str | None: ...
    @property
    def agent(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def output_files(self) -> Sequence[str]: ...


class QueryProblem(UseCaseError, ValueError):
    """A filter that cannot be read (a date that is no date); the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Every part is optional and they combine: all `words` (lower-cased) must appear in the entry's id, date,
    agent, summary or files; dates compare as ISO text, `date_to` inclusive."""

    words: tuple[str, ...] = ()
    agent: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    date_prefix: str | None = None
    file: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.agent or self.date_from or self.date_to or self.date_prefix or self.file)

    def matches(self, entry: EntryLike, haystack: str | None = None) -> bool:
        """`haystack` is `search_text(entry)` when the caller keeps it (a 100k-row table builds it once)."""
        if self.agent is not None and entry.agent != self.agent:
            return False
        date = entry.date or ""
        if self.date_prefix and not date.startswith(self.date_prefix):
            return False
        if (self.date_from and date < self.date_from) or (self.date_to and date > self.date_to):
            return False
        if self.words:
            text = haystack if haystack is not None else search_text(entry)
            if not all(word in text for word in self.words):
                return False
        return not self.file or any(file_matches(self.file, name) for name in entry.output_files)


def search_text(entry: EntryLike) -> str:
    """What the words are matched against, lower-cased: id, date, agent, summary and files."""
    return "\x00".join((entry.task_id or "", entry.date or "", entry.agent or "", entry.summary or "",
                        *entry.output_files)).lower()


def parse_date_filter(text: str) -> tuple[str | None, str | None, str | None]:
    """`2025-07` (a prefix), `2025-07-01..2025-07-15`, `..2025-06-30` or `2025-07..` → (prefix, from, to)."""
    text = text.strip()
    if not text:
        return None, None, None
    if _DATE_PREFIX.match(text):
        return text, None, None
    match = _DATE_RANGE.match(text)
    if match and (match.group(1) or match.group(2)):
        upper = match.group(2)
        return None, match.group(1), (upper + END_OF_PREFIX) if upper else None
    raise QueryProblem(f"date filter {text!r}: use YYYY, YYYY-MM, YYYY-MM-DD or FROM..TO")


def parse_query(text: str, agent: str | None = None, date_text: str = "", file: str | None = None) -> LogQuery:
    """What a user types in one box: words, and `@agent`, `agent:NAME`, `date:RANGE` and `file:PATH` tokens."""
    words: list[str] = []
    date_tokens: list[str] = []
    for token in text.split():
        lowered = token.lower()
        if token.startswith("@") and len(token) > 1:
            agent = token[1:]
        elif lowered.startswith("agent:") and len(token) > 6:
            agent = token[6:]
        elif lowered.startswith("date:") and len(token) > 5:
            date_tokens.append(token[5:])
        elif lowered.startswith("file:") and len(token) > 5:
            file = token[5:]
        else:
            words.append(lowered)
    prefix, date_from, date_to = parse_date_filter(date_text or (date_tokens[-1] if date_tokens else ""))
    return LogQuery(tuple(words), agent or None, date_from, date_to, prefix, file or None)


def between(since: dt.date | None, until: dt.date | None) -> tuple[str | None, str | None]:
    """A query's `date_from`/`date_to` for two calendar dates; refused when they are the wrong way round."""
    if since and until and since > until:
        raise QueryProblem(f"since {since.isoformat()} is after until {until.isoformat()}")
    return (since.isoformat() if since else None), (until.isoformat() if until else None)


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


E = TypeVar("E", bound=EntryLike)


@dataclass(frozen=True, slots=True)
class LogPage(Generic[E]):
    """One page of matches: `total` counts them all, `entries` holds `limit` of them from `offset`."""

    total: int
    offset: int
    entries: list[E]


def query_log(entries: Iterable[E], query: LogQuery, *, offset: int = 0, limit: int | None = None,
              newest_first: bool = False) -> LogPage[E]:
    """The matches in log order (or newest first), paged; an entry that is not an object never matches."""
    found = [entry for entry in entries if getattr(entry, "is_object", True) and query.matches(entry)]
    if newest_first:
        found.reverse()
    offset = max(0, offset)
    page = found[offset:] if limit is None else found[offset:offset + max(0, limit)]
    return LogPage(len(found), offset, page)

"""Error-tolerant parser for `TASK-LOG.json` that keeps exact offsets for every entry, key and value.

Why not a generic tree: a 100k-entry log is about 40 MB, and walking a syntax tree node by node in
Python costs seconds. Instead the top-level array is walked entry by entry with the C-accelerated
`json` scanner, field offsets are found only when a diagnostic needs them, and a syntax error inside
one entry resynchronises at the next entry so the rest of the file still gets precise diagnostics.
"""

from __future__ import annotations

import bisect
import itertools
import json
import operator
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techcat_core.gc_policy import FREEZE_ABOVE, collector_paused
from techcat_core.positions import LineIndex, Range

_WS = re.compile(r"[ \t\n\r]*")
# Where a damaged entry most likely ends: a closing brace followed by a comma or the end of the array,
# or an opening brace at the start of a line (the next entry).
_RESYNC = re.compile(r"\}\s*(?:,|(?=\]))|\n[ \t]*(?=\{)")
REQUIRED_FIELDS = ("task_id", "agent", "date", "summary", "output_files")
# A `\uD800`–`\uDFFF` escape: half of a UTF-16 pair. Alone it is no character, and cannot be saved as UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LOW_SURROGATE_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_LONG_NUMBER = re.compile(r"-?\d{4000,}")
_ESCAPE_WINDOW = 1 << 16  # characters searched for the next `\u` at a time
MAX_SURROGATE_PROBLEMS = 20  # per entry: one broken paste can hold thousands
TOO_DEEP = "nested too deeply to read (hundreds of levels of brackets); a task log entry is one flat object"


class DupKeys(dict[str, Any]):
    """A dict that remembers which keys appeared more than once in its JSON object."""

    duplicate_keys: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        dups = []
        for key, _ in pairs:
            if key in seen:
                dups.append(key)
            seen.add(key)
        flagged = DupKeys(result)
        flagged.duplicate_keys = tuple(dups)
        return flagged
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_hook)
_scan_once: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
# Without the hook the C scanner builds each dict itself, ~25 % faster over a log; an entry is decoded this
# way first and again with the hook only when it could hold a repeated key (see `_scan_entry`).
_scan_plain: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _scan_entry(text: str, index: int) -> tuple[Any, int]:
    """One entry's value and end, as `_scan_once` decodes it (duplicate keys flagged), mostly at C speed.

    Each key of an object is followed by exactly one ':', so an object with as many ':' in its text as
    keys in its dict has no key twice; only one with more (a ':' in a string, a nested object, a repeated
    key) is decoded again with the hook.
    """
    value, end = _scan_plain(text, index)
    if type(value) is dict and text.count(":", index, end) != len(value):
        value, end = _scan_once(text, index)
    return value, end
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


@dataclass(slots=True)
class FieldSpan:
    """Offsets of one `"key": value` pair inside an entry."""

    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int


@dataclass(slots=True)
class SyntaxProblem:
    message: str
    start: int
    end: int


@dataclass(slots=True)
class LogEntry:
    """One element of the top-level array: its decoded value and where it stands in the text."""

    index: int
    start: int
    end: int
    value: Any
    _spans: dict[str, FieldSpan] | None = None
    _all_spans: list[FieldSpan] | None = None

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def get(self, key: str) -> Any:
        return self.value.get(key) if isinstance(self.value, dict) else None

    @property
    def task_id(self) -> str | None:
        value = self.get("task_id")
        return value if isinstance(value, str) else None

    @property
    def agent(self) -> str | None:
        value = self.get("agent")
        return value if isinstance(value, str) else None

    @property
    def date(self) -> str | None:
        value = self.get("date")
        return value if isinstance(value, str) else None

    @property
    def summary(self) -> str | None:
        value = self.get("summary")
        return value if isinstance(value, str) else None

    @property
    def output_files(self) -> list[str]:
        value = self.get("output_files")
        if isinstance(value, list):
            return [item for item in value if isinstance(item, str)]
        return []

    @property
    def duplicate_keys(self) -> tuple[str, ...]:
        return getattr(self.value, "duplicate_keys", ())


@dataclass(eq=False, slots=True)
class LogDigest:
    """What the whole-log rules read of a log, gathered while each entry was decoded (`_whole_array`).

    Exists only when every entry decoded as an object of exactly the five fields, with a `task-…` id, a
    summary that is not blank and a list of output files (what the fields' types and emptiness rules then
    still ask is answered from the sets). Why: read while each entry's objects are still in the processor's
    cache, this costs a few percent of the parse; a pass over 100k parsed entries afterwards costs ~15 ms
    for each field it reads, and the rules read a dozen.
    """

    entries: list[LogEntry]  # the list it describes: stale once `TaskLog.entries` is another list
    task_ids: set[str]
    digits: list[str]  # each entry's id after `task-`, in entry order
    agents: set[Any]
    dates: set[Any]
    paths: set[Any]  # every output path
    content_hashes: list[int]  # each entry's hash((summary, date)), in order: equal for entries that repeat


@dataclass(slots=True)
class TaskLog:
    """A parsed task log. Offsets index `text`; `lines` turns them into positions."""

    path: Path
    text: str
    entries: list[LogEntry] = field(default_factory=list)
    problems: list[SyntaxProblem] = field(default_factory=list)
    top_level: str = "array"  # "array", "empty", or the JSON kind found instead
    top_level_span: tuple[int, int] = (0, 0)
    array_close: int | None = None  # offset of the closing `]` when the array is well formed
    shared_strings: bool = False  # parsed with `share_strings` (a reparse of it shares its new entries too)
    digest: LogDigest | None = field(default=None, compare=False, repr=False)  # see `fresh_digest`
    lines: LineIndex = field(init=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)

    def fresh_digest(self) -> LogDigest | None:
        """The parse's digest of `entries`, or None when there is none or `entries` was replaced since."""
        digest = self.digest
        if digest is None or digest.entries is not self.entries or len(digest.digits) != len(self.entries):
            return None
        return digest

    @property
    def valid(self) -> bool:
        return not self.problems and self.top_level == "array"

    def range(self, start: int, end: int) -> Range:
        return self.lines.range(start, end)

    def spans(self, entry: LogEntry) -> dict[str, FieldSpan]:
        """First occurrence of each key of an object entry, located on demand."""
        if entry._spans is None:
            all_spans = self.all_spans(entry)
            spans: dict[str, FieldSpan] = {}
            for span in all_spans:
                spans.setdefault(span.key, span)
            entry._spans = spans
        return entry._spans

    def all_spans(self, entry: LogEntry) -> list[FieldSpan]:
        if entry._all_spans is None:
            entry._all_spans = scan_object_fields(self.text, entry.start) if entry.is_object else []
        return entry._all_spans

    def key_range(self, entry: LogEntry, key: str) -> Range:
        span = self.spans(entry).get(key)
        if span is None:
            return self.range(entry.start, entry.start + 1)
        return self.range(span.key_start, span.key_end)

    def value_range(self, entry: LogEntry, key: str) -> Range:
        span = self.spans(entry).get(key)
        if span is None:
            return self.range(entry.start, entry.start + 1)
        return self.range(span.value_start, span.value_end)

    def item_spans(self, entry: LogEntry, key: str) -> list[tuple[int, int]]:
        """Offsets of each element of an array-valued field (for `output_files` paths)."""
        span = self.spans(entry).get(key)
        if span is None or self.text[span.value_start] != "[":
            return []
        return scan_array_items(self.text, span.value_start)

    def entry_at(self, offset: int) -> LogEntry | None:
        """The entry whose text contains `offset` (binary search; entries are in file order)."""
        lo, hi = 0, len(self.entries)
        while lo < hi:
            mid = (lo + hi) // 2
            entry = self.entries[mid]
            if entry.end <= offset:
                lo = mid + 1
            elif entry.start > offset:
                hi = mid
            else:
                return entry
        return None


def skip_whitespace(text: str, index: int) -> int:
    match = _WS.match(text, index)
    return match.end() if match else index


def scan_object_fields(text: str, start: int) -> list[FieldSpan]:
    """Key and value offsets of the object starting at `start`; stops quietly at malformed text."""
    spans: list[FieldSpan] = []
    index = skip_whitespace(text, start + 1)
    length = len(text)
    while index < length and text[index] == '"':
        try:
            key, key_end = scanstring(text, index + 1)
            colon = skip_whitespace(text, key_end)
            if colon >= length or text[colon] != ":":
                break
            value_start = skip_whitespace(text, colon + 1)
            _, value_end = _scan_once(text, value_start)
        except (ValueError, StopIteration, RecursionError):
            break
        spans.append(FieldSpan(key, index, key_end, value_start, value_end))
        index = skip_whitespace(text, value_end)
        if index < length and text[index] == ",":
            index = skip_whitespace(text, index + 1)
        else:
            break
    return spans


def scan_array_items(text: str, start: int) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    index = skip_whitespace(text, start + 1)
    length = len(text)
    while index < length and text[index] != "]":
        try:
            _, end = _scan_once(text, index)
        except (ValueError, StopIteration, RecursionError):
            break
        items.append((index, end))
        index = skip_whitespace(text, end)
        if index < length and text[index] == ",":
            index = skip_whitespace(text, index + 1)
        else:
            break
    return items


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _decode_error(error: ValueError, text: str, fallback: int) -> tuple[str, int]:
    """The decoder's message and offset; Python's own limits (a number of 4,300+ digits) get a sentence."""
    if isinstance(error, json.JSONDecodeError):
        return error.msg, error.pos
    if "integer string conversion" in str(error):
        match = _LONG_NUMBER.search(text, fallback)
        return ("a number with thousands of digits cannot be read; write it as a string, or shorten it",
                match.start() if match else fallback)
    return str(error), fallback


def lone_surrogates(text: str, start: int, end: int) -> list[SyntaxProblem]:
    """`\\ud800`-style escapes in `text[start:end]` that are not half of a high+low pair.

    JSON's grammar allows them, but they decode to no character: the entry could never be written back
    as UTF-8, and every tool that reads the log as UTF-8 text would fail on it.
    """
    problems: list[SyntaxProblem] = []
    index = start
    while len(problems) < MAX_SURROGATE_PROBLEMS:
        match = _SURROGATE_ESCAPE.search(text, index, end)
        if match is None:
            break
        at = match.start()
        index = match.end()
        backslashes = 0
        while at - backslashes - 1 >= start and text[at - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2:  # `\\ud800`: an escaped backslash, then plain text
            continue
        escape = match.group(0)
        if escape[3].lower() in "89ab" and _LOW_SURROGATE_ESCAPE.match(text, index, end):
            index += 6  # a proper pair: one character outside the Basic Multilingual Plane
            continue
        problems.append(SyntaxProblem(
            f"`{escape}` is a lone surrogate escape, half of a UTF-16 pair: it is no character and cannot be "
            "saved as UTF-8; remove it, or write the character itself", at, match.end()))
    return problems


def parse_task_log(text: str, path: Path | str = "TASK-LOG.json", *, share_strings: bool = False) -> TaskLog:
    """Parse the text of a task log; never raises, whatever the input.

    `share_strings`: equal keys, agents, dates and output paths become one object each, as each entry is
    decoded (about a third less memory for a big log, ~1 µs more an entry): for a process that keeps the
    log for a whole session (the language server), not for `techcat check`, which exits at once.

    Under the core's one garbage-collector policy (`gc_policy`): paused meanwhile, and a big log's
    objects frozen out of the collector's sight afterwards.
    """
    with collector_paused(freeze=len(text) > FREEZE_ABOVE):
        return _parse(text, path, share_strings)


def _parse(text: str, path: Path | str, share_strings: bool) -> TaskLog:
    log = TaskLog(Path(path), text, shared_strings=share_strings)
    length = len(text)
    index = skip_whitespace(text, 1 if text.startswith("\ufeff") else 0)
    if index >= length:
        # Not JSON at all (json.loads refuses it): most often an editor's save caught half-way, which the
        # store refuses to append to for the same reason. An empty log is `[]`.
        log.top_level = "empty"
        what = "empty" if not text.lstrip("\ufeff") else "only whitespace"
        log.problems.append(SyntaxProblem(f"the task log is {what}, not a JSON array; an empty log is `[]`", 0,
                                          length))
        return log
    if text[index] != "[":
        try:
            value, end = _scan_once(text, index)
            log.top_level = _kind(value)
            log.top_level_span = (index, end)
            rest = skip_whitespace(text, end)
            if rest < length:
                log.problems.append(SyntaxProblem("unexpected text after the top-level value", rest, length))
        except RecursionError:
            log.top_level = "invalid"
            log.top_level_span = (index, min(length, index + 1))
            log.problems.append(SyntaxProblem(f"the top-level value is {TOO_DEEP}", index, index + 1))
        except (ValueError, StopIteration):
            log.top_level = "invalid"
            log.top_level_span = (index, min(length, index + 1))
            log.problems.append(SyntaxProblem("expected '[' to start the task log array", index, index + 1))
        return log
    log.top_level_span = (index, index + 1)
    index = skip_whitespace(text, index + 1)
    if index < length and text[index] == "]":
        log.array_close = index
        _check_trailing(log, index + 1)
        return log
    if share_strings or not _whole_array(log, log.top_level_span[0]):
        parse_entries(log, index, True, index)
    return log


_OPEN_BRACE = re.compile(r"\{")


class _Digester:
    """The object hook of `_whole_array`'s decoder: notes what `LogDigest` holds of each object decoded."""

    def __init__(self) -> None:
        self.task_ids: set[str] = set()
        self.digits: list[str] = []
        self.agents: set[Any] = set()
        self.dates: set[Any] = set()
        self.paths: set[Any] = set()
        self.hashes: list[int] = []
        self.odd = False  # an object that is not a plain five-field entry: no digest
        self.hook = self._hook_function()

    def _hook_function(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        add_id, add_digits, add_agent, add_date = (self.task_ids.add, self.digits.append, self.agents.add,
                                                   self.dates.add)
        add_paths, add_hash = self.paths.update, self.hashes.append

        def hook(value: dict[str, Any]) -> dict[str, Any]:
            try:
                task_id, date, summary, files = value["task_id"], value["date"], value["summary"], \
                    value["output_files"]
                add_agent(value["agent"])
                add_date(date)
                if len(value) == 5 and type(files) is list and summary.strip() and task_id.startswith("task-"):
                    add_id(task_id)
                    add_digits(task_id[5:])
                    add_paths(files)
                    add_hash(hash((summary, date)))
                    return value
            except (KeyError, TypeError, AttributeError):  # a field missing, unhashable, or not a string
                pass
            self.odd = True
            return value

        return hook

    def digest(self, entries: list[LogEntry]) -> LogDigest | None:
        """The digest of `entries`, each a plain `dict` (no `DupKeys`), when every object was a plain entry."""
        if self.odd or len(self.digits) != len(entries):
            return None
        return LogDigest(entries, self.task_ids, self.digits, self.agents, self.dates, self.paths, self.hashes)


def _extents(text: str, open_at: int, count: int) -> tuple[list[int], list[int]]:
    """Where each of the `count` entries of the valid array opening at `open_at` starts and ends."""
    starts: list[int] = []
    ends: list[int] = []
    index = skip_whitespace(text, open_at + 1)
    for _ in range(count):
        try:
            _, end = _scan_plain(text, index)
        except (ValueError, StopIteration, RecursionError):
            break
        starts.append(index)
        ends.append(end)
        found = _SEPARATOR.match(text, end)
        if found is None:
            break
        index = found.end()
    return starts, ends


def _whole_array(log: TaskLog, open_at: int) -> bool:
    """The common case, a log that is valid JSON and only objects, parsed at `json.loads` speed; False (and
    `log` untouched) for anything else, which `parse_entries` then reads entry by entry.

    One call of the C scanner decodes the whole array (per-entry calls cost ~0.1 s more at 100k entries:
    the call overhead, and every entry's keys made anew). The entries' offsets follow from the text alone:
    when the array holds as many `{` as it decoded objects, each `{` is where an entry starts (a nested
    object, or a `{` inside a string, would be one more), and an entry ends at the last `}` before the next
    one starts (between two entries JSON allows only whitespace and a comma); else `_extents` scans each
    entry again for its extent (the digest still spares the rules their per-entry passes). Repeated keys and lone
    surrogate escapes are then found exactly as `parse_entries` finds them, so the result is the same.
    """
    text = log.text
    digester = _Digester()
    try:
        values, end = json.JSONDecoder(object_hook=digester.hook).scan_once(  # type: ignore[attr-defined]
            text, open_at)
    except (ValueError, StopIteration, RecursionError):
        return False
    close = end - 1
    count = len(values)
    if set(map(type, values)) != {dict}:
        return False
    starts = list(map(re.Match.start, _OPEN_BRACE.finditer(text, open_at + 1, close)))
    if len(starts) == count:
        ends = list(map((1).__add__, map(text.rfind, itertools.repeat("}"), starts, [*starts[1:], close])))
    else:  # a `{` inside a string, or a nested object: each entry's extent from the scanner, entry by entry
        starts, ends = _extents(text, open_at, count)
        if len(starts) != count:
            return False
    repeated_keys = False
    if text.count(":", open_at, close) != sum(map(len, values)):  # a ':' in a string, or a key twice
        colons = map(text.count, itertools.repeat(":"), starts, ends)
        for i in itertools.compress(range(count), map(operator.ne, colons, map(len, values))):
            values[i] = _scan_once(text, starts[i])[0]  # as `_scan_entry` does: flags repeated keys
            repeated_keys = repeated_keys or type(values[i]) is not dict
    # a `\u` needs a backslash: one is found at memchr speed, where a two-character search costs ~30 ms
    escape = text.find("\\u", open_at, close) if text.find("\\", open_at, close) >= 0 else -1
    if escape >= 0:  # the entries holding a `\u` escape are searched for lone surrogates, in order
        at = bisect.bisect_right(starts, escape) - 1
        while at < count:
            log.problems.extend(lone_surrogates(text, starts[at], ends[at]))
            escape = text.find("\\u", ends[at], close)
            if escape < 0:
                break
            at = bisect.bisect_right(starts, escape) - 1
    log.entries = list(map(LogEntry, range(count), starts, ends, values))
    log.digest = None if repeated_keys else digester.digest(log.entries)
    log.array_close = close
    _check_trailing(log, end)
    return True


_KEYS = {key: sys.intern(key) for key in REQUIRED_FIELDS}


def _string_sharer() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that rebuilds an entry's dict with its keys, agent, date and paths shared with the others'."""
    memo: dict[str, str] = {}
    same = memo.setdefault
    keys = _KEYS

    def share(value: dict[str, Any]) -> dict[str, Any]:
        shared = {keys.get(key, key): item for key, item in value.items()}
        agent, date, files = shared.get("agent"), shared.get("date"), shared.get("output_files")
        if type(agent) is str:
            shared["agent"] = same(agent, agent)
        if type(date) is str:
            shared["date"] = same(date, date)
        if type(files) is list:
            shared["output_files"] = [same(f, f) if type(f) is str else f for f in files]
        return shared

    return share


class ResumeStateUnknown(Exception):
    """A resumed parse needs the offset of a comma the caller no longer knows; parse from the start."""


def parse_entries(log: TaskLog, index: int, expect_value: bool, last_comma: int | None,
               stop: Callable[[LogEntry], bool] | None = None) -> bool:
    """The loop of `parse_task_log`, resumable from any state between entries.

    Returns True when `stop` accepted an entry: the caller splices the rest from the previous parse.
    """
    text = log.text
    length = len(text)
    share = _string_sharer() if log.shared_strings else None
    if stop is None and expect_value:
        index, expect_value, last_comma = _clean_prefix(log, index, last_comma, share)
    # The first `\u` at or after the entries read so far (-1: none before `searched_to`): entries before it hold
    # no escape, so no lone surrogate. Searched a window at a time, so that a resumed parse that stops after
    # an entry or two (an edit) does not scan the rest of a 40 MB text.
    searched_to = min(length, index + _ESCAPE_WINDOW)
    next_escape = text.find("\\u", index, searched_to)
    while index < length:
        char = text[index]
        if char == "]":
            if expect_value and log.entries:
                if last_comma is None:
                    raise ResumeStateUnknown
                log.problems.append(SyntaxProblem("trailing comma before ']'", last_comma, last_comma + 1))
            log.array_close = index
            _check_trailing(log, index + 1)
            return False
        if not expect_value:
            if char == ",":
                last_comma = index
                index = skip_whitespace(text, index + 1)
                expect_value = True
                continue
            log.problems.append(SyntaxProblem("expected ',' or ']' after an entry", index, index + 1))
            if char != "{":
                index, expect_value = _resync(text, index)
                continue
        start = index
        try:
            value, end = _scan_entry(text, index)
        except StopIteration as stopped:
            pos = stopped.value if isinstance(stopped.value, int) else index
            log.problems.append(SyntaxProblem("Expecting value", pos, min(length, pos + 1)))
            if pos == index and char == ",":
                index = skip_whitespace(text, index + 1)
                continue
            index, expect_value = _resync(text, max(pos, index + 1))
            continue
        except RecursionError:
            log.problems.append(SyntaxProblem(f"this entry is {TOO_DEEP}", index, index + 1))
            index, expect_value = _resync(text, index + 1)
            continue
        except ValueError as error:
            message, pos = _decode_error(error, text, index)
            if skip_whitespace(text, pos) >= length:  # the file stops inside this entry: one problem, where it starts
                log.problems.append(SyntaxProblem(
                    "unexpected end of file: this entry is cut off, and the array is never closed with ']'",
                    index, min(length, index + 1)))
                return False
            log.problems.append(SyntaxProblem(message, pos, min(length, pos + 1)))
            index, expect_value = _resync(text, max(pos, index + 1))
            continue
        while next_escape < 0 and searched_to < end:
            next_escape = text.find("\\u", searched_to - 1, min(length, end + _ESCAPE_WINDOW))
            searched_to = min(length, end + _ESCAPE_WINDOW)
        if 0 <= next_escape < end:
            log.problems.extend(lone_surrogates(text, start, end))
            searched_to = min(length, end + _ESCAPE_WINDOW)
            next_escape = text.find("\\u", end, searched_to)
        if share is not None and type(value) is dict:
            value = share(value)
        entry = LogEntry(len(log.entries), start, end, value)
        log.entries.append(entry)
        index = skip_whitespace(text, end)
        expect_value = False
        if stop is not None and stop(entry):
            return True
    log.problems.append(SyntaxProblem("unexpected end of file: the array is never closed with ']'",
                                      max(0, length - 1), length))
    return False


_SEPARATOR = re.compile(r"[ \t\n\r]*(,)[ \t\n\r]*")


def _clean_prefix(log: TaskLog, index: int, last_comma: int | None,
                  share: Callable[[dict[str, Any]], dict[str, Any]] | None) -> tuple[int, bool, int | None]:
    """The entries of a whole parse up to the first that is not plain, in a tight loop; returns the loop's state.

    A plain entry decodes without error, holds no `\\u` escape (so no lone surrogate) and is followed by
    a comma or the closing bracket: exactly what `parse_entries` would record for it, found in about
    half the time of its general loop (one separator match and no branches an entry). The first entry
    that is anything else is left, with the state `parse_entries` would have there, to the general loop.
    """
    text = log.text
    escape = text.find("\\u", index)
    if escape < 0:
        escape = len(text)
    entries = log.entries
    append = entries.append
    scan_plain, scan_hooked, count = _scan_plain, _scan_once, text.count
    separator = _SEPARATOR.match
    number = len(entries)
    while True:
        try:
            value, end = scan_plain(text, index)
        except (ValueError, StopIteration, RecursionError):
            return index, True, last_comma
        if end > escape:
            return index, True, last_comma
        if type(value) is dict and count(":", index, end) != len(value):
            value, end = scan_hooked(text, index)
        if share is not None and type(value) is dict:
            value = share(value)
        append(LogEntry(number, index, end, value))
        number += 1
        found = separator(text, end)
        if found is None:
            return skip_whitespace(text, end), False, last_comma
        last_comma = found.start(1)
        index = found.end()


def _resync(text: str, index: int) -> tuple[int, bool]:
    """Skip damaged text to where the next entry (or the closing bracket) most likely starts.

    Returns the new index and whether a value is expected there.
    """
    match = _RESYNC.search(text, index)
    if match is None:
        close = text.rfind("]")
        return (close if close >= index else len(text)), False
    matched = match.group(0)
    if matched.startswith("}"):
        return skip_whitespace(text, match.end()), matched.endswith(",")
    return skip_whitespace(text, match.end()), True


def _check_trailing(log: TaskLog, index: int) -> None:
    rest = skip_whitespace(log.text, index)
    if rest < len(log.text):
        log.problems.append(SyntaxProblem("unexpected text after the closing ']'", rest, len(log.text)))

"""TC1xx: the task log's own rules (syntax, shape, fields, dates, ids, paths)."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.positions import Range
from techcat_core.tasklog.dates import ISO_DATE, parse_iso_date, suggest_date
from techcat_core.tasklog.ids import MAX_ID_DIGITS, TASK_ID, format_task_id, repair_task_id, task_number
from techcat_core.tasklog.parse import REQUIRED_FIELDS, DupKeys, LogDigest, LogEntry, TaskLog

_EXPECTED_TYPES: dict[str, tuple[type, str]] = {
    "task_id": (str, "a string"),
    "agent": (str, "a string"),
    "date": (str, "a string"),
    "summary": (str, "a string"),
    "output_files": (list, "an array of strings"),
}
_KNOWN_FIELDS = frozenset(REQUIRED_FIELDS)
_STR = {str}
_DUP_TYPE = DupKeys


_FIELD_FORMS = {
    "task_id": "a task id of the form task-<digits>",
    "agent": "an agent name",
    "date": "a YYYY-MM-DD date",
    "summary": "a non-empty line of text",
    "output_files": "an array of paths",
}
_AGENT_NAME = re.compile(r"^[A-Za-z][\w.-]*$")


def valid_for(name: str, value: object) -> bool:
    """Whether `value` is already valid as field `name`: only then is renaming a key to `name` a safe fix."""
    if name == "task_id":
        return isinstance(value, str) and TASK_ID.match(value) is not None
    if name == "agent":
        return isinstance(value, str) and _AGENT_NAME.match(value) is not None
    if name == "date":
        return isinstance(value, str) and parse_iso_date(value) is not None
    if name == "summary":
        return isinstance(value, str) and bool(value.strip())
    if name == "output_files":
        return isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)
    return False


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_ENTRY_KEYS = ("tasks", "entries", "log", "task_log", "items", "history", "records", "data")


def _entries_score(key: str, items: list[Any]) -> tuple[int, int, int]:
    """How likely an array of a wrapper object holds the entries: objects first, then a telling key, then size."""
    objects = sum(1 for item in items if isinstance(item, dict))
    telling = len(_ENTRY_KEYS) - _ENTRY_KEYS.index(key.lower()) if key.lower() in _ENTRY_KEYS else 0
    return (int(objects > 0 and objects == len(items)), telling, objects)


IdFact = tuple[str | None, int | None, int]
"""What the id rules read of one entry: its task_id (None unless a string in an object), the id's number when
it is well formed, and that number's digit count (0 when not)."""
NO_ID: IdFact = (None, None, 0)


def id_fact(entry: LogEntry) -> IdFact:
    value = entry.value
    task_id = value.get("task_id") if type(value) is dict or isinstance(value, dict) else None
    if type(task_id) is not str:
        return NO_ID
    digits = task_id[5:]
    if task_id.startswith("task-") and 0 < len(digits) <= MAX_ID_DIGITS and digits.isascii() and digits.isdigit():
        return (task_id, int(digits), len(digits))  # TASK_ID's match, without the regex (100k ids a check)
    match = TASK_ID.match(task_id)  # the rare rest, exactly as the regex decides (`$` allows a final newline)
    return (task_id, int(match.group(1)), len(match.group(1))) if match else (task_id, None, 0)


@functools.lru_cache(maxsize=65536)
def _escape_problem(path: str) -> str | None:
    return path_escape_problem(path)


class TaskLogRules:
    """The TC1xx rules of one parsed log, as passes over the whole log and rules over one entry.

    `run` is the full check. The language server's incremental check (`tasklog/recheck.py`) calls the same
    passes on the entries an edit replaced and keeps their results; no rule is stated twice.
    """

    def __init__(self, log: TaskLog, root: Path, today: dt.date, tolerance_days: int,
                 exists_cache: dict[str, bool] | None = None) -> None:
        self.log = log
        self.root = root
        self.today = today
        self.latest_ok = today + dt.timedelta(days=tolerance_days)
        self.path = log.path
        self.out: list[Diagnostic] = []
        self._exists: dict[str, bool] = {} if exists_cache is None else exists_cache
        self._good_dates: set[str] = set()
        self.task_ids: set[str] = set()  # the well-formed ids `run` saw (what TC302 compares with)

    def take(self) -> tuple[Diagnostic, ...]:
        """The diagnostics found since the last call."""
        found = tuple(self.out)
        del self.out[:]
        return found

    def diag(self, code: str, message: str, start: int, end: int, fixes: tuple[Fix, ...] = ()) -> None:
        self.out.append(Diagnostic.of(code, message, self.path, self.log.range(start, end), fixes))

    def diag_range(self, code: str, message: str, rng: Range, fixes: tuple[Fix, ...] = ()) -> None:
        self.out.append(Diagnostic.of(code, message, self.path, rng, fixes))

    def replace_value(self, entry: LogEntry, key: str, new_value: str, title: str, safe: bool = True) -> Fix:
        return Fix(title, (TextEdit(self.path, self.log.value_range(entry, key), json.dumps(new_value)),), safe)

    # -- the passes ---------------------------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        self.syntax()
        if self.shape_says_all():
            return self.out
        entries = self.log.entries
        digest = self.log.fresh_digest()
        if digest is None or not self._clean_entries(digest):
            self.entry_pass(entries)
        if digest is not None and self._clean_ids(digest.digits):
            self.task_ids = digest.task_ids  # every id well formed, none repeated, no gap: no TC110-TC112
        else:
            facts = list(map(id_fact, entries))
            self.id_rules(entries, facts)
            self.task_ids = {task_id for task_id, number, _ in facts if number is not None and task_id is not None}
        self.paths(entries, digest.paths if digest is not None else None)
        return self.out

    def entry_pass(self, entries: list[LogEntry]) -> None:
        """TC102-TC109 for every entry, in order."""
        good_dates = self._good_dates
        for entry in entries:
            value = entry.value
            if type(value) is not dict and not isinstance(value, dict):
                self.not_an_object(entry)
            elif not self.well_formed(value):
                self.fields(entry)
            elif value["date"] not in good_dates:
                self.date(entry, value["date"])

    def _clean_entries(self, digest: LogDigest) -> bool:
        """Whether `entry_pass` would report nothing: `well_formed` holds for every entry and every date is a
        good one. The digest vouches for each entry's shape, id, summary and files list; the rest is decided on
        its sets of distinct agents, dates and paths."""
        agents, dates, paths = digest.agents, digest.dates, digest.paths
        if not (set(map(type, agents)) <= _STR and set(map(type, dates)) <= _STR and set(map(type, paths)) <= _STR
                and all(map(str.strip, agents)) and all(map(str.strip, dates)) and all(map(str.strip, paths))):
            return False
        latest_ok = self.latest_ok
        for date in dates - self._good_dates:
            parsed = parse_iso_date(date)
            if parsed is None or parsed > latest_ok:
                return False
        self._good_dates.update(dates)
        return True

    @staticmethod
    def _clean_ids(digits: list[str]) -> bool:
        """Whether `id_rules` would report nothing, from each id's text after `task-`: every id is what
        `id_fact`'s fast test accepts, and their numbers all differ and leave no gap."""
        lengths = set(map(len, digits))
        joined = "".join(digits)
        if min(lengths) < 1 or max(lengths) > MAX_ID_DIGITS or not (joined.isascii() and joined.isdigit()):
            return False
        numbers = set(map(int, digits))
        return len(numbers) == len(digits) and max(numbers) - min(numbers) + 1 == len(numbers)

    def paths(self, entries: list[LogEntry], distinct: set[Any] | None = None) -> None:
        """TC113 and TC114 over the whole log. Each distinct path is judged once; only the entries that name
        one that escapes or does not exist go through `entry_paths`, and TC114 is reported only when some
        logged file exists (else the log was read away from its repository: every file would be noise).

        `distinct`: every item of the entries' `output_files` lists, when the caller has them (a digest)."""
        if distinct is None:
            lists = [files for entry in entries
                     if type(entry.value) is dict or isinstance(entry.value, dict)
                     if type(files := entry.value.get("output_files")) is list]
            try:
                distinct = set(itertools.chain.from_iterable(lists))
            except TypeError:  # an item that is an array or an object: every entry is looked at
                distinct = None
        if distinct is not None:
            paths = [p for p in distinct if type(p) is str and p.strip()]
            bad = {p for p in paths if _escape_problem(p) or not self.exists(p)}
            if any(p not in bad for p in paths) or not bad:
                missing: list[Diagnostic] = []
                for entry in entries if bad else ():
                    files = entry.value.get("output_files") if isinstance(entry.value, dict) else None
                    if type(files) is list and not bad.isdisjoint(files):
                        self.entry_paths(entry, self.out, missing)
                self.out.extend(missing)
                return
            for entry in entries:  # no logged file exists: only the escapes are reported
                files = entry.value.get("output_files") if isinstance(entry.value, dict) else None
                if type(files) is list and not bad.isdisjoint(files):  # a number there is TC1xx's, not a crash
                    self.entry_paths(entry, self.out, [])
            return
        found_missing: list[Diagnostic] = []
        existing = 0
        for entry in entries:
            if isinstance(entry.value, dict):
                existing += self.entry_paths(entry, self.out, found_missing)
        if existing:
            self.out.extend(found_missing)

    def shape_says_all(self) -> bool:
        """TC101 (the top level is no array) or a foreign log's one TC103: then no entry rule runs."""
        if self.log.top_level == "invalid":
            return True  # the syntax error (TC100) says it all
        if self.log.top_level not in ("array", "empty"):
            start, end = self.log.top_level_span
            article = "an" if self.log.top_level in ("object", "array") else "a"
            self.diag("TC101", f"the task log must be a JSON array of entries, not {article} "
                      f"{self.log.top_level}; {self.where_the_array_is(start, end)}", start, max(end, start + 1))
            return True
        return self.foreign_shape()  # one diagnostic says it all: no entry has a field of this format

    def not_an_object(self, entry: LogEntry) -> None:
        self.diag("TC102", f"entry {entry.index + 1} is {_json_type(entry.value)}, not an object with task_id, "
                  "agent, date, summary and output_files", entry.start, entry.end)

    def entry(self, entry: LogEntry) -> None:
        """TC102-TC109 for one entry (the id and path rules need the whole log: `id_rules`, `entry_paths`)."""
        value = entry.value
        if not isinstance(value, dict):
            self.not_an_object(entry)
        elif not self.well_formed(value):
            self.fields(entry)
        elif value["date"] not in self._good_dates:
            self.date(entry, value["date"])

    def syntax(self) -> None:
        text = self.log.text
        for problem in self.log.problems:
            fixes: tuple[Fix, ...] = ()
            message = problem.message
            if message.startswith("trailing comma"):
                fixes = (Fix("Remove the trailing comma", (TextEdit(self.path, self.log.range(problem.start,
                                                                                          problem.end), ""),)),)
            elif message.startswith("expected ',' or ']'") and text[problem.start:problem.start + 1] == "{":
                before = problem.start
                while before > 0 and text[before - 1] in " \t\r\n":
                    before -= 1
                fixes = (Fix("Insert the missing comma", (TextEdit(self.path, self.log.range(before, before), ","),)),)
                message = "missing ',' between entries"
            pos = self.log.lines.position(problem.start)
            self.diag("TC100", f"JSON syntax error at line {pos.line + 1}, column {pos.character + 1}: "
                      f"{explain_syntax(message, text, problem.start)}", problem.start,
                      max(problem.end, problem.start + 1), fixes)

    def foreign_shape(self) -> bool:
        """A log of another tool's shape (`task`, `timestamp`, `result`, …): one TC103, not five per entry.

        True when there are entries, all objects, and not one of them has a key of this format or a
        key a safe rename would turn into one.
        """
        entries = self.log.entries
        if not entries or (isinstance(entries[0].value, dict) and not _KNOWN_FIELDS.isdisjoint(entries[0].value)):
            return False  # decided by the first entry, as in nearly every log
        if not all(isinstance(e.value, dict) and e.value for e in entries):
            return False
        keys: Counter[str] = Counter()
        for entry in entries:
            for key, item in entry.value.items():
                if key in _KNOWN_FIELDS:
                    return False
                guess = difflib.get_close_matches(key, REQUIRED_FIELDS, n=1, cutoff=0.6)
                if guess and valid_for(guess[0], item):
                    return False
                keys[key] += 1
        count = len(entries)
        shown = ", ".join(f"`{key}`" for key, _ in keys.most_common(5)) + (", …" if len(keys) > 5 else "")
        first = entries[0]
        self.diag("TC103", f"this is a log of another format: none of its {count} "
                  f"entr{'y has' if count == 1 else 'ies have'} the fields of TechCat's task log (task_id, agent, "
                  f"date, summary, output_files); they have {shown}. Rename the file to keep it (TechCat reads "
                  ".codex/TASK-LOG.json as its own log), or convert each entry to those five fields",
                  first.start, first.start + 1)
        return True

    def where_the_array_is(self, start: int, end: int) -> str:
        """What to do about a wrong top level; an object wrapping the entries (`{"tasks": [...]}`) says where."""
        try:
            value = json.loads(self.log.text[start:end])
        except ValueError:
            value = None
        if isinstance(value, dict):
            arrays = [key for key, item in value.items() if isinstance(item, list)]
            if arrays:
                key = max(arrays, key=lambda k: _entries_score(k, value[k]))
                found = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(self.log.text, start, end)
                at = found.start() if found else -1
                line = self.log.lines.position(at).line + 1 if at >= 0 else 1
                count = len(value[key])
                others = f" (and drop {', '.join(repr(k) for k in value if k != key)})" if len(value) > 1 else ""
                return (f"the {count} entr{'y is' if count == 1 else 'ies are'} already in an array, under "
                        f"\"{key}\" at line {line}: make that array the whole file{others}")
        return "wrap the entries in [ ]"

    def well_formed(self, value: dict[str, Any]) -> bool:
        """The common case, decided in a few operations: the five fields, well typed and non-empty."""
        if value.keys() != _KNOWN_FIELDS or isinstance(value, _DUP_TYPE):
            return False
        task_id, agent, date, summary, files = (value["task_id"], value["agent"], value["date"], value["summary"],
                                                value["output_files"])
        if not (type(task_id) is str and type(agent) is str and type(date) is str and type(summary) is str
                and type(files) is list and task_id.strip() and agent.strip() and date.strip() and summary.strip()):
            return False
        try:
            return all(map(str.strip, files))  # in C; a path that is not a string raises TypeError
        except TypeError:
            return False

    def fields(self, entry: LogEntry) -> None:
        value: dict[str, object] = entry.value
        keys = value.keys()
        missing = [name for name in REQUIRED_FIELDS if name not in keys]
        unknown = [key for key in keys if key not in _KNOWN_FIELDS]
        for key in unknown:
            guess = difflib.get_close_matches(key, missing, n=1, cutoff=0.6)
            if guess and not valid_for(guess[0], value[key]):
                self.diag_range("TC106", f"unknown field `{key}`: its value is not "
                                f"{_FIELD_FORMS[guess[0]]}, so it is not a misspelt `{guess[0]}`; the task log format "
                                "defines task_id, agent, date, summary and output_files",
                                self.log.key_range(entry, key))
                continue  # a rename would turn it into an invalid `task_id` (or date, …): no fix
            if guess:
                span = self.log.spans(entry)[key]
                fix = Fix(f"Rename `{key}` to `{guess[0]}`",
                          (TextEdit(self.path, self.log.range(span.key_start, span.key_end), json.dumps(guess[0])),))
                self.diag_range("TC106", f"unknown field `{key}`; did you mean `{guess[0]}`?",
                                self.log.key_range(entry, key), (fix,))
                missing.remove(guess[0])
            else:
                self.diag_range("TC106", f"unknown field `{key}`: the task log format defines "
                                "task_id, agent, date, summary and output_files", self.log.key_range(entry, key))
        for name in missing:
            label = entry.task_id or f"entry {entry.index + 1}"
            self.diag("TC103", f"{label} has no `{name}` field", entry.start, entry.start + 1)
        for key in entry.duplicate_keys:
            spans = [s for s in self.log.all_spans(entry) if s.key == key]
            where = spans[-1] if spans else None
            rng = self.log.range(where.key_start, where.key_end) if where else self.log.range(entry.start,
                                                                                                entry.start + 1)
            self.diag_range("TC107", f"`{key}` appears more than once in this entry; JSON readers "
                            "keep only the last one", rng)
        for name, (expected, label) in _EXPECTED_TYPES.items():
            if name not in keys:
                continue
            field_value = value[name]
            if not isinstance(field_value, expected):
                self.diag_range("TC104", f"`{name}` must be {label}, not {_json_type(field_value)}",
                                self.log.value_range(entry, name))
                continue
            if name == "output_files":
                assert isinstance(field_value, list)
                self.output_items(entry, field_value)
            elif not str(field_value).strip() and name != "output_files":
                self.diag_range("TC105", f"`{name}` is empty", self.log.value_range(entry, name))
        date = value.get("date")
        if isinstance(date, str) and date.strip():
            self.date(entry, date)

    def output_items(self, entry: LogEntry, items: list[object]) -> None:
        bad = [i for i, item in enumerate(items) if not isinstance(item, str) or not item.strip()]
        if not bad:
            return
        spans = self.log.item_spans(entry, "output_files")
        for i in bad:
            start, end = spans[i] if i < len(spans) else (entry.start, entry.start + 1)
            item = items[i]
            problem = "is empty" if isinstance(item, str) else f"is {_json_type(item)}, not a path string"
            self.diag("TC104" if not isinstance(item, str) else "TC105",
                      f"output_files[{i}] {problem}", start, end)

    def date(self, entry: LogEntry, date: str) -> None:
        parsed = parse_iso_date(date)
        if parsed is not None and parsed <= self.latest_ok:
            self._good_dates.add(date)
            return
        if parsed is None:
            suggestion, safe = suggest_date(date)
            if ISO_DATE.match(date) and suggestion is None:
                message = f'date "{date}" is not a real calendar date'
            elif suggestion:
                message = f'date "{date}" is not YYYY-MM-DD; did you mean {suggestion}?'
            else:
                message = f'date "{date}" is not YYYY-MM-DD (for example 2025-06-30)'
            if suggestion and not safe:
                message = (f'date "{date}" is not a real calendar date, so its meaning is not certain (the last day of '
                           f"that month is {suggestion}); write the intended date as YYYY-MM-DD")
            fixes = (self.replace_value(entry, "date", suggestion, f"Change the date to {suggestion}", safe),) \
                if suggestion else ()
            self.diag_range("TC108", message, self.log.value_range(entry, "date"), fixes)
        elif parsed > self.latest_ok:
            self.diag_range("TC109", f'date "{date}" is in the future (today is '
                            f"{self.today.isoformat()})", self.log.value_range(entry, "date"))

    def id_rules(self, entries: list[LogEntry], facts: list[IdFact]) -> None:
        """TC110-TC112 from each entry's `IdFact` (`facts[i]` is `entries[i]`'s); only the entries whose id is
        malformed or repeated, and those at a gap, are looked at one by one."""
        widths = Counter([width for _, _, width in facts if width])
        width = widths.most_common(1)[0][0] if widths else 3
        numbers = [number for _, number, _ in facts if number is not None]
        present = set(numbers)
        next_free = max(present, default=0) + 1
        repeated = set() if len(present) == len(numbers) else {n for n, c in Counter(numbers).items() if c > 1}
        if repeated or len(numbers) + facts.count(NO_ID) < len(facts):  # else no id is repeated nor malformed
            self.malformed_and_repeated(entries, facts, width, set(present), repeated, next_free)
        if present and max(present) - min(present) + 1 != len(present):
            self.gaps(entries, facts, width, sorted(present))

    def malformed_and_repeated(self, entries: list[LogEntry], facts: list[IdFact], width: int, taken: set[int],
                               repeated: set[int], next_free: int) -> None:
        """TC110 and TC111, entry by entry."""
        first_seen: dict[int, LogEntry] = {}
        for i, (task_id, number, _) in enumerate(facts):
            if number is None:
                if task_id is None or not task_id.strip():
                    continue
                entry = entries[i]
                repaired = repair_task_id(task_id, width)
                fixes: tuple[Fix, ...] = ()
                if repaired and task_number(repaired) not in taken:
                    fixes = (self.replace_value(entry, "task_id", repaired, f"Change the id to {repaired}"),)
                    taken.add(task_number(repaired) or 0)
                self.diag_range("TC110", f'task id "{task_id}" is not of the form task-<digits> '
                                f"(for example {format_task_id(1, width)})", self.log.value_range(entry, "task_id"),
                                fixes)
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
            first_line = self.log.lines.position(first.start).line + 1
            self.diag_range("TC111", f"task id {task_id} is already used by the entry at line "
                            f"{first_line}; renumber this one to {new_id}", self.log.value_range(entry, "task_id"),
                            (self.replace_value(entry, "task_id", new_id, f"Renumber to {new_id}"),))

    def gaps(self, entries: list[LogEntry], facts: list[IdFact], width: int, ordered: list[int]) -> None:
        """TC112, once a gap in the sorted numbers, at the first entry after it."""
        gaps = [(a, b) for a, b in itertools.pairwise(ordered) if b - a > 1]
        wanted = {n for pair in gaps for n in pair}
        firsts: dict[int, LogEntry] = {}
        for i, (_, number, _) in enumerate(facts):
            if number in wanted:
                firsts.setdefault(number, entries[i])
        for before, after in gaps:
            missing = after - before - 1
            span = format_task_id(before + 1, width) if missing == 1 else \
                f"{format_task_id(before + 1, width)}…{format_task_id(after - 1, width)}"
            self.diag_range("TC112", f"task ids jump from {format_task_id(before, width)} to "
                            f"{format_task_id(after, width)}: {span} not in the log",
                            self.log.value_range(firsts[after], "task_id"))

    def exists(self, path: str) -> bool:
        known = self._exists.get(path)
        if known is None:
            known = self._exists[path] = os.path.exists(os.path.join(self.root, path))
        return known

    def entry_paths(self, entry: LogEntry, escapes: list[Diagnostic], missing: list[Diagnostic]) -> int:
        """TC113 for one entry's output paths into `escapes`, TC114 into `missing`; returns how many exist.

        The caller reports `missing` only when some logged file exists (`run`: the log-wide files-exist gate).
        """
        value = entry.value.get("output_files")
        if type(value) is not list:
            return 0
        known = self._exists
        try:
            if value and all(map(known.get, value)):
                return len(value)  # the common case: paths seen before, inside the repository, that exist
        except TypeError:
            pass  # an item that is an array or an object: looked at one by one below
        existing = 0
        for i, item in enumerate(value):
            if type(item) is not str:
                continue
            if known.get(item):
                existing += 1  # the common case: a path seen before, inside the repository, that exists
                continue
            if not item.strip():
                continue
            problem = _escape_problem(item)
            if problem:
                start, end = self.item_span(entry, i)
                escapes.append(Diagnostic.of("TC113", f'output path "{item}" {problem}; name files relative to the '
                                             "repository root", self.path, self.log.range(start, end)))
            elif self.exists(item):
                existing += 1
            else:
                start, end = self.item_span(entry, i)
                missing.append(Diagnostic.of("TC114", f'output file "{item}" does not exist in the repository',
                                             self.path, self.log.range(start, end)))
        return existing

    def item_span(self, entry: LogEntry, index: int) -> tuple[int, int]:
        spans = self.log.item_spans(entry, "output_files")
        return spans[index] if index < len(spans) else (entry.start, entry.start + 1)


_CONTROL_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}
_DECODER_MESSAGES = {
    # json's decoder messages, some cut mid-sentence ("Invalid control character at"), as whole sentences
    "Unterminated string starting at": "a string starts here and is never closed with '\"'; add the closing quote",
    "Invalid \\escape": "a backslash starts an escape JSON does not have; write a literal backslash as \\\\ "
                         "(Windows paths: use forward slashes)",
    "Invalid \\uXXXX escape": "\\u must be followed by four hexadecimal digits",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes (a trailing comma before "
                                                         "'}', or a key in single quotes?)",
    "Expecting ':' delimiter": "expected ':' between a key and its value",
    "Expecting ',' delimiter": "expected ',' between two fields of the entry (or a missing quote before here)",
    "Expecting value": "expected a value (a string, number, array, object, true, false or null)",
    "Extra data": "unexpected text after the end of the value",
}


def explain_syntax(message: str, text: str, offset: int) -> str:
    """The whole decoder message as a sentence, with what to do."""
    if message.startswith("Invalid control character"):
        char = text[offset:offset + 1]
        name = _CONTROL_NAMES.get(char, f"the control character U+{ord(char):04X}" if char else "a control character")
        escape = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, "\\u00XX")
        return (f"{name} inside a string; JSON strings cannot contain raw control characters: write it as {escape}, "
                "or end the string with '\"' before it")
    return _DECODER_MESSAGES.get(message, message)


def path_escape_problem(path: str) -> str | None:
    """Why `path` is not a repository-relative path inside the repository, or None when it is."""
    if ".." not in path and ":" not in path and not path.startswith(("/", "\\", "~")):
        return None  # the common case, decided without building path objects (logs name 100k+ paths)
    if path.startswith(("/", "\\", "~")) or PureWindowsPath(path).is_absolute() or PureWindowsPath(path).drive:
        return "is absolute"
    parts = PurePosixPath(path.replace("\\", "/")).parts
    depth = 0
    for part in parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return "escapes the repository"
        elif part not in (".", ""):
            depth += 1
    return None


def check_task_log(log: TaskLog, root: Path, today: dt.date | None = None,
                   future_tolerance_days: int = 1) -> list[Diagnostic]:
    """Every TC1xx diagnostic of one parsed log."""
    return TaskLogRules(log, root, today or dt.date.today(), future_tolerance_days).run()


def iter_task_ids(log: TaskLog) -> Iterator[str]:
    for entry in log.entries:
        task_id = entry.task_id
        if task_id and TASK_ID.match(task_id):
            yield task_id

"""Importing the Markdown task logs projects kept before they moved to JSON.

Blocks of `### Task Completed` with `**Agent:**`, `**Task Id:**`, `**Date:**`, `**Summary:**` and
`**Output Files:**` lines, separated by `---`. Each block is imported or reported on its own: one bad
block (an unreadable date, no agent) is reported with its line and skipped, and the good ones are
imported, unless the caller asks for all or nothing (`techcat import-log --strict`). A Markdown file of
another shape gets one sentence saying so, not a complaint about each of its lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.tasklog.dates import ambiguous_reading, parse_iso_date, suggest_date
from techcat_core.tasklog.ids import TASK_ID, repair_task_id
from techcat_core.tasklog.store import NewEntry

_FIELD = re.compile(r"^\s*[-*]?\s*\*\*\s*(agent|task\s*id|date|summary|output\s*files)\s*:?\s*\*\*\s*:?\s*(.*?)\s*$",
                    re.IGNORECASE)
_BLOCK_START = re.compile(r"^#{1,6}\s*task\s+completed\b", re.IGNORECASE)
_PATH = re.compile(r"`([^`]+)`")
_NO_FILES = frozenset({"", "none", "(none)", "n/a", "na", "-", "—", "–", "nothing", "no files", "[]", "null",
                       "no output files", "none.", "_none_", "*none*"})


@dataclass(slots=True)
class LegacyProblem:
    line: int  # 1-based
    message: str


@dataclass(slots=True)
class LegacyImport:
    entries: list[NewEntry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # 1-based line of each entry's block
    problems: list[LegacyProblem] = field(default_factory=list)
    skipped: int = 0  # blocks with task fields that were not imported
    foreign: str | None = None  # set when the text is not a task log of this kind at all: the one thing to say

    @property
    def refused(self) -> list[LegacyProblem]:
        """The problems that kept a block out (with `--strict`, any of them refuses the whole import)."""
        return [p for p in self.problems if p.message.startswith("block skipped")]


def has_task_blocks(text: str) -> bool:
    """Whether `text` has a `### Task Completed` heading: a log `techcat import-log` can read."""
    return any(_BLOCK_START.match(line) for line in text.splitlines())


def _paths(value: str) -> tuple[str, ...]:
    """The files of an `**Output Files:**` value: comma-separated or list items, each a code span or bare."""
    if value.strip().lower().strip("`*_ ") in _NO_FILES or value.strip().lower() in _NO_FILES:
        return ()
    found: list[str] = []
    for piece in re.split(r",|\s+(?=(?:[-*+]|\d+[.)])\s)", value.strip().strip("[]")):
        piece = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", piece)
        quoted = _PATH.findall(piece)
        found.extend(quoted if quoted else [piece.strip().strip("'\"")])
    return tuple(p.strip() for p in found if p.strip() and p.strip().lower() not in _NO_FILES)


def _date(value: str) -> tuple[str | None, str | None]:
    """The block's date as ISO, or why it cannot be read for certain."""
    value = value.strip().strip("`*_")
    if not value:
        return None, None
    if parse_iso_date(value) is not None:
        return value, None
    suggestion, safe = suggest_date(value)
    if suggestion and safe:
        return suggestion, None
    if suggestion:
        return None, f'date "{value}" names no real day (perhaps {suggestion}); write the intended date as YYYY-MM-DD'
    readings = ambiguous_reading(value)
    if readings:
        return None, f'date "{value}" reads two ways ({readings}); write the intended date as YYYY-MM-DD'
    return None, f'date "{value}" is not a date TechCat can read; write it as YYYY-MM-DD (for example 2025-06-03)'


def _task_id(value: str) -> str | None:
    value = value.strip().strip("`")
    if not value or TASK_ID.match(value):
        return value or None
    return repair_task_id(value, 3)


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")
_OTHER_FIELD = re.compile(r"^\s*[-*]?\s*(?:\*\*|__)[^*_]+:?(?:\*\*|__)")


def _continues(name: str, line: str) -> bool:
    """Whether `line` carries on field `name`: a wrapped summary line, or one more item of the file list."""
    if not line.strip() or line.lstrip().startswith("#") or _OTHER_FIELD.match(line):
        return False
    if name == "output_files":
        return bool(_LIST_ITEM.match(line) or line.strip().startswith("`"))
    return name == "summary"


def _blocks(text: str) -> list[tuple[int, list[tuple[int, str]]]]:
    # A block starts at a `### Task Completed` heading or after a `---` rule: real logs misplace either.
    blocks: list[tuple[int, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] = []
    blocks.append((1, current))
    for number, line in enumerate(text.splitlines(), start=1):
        if _BLOCK_START.match(line) or line.strip() == "---":
            current = []
            blocks.append((number, current))
        else:
            current.append((number, line))
    return blocks


def parse_legacy_log(text: str) -> LegacyImport:
    result = LegacyImport()
    outside: list[int] = []
    for start, lines in _blocks(text):
        fields: dict[str, str] = {}
        unread: list[int] = []
        open_field: str | None = None  # the field the next line may continue
        for number, line in lines:
            match = _FIELD.match(line)
            if match:
                open_field = re.sub(r"\s+", "_", match.group(1).lower())
                fields[open_field] = match.group(2)
            elif open_field is not None and _continues(open_field, line):
                fields[open_field] += " " + line.strip()
            else:
                open_field = None  # a blank line, a heading, another `**Field:**` or prose ends the field
                if line.strip() and not line.lstrip().startswith("#"):
                    unread.append(number)
        if not fields:
            if unread:
                outside.append(unread[0])
            continue
        if unread:
            result.problems.append(LegacyProblem(unread[0], f"{len(unread)} line{'s' if len(unread) > 1 else ''} of "
                                                 f"the block at line {start} not understood, skipped"))
        missing = [name for name in ("agent", "summary") if not fields.get(name, "").strip()]
        date, date_problem = _date(fields.get("date", ""))
        if missing or date_problem:
            reason = f"no {' or '.join(missing)}" if missing else date_problem
            result.problems.append(LegacyProblem(start, f"block skipped: {reason}"))
            result.skipped += 1
            continue
        result.entries.append(NewEntry(
            agent=fields["agent"].strip().strip("`"),
            summary=" ".join(fields["summary"].split()),
            output_files=_paths(fields.get("output_files", "")),
            date=date,
            task_id=_task_id(fields.get("task_id", "")),
        ))
        result.lines.append(start)
    if not result.entries and not result.skipped:
        result.problems.clear()
        result.foreign = ("not a task log TechCat knows: it has no `### Task Completed` blocks with `**Agent:**` and "
                          "`**Summary:**` lines (TechCat's own log is .codex/TASK-LOG.json; `techcat log` appends "
                          "to it)")
    elif outside:
        result.problems.append(LegacyProblem(outside[0], f"text outside the task blocks was skipped ({len(outside)} "
                                             f"place{'s' if len(outside) > 1 else ''})"))
    result.problems.sort(key=lambda p: p.line)
    return result


def entry_problems(entry: NewEntry, root: Path) -> list[str]:
    """What `techcat check` would report as errors in the entry this block becomes (before any id is given)."""
    from techcat_core.diagnostics import Severity
    from techcat_core.tasklog.parse import parse_task_log
    from techcat_core.tasklog.rules import check_task_log

    value = {"task_id": "task-1", "agent": entry.agent, "date": entry.date or "2000-01-01",
             "summary": entry.summary, "output_files": list(entry.output_files)}
    log = parse_task_log(json.dumps([value], indent=2, ensure_ascii=False))
    return [d.message for d in check_task_log(log, root)
            if d.severity is Severity.ERROR and d.code not in ("TC113", "TC109")]


def screen_entries(parsed: LegacyImport, root: Path) -> None:
    """Move the blocks whose entry the store would refuse into `problems`, each with its line."""
    kept: list[NewEntry] = []
    lines: list[int] = []
    for entry, line in zip(parsed.entries, parsed.lines, strict=True):
        problems = entry_problems(entry, root)
        if problems:
            parsed.problems.append(LegacyProblem(line, "block skipped: " + "; ".join(problems)))
            parsed.skipped += 1
        else:
            kept.append(entry)
            lines.append(line)
    parsed.entries, parsed.lines = kept, lines
    parsed.problems.sort(key=lambda p: p.line)

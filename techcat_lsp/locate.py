"""What the cursor is on: an agent name, a task id or an output path, in any `.codex/` file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from techcat_core.positions import Position, Range
from techcat_core.tasklog.parse import LogEntry, TaskLog
from techcat_lsp.analysis import Analysis

TASK_WORD = re.compile(r"\btask-\d+\b")
NAME_WORD = re.compile(r"[A-Za-z][\w.-]*")


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # "agent", "task" or "path"
    name: str
    range: Range  # in the document, core positions
    entry: LogEntry | None = None  # for a target inside a task-log entry


def target_at(analysis: Analysis, path: Path, position: Position) -> Target | None:
    lines = analysis.lines(path)
    if lines is None:
        return None
    log = analysis.log
    if path == analysis.log_path and log is not None:
        found = _in_log(log, lines.offset(position))
        if found is not None:
            return found
    line = lines.line_text(position.line)
    column = position.character
    for match in TASK_WORD.finditer(line):
        if match.start() <= column <= match.end():
            return Target("task", match.group(0), Range.of(position.line, match.start(), end=match.end()))
    known = analysis.known_agents()
    for match in NAME_WORD.finditer(line):
        if match.start() <= column <= match.end():
            name = match.group(0).rstrip(".-")
            if name in known:
                return Target("agent", name, Range.of(position.line, match.start(), end=match.start() + len(name)))
    return None


def _in_log(log: TaskLog, offset: int) -> Target | None:
    entry = log.entry_at(offset)
    if entry is None or not entry.is_object:
        return None
    spans = log.spans(entry)
    for key, kind in (("agent", "agent"), ("task_id", "task")):
        span = spans.get(key)
        value = entry.get(key)
        if span is not None and isinstance(value, str) and span.value_start <= offset <= span.value_end:
            return Target(kind, value, log.range(span.value_start + 1, max(span.value_start + 1, span.value_end - 1)),
                          entry)
    raw = entry.get("output_files")
    if isinstance(raw, list):
        for index, (start, end) in enumerate(log.item_spans(entry, "output_files")):
            if start <= offset <= end and index < len(raw) and isinstance(raw[index], str):
                return Target("path", raw[index], log.range(start + 1, max(start + 1, end - 1)), entry)
    return None

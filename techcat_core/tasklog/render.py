"""Writing entries in the log's own style, so an append or a merge changes only what it adds."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from techcat_core.tasklog.parse import REQUIRED_FIELDS, TaskLog

_INDENT = re.compile(r"[ \t]*")


@dataclass(frozen=True, slots=True)
class LogStyle:
    """How a log is laid out: entry indentation, the indent unit inside entries, key order, ASCII or not."""

    entry_indent: str = "  "
    unit: str | None = "  "  # None: one entry per line, compact
    key_order: tuple[str, ...] = REQUIRED_FIELDS
    ensure_ascii: bool = False
    newline: str = "\n"


def detect_style(log: TaskLog) -> LogStyle:
    text = log.text
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"
    objects = [e for e in log.entries if isinstance(e.value, dict)]
    if not objects:
        return LogStyle(newline=newline)
    last = objects[-1]
    line_start = text.rfind("\n", 0, last.start) + 1
    prefix = text[line_start:last.start]
    entry_indent = prefix if not prefix.strip() else "  "
    body = text[last.start:last.end]
    unit: str | None = None
    if "\n" in body:
        second = body.split("\n", 1)[1]
        match = _INDENT.match(second)
        inner = match.group(0) if match else ""
        unit = inner[len(entry_indent):] if inner.startswith(entry_indent) and len(inner) > len(entry_indent) \
            else "  "
    keys = tuple(last.value.keys())
    order = keys if set(REQUIRED_FIELDS) <= set(keys) else REQUIRED_FIELDS
    ascii_only = text.isascii() and "\\u" in text
    return LogStyle(entry_indent, unit, order, ascii_only, newline)


def render_entry(entry: dict[str, Any], style: LogStyle) -> str:
    """One entry as JSON text laid out like the rest of the log (without the leading indentation)."""
    ordered = {key: entry[key] for key in style.key_order if key in entry}
    ordered.update({key: value for key, value in entry.items() if key not in ordered})
    if style.unit is None:
        return json.dumps(ordered, ensure_ascii=style.ensure_ascii)
    text = json.dumps(ordered, indent=style.unit, ensure_ascii=style.ensure_ascii)
    lines = text.split("\n")
    return (style.newline + style.entry_indent).join(lines)


def after_last_entry(rendered: list[str], style: LogStyle) -> str:
    """The text that goes right after the last entry's closing brace: a comma and the new entries."""
    joiner = "," + style.newline + style.entry_indent
    return joiner + joiner.join(rendered)


def insertion(log: TaskLog, rendered: list[str], style: LogStyle) -> tuple[int, int, str]:
    """Where and what to insert so the new entries follow the last one: (start, end, text).

    Only the text between the last entry and the closing bracket may be replaced, so every byte of
    the existing entries stays as it was.
    """
    text = log.text
    joiner = "," + style.newline + style.entry_indent
    if log.entries:
        last_end = log.entries[-1].end
        return last_end, last_end, after_last_entry(rendered, style)
    if log.array_close is not None:
        open_at = log.top_level_span[0]
        body = style.newline + style.entry_indent + joiner.join(rendered) + style.newline
        return open_at + 1, log.array_close, body
    # an empty file: write a fresh array, keeping whatever trailing newline convention we have
    body = "[" + style.newline + style.entry_indent + joiner.join(rendered) + style.newline + "]" + style.newline
    return 0, len(text), body

"""Rendering diagnostics for people (text), programs (versioned JSON) and CI (GitHub annotations)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from techcat_core.codes import CODES
from techcat_core.diagnostics import Diagnostic, Severity
from techcat_core.engine import CheckResult
from techcat_core.positions import LineIndex

JSON_SCHEMA_VERSION = 1
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _display_path(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return str(path)


def _summary(result: CheckResult) -> str:
    counts = Counter(d.severity for d in result.diagnostics)
    if not result.diagnostics:
        return "All checks passed."
    fixable = sum(1 for d in result.diagnostics if d.fixes and d.fixes[0].safe)
    parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 and s != Severity.INFO else ''}"
             for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
    tail = f" ({fixable} fixable with `techcat check --fix`)" if fixable else ""
    return "Found " + ", ".join(parts) + tail + "."


def render_text(result: CheckResult, base: Path, color: bool = False) -> str:
    indexes: dict[Path, LineIndex] = {}
    lines: list[str] = []
    colors = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
    for d in result.diagnostics:
        where = f"{terminal_safe(_display_path(d.path, base))}:{d.range.start.line + 1}:{d.range.start.character + 1}"
        label = f"{colors[d.severity]}{d.severity.label}\033[0m" if color else d.severity.label
        lines.append(f"{where}: {d.code} [{label}] {terminal_safe(d.message)}")
        text = result.workspace.texts.get(d.path)
        if text is None:
            continue
        index = indexes.setdefault(d.path, LineIndex(text))
        source = index.line_text(d.range.start.line)
        if not source.strip() or len(source) > 300:
            continue
        number = str(d.range.start.line + 1)
        width = d.range.end.character - d.range.start.character if d.range.end.line == d.range.start.line \
            else len(source) - d.range.start.character
        start = len(terminal_safe(source[:d.range.start.character]))
        width = len(terminal_safe(source[d.range.start.character:d.range.start.character + width]))
        lines.append(f"  {number} | {terminal_safe(source)}")
        lines.append(f"  {' ' * len(number)} | {' ' * start}{'^' * max(1, width)}")
    lines.append(_summary(result))
    return printable("\n".join(lines) + "\n")


def diagnostic_json(d: Diagnostic, base: Path) -> dict[str, Any]:
    def rng(r: Any) -> dict[str, Any]:
        return {"start": {"line": r.start.line, "character": r.start.character},
                "end": {"line": r.end.line, "character": r.end.character}}

    code = CODES.get(d.code)
    return {
        "code": d.code,
        "name": code.name if code else d.code,
        "severity": d.severity.label,
        "message": d.message,
        "path": _display_path(d.path, base),
        "line": d.range.start.line + 1,
        "column": d.range.start.character + 1,
        "range": rng(d.range),
        "url": d.doc_url,
        "fixes": [{"title": f.title, "safe": f.safe,
                   "edits": [{"path": _display_path(e.path, base), "range": rng(e.range), "newText": e.new_text}
                             for e in f.edits]} for f in d.fixes],
    }


def render_json(result: CheckResult, base: Path) -> str:
    payload = {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "workspace": str(result.workspace.codex_dir),
        "summary": {s.label: result.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
        "diagnostics": [diagnostic_json(d, base) for d in result.diagnostics],
    }
    return json_text(payload)


def json_text(payload: Any) -> str:
    """Indented JSON that is valid UTF-8 whatever it quotes.

    A lone surrogate (a `\\ud800` escape in the log, a non-UTF-8 byte in a file name) cannot be written
    as UTF-8, and as a JSON escape strict parsers reject it; it is written as the six characters `\\ud800`
    instead, which reads as what the user typed.
    """
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\\\u{ord(m.group(0)):04x}", text)
    return text


# C0 controls but tab, DEL, C1 controls, and the bidirectional overrides that reorder what a terminal shows
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """A string from the repository (a name, a description, a message quoting a file) as one line a terminal
    shows and does not obey: an escape sequence (`\\x1b]0;…\\x07` retitles the window) or a newline is
    written as its `\\x1b`/`\\n` escape. Every user-controlled string `techcat check` and `techcat agents`
    print goes through here."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text) \
        if _CONTROL.search(text) else text


def printable(text: str) -> str:
    """Text for a terminal or a CI log: a lone surrogate shows as its `\\ud800` escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if _SURROGATE.search(text) else text


def _escape(value: str, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render_github(result: CheckResult, base: Path) -> str:
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for d in result.diagnostics:
        props = (f"file={_escape(_display_path(d.path, base), True)},line={d.range.start.line + 1},"
                 f"col={d.range.start.character + 1},endLine={d.range.end.line + 1},"
                 f"endColumn={d.range.end.character + 1},title={d.code}")
        lines.append(f"::{kinds[d.severity]} {props}::{_escape(d.message)}")
    lines.append(_summary(result))
    return printable("\n".join(lines) + "\n")

"""Importing the Markdown task logs projects kept before they moved to JSON.

Blocks of `### Task Completed` with `**Agent:**`, `**Task Id:**`, `**Date:**`, `**Summary:**` and
`**Output Files:**` lines, separated by `---`. What cannot be read is reported with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from techcat_core.tasklog.store import NewEntry

_FIELD = re.compile(r"^\s*[-*]?\s*\*\*\s*(agent|task\s*id|date|summary|output\s*files)\s*:?\s*\*\*\s*:?\s*(.*?)\s*$",
                    re.IGNORECASE)
_BLOCK_START = re.compile(r"^#{1,6}\s*task\s+completed\b", re.IGNORECASE)
_PATH = re.compile(r"`([^`]+)`")


@dataclass(slots=True)
class LegacyProblem:
    line: int  # 1-based
    message: str


@dataclass(slots=True)
class LegacyImport:
    entries: list[NewEntry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # 1-based line of each entry's block
    problems: list[LegacyProblem] = field(default_factory=list)


def _paths(value: str) -> tuple[str, ...]:
    quoted = _PATH.findall(value)
    if quoted:
        return tuple(p.strip() for p in quoted if p.strip())
    value = value.strip().strip("[]")
    return tuple(p.strip().strip("'\"") for p in value.split(",") if p.strip().strip("'\""))


def parse_legacy_log(text: str) -> LegacyImport:
    result = LegacyImport()
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
    for start, lines in blocks:
        fields: dict[str, str] = {}
        for number, line in lines:
            match = _FIELD.match(line)
            if match:
                name = re.sub(r"\s+", "_", match.group(1).lower())
                fields[name] = match.group(2)
            elif line.strip() and fields:
                last = list(fields)[-1]
                fields[last] += " " + line.strip()
            elif line.strip() and not line.lstrip().startswith("#"):
                result.problems.append(LegacyProblem(number, f"unrecognised line in the block at line {start}"))
        if not fields:
            for number, line in lines:
                if line.strip() and not line.lstrip().startswith("#"):
                    result.problems.append(LegacyProblem(number, "text outside a task block was skipped"))
                    break
            continue
        missing = [name for name in ("agent", "summary") if not fields.get(name, "").strip()]
        if missing:
            result.problems.append(LegacyProblem(start, f"block skipped: no {' or '.join(missing)}"))
            continue
        result.entries.append(NewEntry(
            agent=fields["agent"].strip().strip("`"),
            summary=" ".join(fields["summary"].split()),
            output_files=_paths(fields.get("output_files", "")),
            date=fields.get("date", "").strip() or None,
            task_id=fields.get("task_id", "").strip().strip("`") or None,
        ))
        result.lines.append(start)
    return result

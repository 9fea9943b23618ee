"""A git merge driver for the task log: the union of both sides' entries, nothing ever dropped.

Every append on two branches conflicts at the closing `]` under git's text merge. This driver keeps
ours byte for byte, adds the entries only theirs has in date order, and renumbers an incoming entry
whose id is already taken to the next free id.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techcat_core.tasklog.ids import format_task_id, id_width, task_number
from techcat_core.tasklog.parse import TaskLog, parse_task_log
from techcat_core.tasklog.render import detect_style, insertion, render_entry


@dataclass(frozen=True, slots=True)
class MergeResult:
    text: str
    added: int
    renumbered: list[tuple[str, str]]  # (old id, new id)


class MergeError(Exception):
    """A side is not a valid task log; the caller falls back to git's text merge."""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _parse(text: str, label: str) -> TaskLog:
    log = parse_task_log(text, label)
    if log.top_level == "empty":
        return log
    if not log.valid:
        raise MergeError(f"{label} is not a valid task log")
    return log


def merge_logs(base_text: str, ours_text: str, theirs_text: str) -> MergeResult:
    """The union: entries the base had stay put; both sides' new entries follow in date order (ours first
    on the same date), and an incoming entry whose id is taken gets the next free id."""
    base = _parse(base_text, "base")  # validated so a broken ancestor falls back to a text merge
    ours = _parse(ours_text, "ours")
    theirs = _parse(theirs_text, "theirs")
    have = Counter(_canonical(e.value) for e in ours.entries)
    incoming = []
    for entry in theirs.entries:
        key = _canonical(entry.value)
        if have[key] > 0:
            have[key] -= 1
            continue
        incoming.append(entry.value)
    if not incoming:
        return MergeResult(ours_text, 0, [])
    base_keys = Counter(_canonical(e.value) for e in base.entries)
    kept = 0  # ours' leading entries that the base already had stay exactly where they are
    for entry in ours.entries:
        key = _canonical(entry.value)
        if base_keys[key] <= 0:
            break
        base_keys[key] -= 1
        kept += 1
    ids = [e.task_id for e in ours.entries]
    width = id_width([*ids, *(e.task_id for e in theirs.entries)])
    taken = {n for t in ids if (n := task_number(t)) is not None}
    next_free = max(taken | {n for e in theirs.entries if (n := task_number(e.task_id)) is not None}, default=0) + 1
    style = detect_style(ours if ours.entries else theirs)
    renumbered = []
    pieces: list[tuple[str, int, int, str]] = []  # (date, side, order, text)
    for order, entry in enumerate(ours.entries[kept:]):
        pieces.append((_date(entry.value), 0, order, ours_text[entry.start:entry.end]))
    for order, value in enumerate(incoming):
        if isinstance(value, dict):
            number = task_number(value.get("task_id") if isinstance(value.get("task_id"), str) else None)
            if number is None or number in taken:
                new_id = format_task_id(next_free, width)
                renumbered.append((str(value.get("task_id")), new_id))
                value = {**value, "task_id": new_id}
                number = next_free
                next_free += 1
            taken.add(number)
        rendered = render_entry(value, style) if isinstance(value, dict) else json.dumps(value)
        pieces.append((_date(value), 1, order, rendered))
    pieces.sort(key=lambda p: (p[0], p[1], p[2]))
    texts = [p[3] for p in pieces]
    if kept:
        trimmed = TaskLog(ours.path, ours_text, entries=ours.entries[:kept], array_close=ours.array_close,
                          top_level_span=ours.top_level_span)
        start, _, text = insertion(trimmed, texts, style)
        end = ours.entries[-1].end
    else:
        start, end, text = insertion(TaskLog(ours.path, ours_text, array_close=ours.array_close,
                                             top_level_span=ours.top_level_span, top_level=ours.top_level),
                                     texts, style)
    return MergeResult(ours_text[:start] + text + ours_text[end:], len(incoming), renumbered)


def _date(value: Any) -> str:
    return str(value.get("date", "")) if isinstance(value, dict) else ""


def run_merge_driver(base: Path, ours: Path, theirs: Path) -> tuple[int, str]:
    """git's `%O %A %B`: write the merge into `ours`; exit 0 when merged, 1 to leave a conflict, 2 (writing
    nothing) when a path is missing: git always passes three existing files, so that is a mistaken call."""
    missing = [f"{label} {path}" for label, path in (("base", base), ("ours", ours), ("theirs", theirs))
               if not path.is_file()]
    if missing:
        return 2, (f"techcat merge-driver: no such file: {', '.join(missing)}; git runs the driver with its three "
                   "temporary files (%O %A %B), see `techcat init --git`")
    try:
        texts = [p.read_text(encoding="utf-8") for p in (base, ours, theirs)]
        result = merge_logs(*texts)
    except (MergeError, UnicodeDecodeError, OSError) as error:
        return 1, f"techcat merge-driver: {error}; falling back to a conflict"
    from techcat_core.atomic import write_atomic

    write_atomic(ours, result.text)
    note = f"techcat merge-driver: added {result.added} entr{'y' if result.added == 1 else 'ies'}"
    if result.renumbered:
        note += "; renumbered " + ", ".join(f"{a} → {b}" for a, b in result.renumbered)
    return 0, note


GITATTRIBUTES_LINE = ".codex/TASK-LOG.json merge=techcat-tasklog"


def register_merge_driver(root: Path) -> list[str]:
    """`techcat init --git`: the driver in the repo's config and `.gitattributes` (kept if already there)."""
    import shlex
    import sys

    from techcat_core.atomic import write_atomic
    from techcat_core.gitops import git_config_set, repo_root

    top = repo_root(root)
    command = f"{shlex.quote(sys.executable)} -m techcat_cli.main merge-driver %O %A %B %P"
    git_config_set(top, "merge.techcat-tasklog.name", "TechCat task-log union merge")
    git_config_set(top, "merge.techcat-tasklog.driver", command)
    lines = [f"git config merge.techcat-tasklog.driver = {command}"]
    attributes = top / ".gitattributes"
    current = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    if GITATTRIBUTES_LINE not in current.splitlines():
        prefix = current if not current or current.endswith("\n") else current + "\n"
        write_atomic(attributes, prefix + GITATTRIBUTES_LINE + "\n")
        lines.append(f"added `{GITATTRIBUTES_LINE}` to .gitattributes")
    else:
        lines.append(".gitattributes already routes the task log to the driver")
    return lines

"""A git merge driver for the task log: a three-way merge over the base, every entry exactly once.

Every append on two branches conflicts at the closing `]` under git's text merge, and a plain union
of both sides brings deleted entries back and repeats entries after a rebase. This driver matches each
side's entries to the base's (`%O`) by their content without `task_id` (so an entry renumbered by an
earlier merge is still recognised), then by id for an entry that was changed, and applies both sides'
changes to ours: additions from either side once, a deletion stays deleted, a change on one side is
taken, and two different changes to one entry (or a change against a deletion) are a conflict, left
between git-style markers with a non-zero exit. Ours is kept byte for byte wherever it is not changed.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techcat_core.tasklog.identity import content_key, id_digits, small_number, without_id
from techcat_core.tasklog.ids import format_task_id, id_width
from techcat_core.tasklog.merge_layout import Conflict, MergeItem, entry_text, render_conflicted, render_merged
from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log
from techcat_core.tasklog.render import LogStyle, detect_style, render_entry


@dataclass(frozen=True, slots=True)
class MergeResult:
    text: str
    added: int
    renumbered: list[tuple[str, str]]  # (old id, new id)
    changed: int = 0  # entries that took the other side's change
    removed: int = 0  # entries the other side deleted
    conflicts: list[Conflict] = field(default_factory=list)


class MergeError(Exception):
    """A side is not a valid task log; the driver leaves the file to git's text merge."""


def _parse(text: str, label: str) -> TaskLog:
    log = parse_task_log(text, label)
    if log.top_level == "empty":
        return log
    if not log.valid:
        raise MergeError(f"{label} is not a valid task log")
    return log


@dataclass(slots=True)
class _Matching:
    """Which base entry each entry of one side is (None: added on that side), and whether it is unchanged."""

    to_base: list[int | None]
    unchanged: list[bool]
    keys: list[object | None]

    def from_base(self) -> dict[int, int]:
        return {b: i for i, b in enumerate(self.to_base) if b is not None}


def _match(base: list[LogEntry], base_keys: list[object | None], side: list[LogEntry]) -> _Matching:
    """Same content and id first, then same content (the id was renumbered), then same id (it was changed)."""
    keys = [content_key(e.value) for e in side]
    to_base: list[int | None] = [None] * len(side)
    unchanged = [False] * len(side)
    used = [False] * len(base)
    exact: defaultdict[tuple[object, str | None], deque[int]] = defaultdict(deque)
    loose: defaultdict[object, deque[int]] = defaultdict(deque)
    for i, entry in enumerate(base):
        if base_keys[i] is not None:
            exact[(base_keys[i], entry.task_id)].append(i)
            loose[base_keys[i]].append(i)

    def take(queue: deque[int] | None) -> int | None:
        while queue:
            i = queue.popleft()
            if not used[i]:
                used[i] = True
                return i
        return None

    for j, entry in enumerate(side):
        if keys[j] is not None and (found := take(exact.get((keys[j], entry.task_id)))) is not None:
            to_base[j], unchanged[j] = found, True
    for j in range(len(side)):
        if to_base[j] is None and keys[j] is not None and (found := take(loose.get(keys[j]))) is not None:
            to_base[j], unchanged[j] = found, True
    by_id: defaultdict[str, deque[int]] = defaultdict(deque)
    for i, entry in enumerate(base):
        if not used[i] and entry.task_id is not None:
            by_id[entry.task_id].append(i)
    for j, entry in enumerate(side):
        if to_base[j] is None and entry.task_id is not None and (found := take(by_id.get(entry.task_id))) is not None:
            to_base[j] = found
            unchanged[j] = keys[j] is None and without_id(entry.value) == without_id(base[found].value)
    return _Matching(to_base, unchanged, keys)


class _Ids:
    """Ids in use in the merged log; an incoming entry whose id is taken gets the next free one."""

    def __init__(self, logs: list[TaskLog], kept: list[LogEntry]) -> None:
        self.taken = {d for e in kept if (d := id_digits(e.task_id)) is not None}
        numbers = [n for log in logs for e in log.entries if (n := small_number(id_digits(e.task_id))) is not None]
        self.next_free = max(numbers, default=0) + 1
        self.width = id_width([e.task_id for log in logs[:2] for e in log.entries])

    def claim(self, value: Any, renumbered: list[tuple[str, str]]) -> Any:
        if not isinstance(value, dict):
            return value
        digits = id_digits(value.get("task_id"))
        if digits is None or digits in self.taken:
            while str(self.next_free) in self.taken:
                self.next_free += 1
            new_id = format_task_id(self.next_free, self.width)
            old = value.get("task_id")
            renumbered.append((old if isinstance(old, str) else json.dumps(old)[:40], new_id))
            value = {**value, "task_id": new_id}
            digits = str(self.next_free)
        self.taken.add(digits)
        return value


@dataclass(slots=True)
class _Decisions:
    """What happens to ours' entries that the base had, by the rules of the module docstring."""

    replace: dict[int, Any] = field(default_factory=dict)  # ours' index → their changed value
    remove: set[int] = field(default_factory=set)
    conflict_at: dict[int, Conflict] = field(default_factory=dict)
    orphans: list[Conflict] = field(default_factory=list)  # deleted by us, changed by them: no place of ours


def _decide(base: TaskLog, ours: TaskLog, theirs: TaskLog, mine: _Matching, other: _Matching,
            style: LogStyle) -> _Decisions:
    decided = _Decisions()
    mine_at, other_at = mine.from_base(), other.from_base()
    for b, base_entry in enumerate(base.entries):
        o, t = mine_at.get(b), other_at.get(b)
        if t is not None and o is not None:
            if other.unchanged[t] or _same(mine, o, ours.entries[o], other, t, theirs.entries[t]):
                continue
            if mine.unchanged[o]:
                decided.replace[o] = _with_id_of(theirs.entries[t].value, ours.entries[o])
            else:
                decided.conflict_at[o] = Conflict(_label(ours.entries[o]), entry_text(ours, o),
                                                  _render_value(theirs.entries[t].value, style))
        elif o is not None:  # theirs deleted it
            if mine.unchanged[o]:
                decided.remove.add(o)
            else:
                decided.conflict_at[o] = Conflict(_label(ours.entries[o]), entry_text(ours, o), None)
        elif t is not None and not other.unchanged[t]:
            decided.orphans.append(Conflict(_label(base_entry), None, _render_value(theirs.entries[t].value, style)))
    return decided


def _incoming(theirs: TaskLog, mine: _Matching, other: _Matching) -> list[Any]:
    """Their additions, less the ones we added too (the same entry added on both sides is kept once)."""
    added_here = Counter(mine.keys[j] for j, b in enumerate(mine.to_base) if b is None and mine.keys[j] is not None)
    incoming: list[Any] = []
    for j, matched in enumerate(other.to_base):
        key = other.keys[j]
        if matched is None:
            if key is not None and added_here[key] > 0:
                added_here[key] -= 1
                continue
            incoming.append(theirs.entries[j].value)
    return incoming


def merge_logs(base_text: str, ours_text: str, theirs_text: str) -> MergeResult:
    """The three-way merge of three task-log texts (see the module docstring for the rules)."""
    base = _parse(base_text, "base")
    ours = _parse(ours_text, "ours")
    theirs = _parse(theirs_text, "theirs")
    base_keys = [content_key(e.value) for e in base.entries]
    mine = _match(base.entries, base_keys, ours.entries)
    other = _match(base.entries, base_keys, theirs.entries)
    style = detect_style(ours if ours.entries else theirs)
    decided = _decide(base, ours, theirs, mine, other, style)
    incoming = _incoming(theirs, mine, other)
    if not (decided.replace or decided.remove or decided.conflict_at or decided.orphans or incoming):
        return MergeResult(ours_text, 0, [])
    ids = _Ids([ours, theirs, base], [e for i, e in enumerate(ours.entries) if i not in decided.remove])
    renumbered: list[tuple[str, str]] = []
    incoming = [ids.claim(value, renumbered) for value in incoming]
    last_known = max((j for j, b in enumerate(mine.to_base) if b is not None), default=-1)
    items: list[MergeItem] = []
    for i in range(last_known + 1):
        if i in decided.conflict_at:
            items.append(MergeItem(conflict=decided.conflict_at[i]))
        elif i in decided.replace:
            items.append(MergeItem(text=_render_value(decided.replace[i], style)))
        elif i not in decided.remove:
            items.append(MergeItem(index=i))
    items += [MergeItem(conflict=c) for c in decided.orphans]
    # both sides' new entries merged by date, each side in its own order (ours first on the same date)
    mine_new = [(_date(ours.entries[i].value), MergeItem(index=i)) for i in range(last_known + 1, len(ours.entries))]
    theirs_new = [(_date(v), MergeItem(text=_render_value(v, style))) for v in incoming]
    items += [item for _, item in heapq.merge(mine_new, theirs_new, key=lambda piece: piece[0])]
    conflicts = [item.conflict for item in items if item.conflict is not None]
    text = render_conflicted(ours, items, style) if conflicts else render_merged(ours, items, style)
    return MergeResult(text, len(incoming), renumbered, len(decided.replace), len(decided.remove), conflicts)


def _same(mine: _Matching, o: int, ours: LogEntry, other: _Matching, t: int, theirs: LogEntry) -> bool:
    if mine.keys[o] is not None and other.keys[t] is not None:
        return mine.keys[o] == other.keys[t]
    return bool(without_id(ours.value) == without_id(theirs.value))


def _with_id_of(value: Any, ours: LogEntry) -> Any:
    """Their change to an entry, under the id it has on our side (ours may have renumbered it)."""
    if isinstance(value, dict) and ours.task_id is not None:
        return {**value, "task_id": ours.task_id}
    return value


def _render_value(value: Any, style: LogStyle) -> str:
    return render_entry(value, style) if isinstance(value, dict) else json.dumps(value, ensure_ascii=style.ensure_ascii)


def _label(entry: LogEntry) -> str:
    return entry.task_id or f"entry {entry.index + 1}"


def _date(value: Any) -> str:
    return str(value.get("date", "")) if isinstance(value, dict) else ""


def run_merge_driver(base: Path, ours: Path, theirs: Path) -> tuple[int, str]:
    """git's `%O %A %B`: write the merge into `ours`; exit 0 when merged, 1 for a conflict (left between
    markers), 2 (writing nothing) when a path is missing: git always passes three existing files."""
    missing = [f"{label} {path}" for label, path in (("base", base), ("ours", ours), ("theirs", theirs))
               if not path.is_file()]
    if missing:
        return 2, (f"techcat merge-driver: no such file: {', '.join(missing)}; git runs the driver with its three "
                   "temporary files (%O %A %B), see `techcat init --git`")
    from techcat_core.atomic import write_atomic

    try:
        texts = [p.read_text(encoding="utf-8") for p in (base, ours, theirs)]
        result = merge_logs(*texts)
        data = result.text.encode("utf-8")
    except (MergeError, UnicodeError, ValueError, RecursionError) as error:
        return 1, _text_merge(base, ours, theirs, str(error) if isinstance(error, MergeError) else
                              f"a side cannot be merged entry by entry ({type(error).__name__})")
    except OSError as error:
        return 1, f"techcat merge-driver: {error}; the file is left as this branch has it, marked as a conflict"
    write_atomic(ours, data)
    return (1 if result.conflicts else 0), _note(result)


def _note(result: MergeResult) -> str:
    def count(n: int, what: str) -> str:
        return f"{n} entr{'y' if n == 1 else 'ies'} {what}"

    parts = [count(result.added, "added")]
    if result.changed:
        parts.append(count(result.changed, "changed as the other branch changed them"))
    if result.removed:
        parts.append(count(result.removed, "removed as the other branch deleted them"))
    note = "techcat merge-driver: " + ", ".join(parts)
    if result.renumbered:
        note += "; renumbered " + ", ".join(f"{a} → {b}" for a, b in result.renumbered)
    if result.conflicts:
        note += ("; CONFLICT: " + "; ".join(c.describe() for c in result.conflicts) + ". Both versions are between "
                 "<<<<<<< and >>>>>>> lines in the task log: keep the right one, delete the marker lines, run "
                 "`techcat check`, then `git add` it")
    return note


def _text_merge(base: Path, ours: Path, theirs: Path, why: str) -> str:
    """A side that is not a task log: git's own line merge (with conflict markers) is the best left to do."""
    import subprocess

    try:
        subprocess.run(["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base),
                        str(theirs)], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return f"techcat merge-driver: {why}; the file is left as this branch has it, marked as a conflict"
    return (f"techcat merge-driver: {why}; merged line by line by `git merge-file` instead, marked as a conflict: "
            "fix the JSON (`techcat check` shows where), then `git add` it")


GITATTRIBUTES_LINE = ".codex/TASK-LOG.json merge=techcat-tasklog"


def register_merge_driver(root: Path) -> list[str]:
    """`techcat init --git`: the driver in the repo's config and `.gitattributes` (kept if already there)."""
    import shlex
    import sys

    from techcat_core.atomic import write_atomic
    from techcat_core.gitops import git_config_set, repo_root

    top = repo_root(root)
    command = f"{shlex.quote(sys.executable)} -m techcat_cli.main merge-driver %O %A %B %P"
    git_config_set(top, "merge.techcat-tasklog.name", "TechCat task-log three-way merge")
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

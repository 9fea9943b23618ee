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
from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log
from techcat_core.tasklog.render import LogStyle, detect_style, insertion, render_entry

MARKER = 7  # git's default conflict-marker size


@dataclass(frozen=True, slots=True)
class Conflict:
    """One entry both sides changed differently, or one changed and the other deleted."""

    task_id: str
    ours: str | None  # the entry's text on our side; None when we deleted it
    theirs: str | None

    def describe(self) -> str:
        if self.ours is None:
            return f"{self.task_id} was deleted on this branch and changed on the other"
        if self.theirs is None:
            return f"{self.task_id} was changed on this branch and deleted on the other"
        return f"{self.task_id} was changed differently on both branches"


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


@dataclass(slots=True)
class _Item:
    """One element of the merged array: ours' own text (`index`), a new text, or a conflict."""

    index: int | None = None
    text: str | None = None
    conflict: Conflict | None = None


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


def merge_logs(base_text: str, ours_text: str, theirs_text: str) -> MergeResult:
    """The three-way merge of three task-log texts (see the module docstring for the rules)."""
    base = _parse(base_text, "base")
    ours = _parse(ours_text, "ours")
    theirs = _parse(theirs_text, "theirs")
    base_keys = [content_key(e.value) for e in base.entries]
    mine = _match(base.entries, base_keys, ours.entries)
    other = _match(base.entries, base_keys, theirs.entries)
    style = detect_style(ours if ours.entries else theirs)
    mine_at, other_at = mine.from_base(), other.from_base()
    replace: dict[int, Any] = {}
    remove: set[int] = set()
    conflict_at: dict[int, Conflict] = {}
    orphans: list[Conflict] = []  # deleted on our side, changed on theirs: no place of ours to put them
    for b, base_entry in enumerate(base.entries):
        o, t = mine_at.get(b), other_at.get(b)
        if t is not None and o is not None:
            if other.unchanged[t] or _same(mine, o, ours.entries[o], other, t, theirs.entries[t]):
                continue
            if mine.unchanged[o]:
                replace[o] = _with_id_of(theirs.entries[t].value, ours.entries[o])
            else:
                conflict_at[o] = Conflict(_label(ours.entries[o]), _text(ours, o),
                                          _render_value(theirs.entries[t].value, style))
        elif o is not None:  # theirs deleted it
            if mine.unchanged[o]:
                remove.add(o)
            else:
                conflict_at[o] = Conflict(_label(ours.entries[o]), _text(ours, o), None)
        elif t is not None and not other.unchanged[t]:
            orphans.append(Conflict(_label(base_entry), None, _render_value(theirs.entries[t].value, style)))
    added_here = Counter(mine.keys[j] for j, b in enumerate(mine.to_base) if b is None and mine.keys[j] is not None)
    incoming: list[Any] = []
    for j, matched in enumerate(other.to_base):
        key = other.keys[j]
        if matched is None:
            if key is not None and added_here[key] > 0:
                added_here[key] -= 1  # the same entry added on both sides: once
                continue
            incoming.append(theirs.entries[j].value)
    if not (replace or remove or conflict_at or orphans or incoming):
        return MergeResult(ours_text, 0, [])
    kept = [e for i, e in enumerate(ours.entries) if i not in remove]
    ids = _Ids([ours, theirs, base], kept)
    renumbered: list[tuple[str, str]] = []
    incoming = [ids.claim(value, renumbered) for value in incoming]
    last_known = max((j for j, b in enumerate(mine.to_base) if b is not None), default=-1)
    items: list[_Item] = []
    for i in range(last_known + 1):
        if i in remove:
            continue
        if i in conflict_at:
            items.append(_Item(conflict=conflict_at[i]))
        elif i in replace:
            items.append(_Item(text=_render_value(replace[i], style)))
        else:
            items.append(_Item(index=i))
    items += [_Item(conflict=c) for c in orphans]
    # both sides' new entries merged by date, each side in its own order (ours first on the same date)
    mine_new = [(_date(ours.entries[i].value), _Item(index=i)) for i in range(last_known + 1, len(ours.entries))]
    theirs_new = [(_date(v), _Item(text=_render_value(v, style))) for v in incoming]
    items += [item for _, item in heapq.merge(mine_new, theirs_new, key=lambda piece: piece[0])]
    conflicts = [item.conflict for item in items if item.conflict is not None]
    text = _render_conflicted(ours, items, style) if conflicts else _render(ours, items, style)
    return MergeResult(text, len(incoming), renumbered, len(replace), len(remove), conflicts)


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


def _text(log: TaskLog, index: int) -> str:
    entry = log.entries[index]
    return log.text[entry.start:entry.end]


def _date(value: Any) -> str:
    return str(value.get("date", "")) if isinstance(value, dict) else ""


def _item_text(ours: TaskLog, item: _Item) -> str:
    if item.index is not None:
        return _text(ours, item.index)
    assert item.text is not None
    return item.text


def _render(ours: TaskLog, items: list[_Item], style: LogStyle) -> str:
    """Ours' text with the merged elements: untouched neighbours keep the separator ours had between them."""
    text = ours.text
    if not ours.entries:
        start, end, inserted = insertion(ours, [_item_text(ours, item) for item in items], style)
        return text[:start] + inserted + text[end:]
    if not items:
        assert ours.array_close is not None  # a valid log with entries is a closed array
        return text[:ours.top_level_span[0] + 1] + text[ours.array_close:]
    joiner = "," + style.newline + style.entry_indent
    out = [text[:ours.entries[0].start]]
    for n, item in enumerate(items):
        if n:
            before = items[n - 1].index
            if before is not None and item.index == before + 1:
                out.append(text[ours.entries[before].end:ours.entries[item.index].start])
            else:
                out.append(joiner)
        out.append(_item_text(ours, item))
    out.append(text[ours.entries[-1].end:])
    return "".join(out)


def _render_conflicted(ours: TaskLog, items: list[_Item], style: LogStyle) -> str:
    """The merged log with each conflict between git-style markers, laid out so that keeping either side
    (or both, or neither) of every conflict, with its marker lines deleted, leaves valid JSON.

    Before the first element that is not a conflict each side carries a trailing comma; after it, a
    leading one (on its own line), since an empty side (a deletion) must take its comma with it.
    """
    nl, indent = style.newline, style.entry_indent
    first_plain = next((n for n, item in enumerate(items) if item.conflict is None), None)
    out = ["[", nl]
    open_line = False  # the last thing written is an element without its line end
    for n, item in enumerate(items):
        trailing = n < len(items) - 1 if first_plain is None else n < first_plain
        leading = first_plain is not None and n > first_plain
        if item.conflict is None:  # the first plain element, or one after it
            out.append(("," + nl if leading else "") + indent + _item_text(ours, item))
            open_line = True
            continue
        if open_line:
            out.append(nl)
        conflict = item.conflict
        ours_mark = f"{'<' * MARKER} ours: {conflict.task_id} on this branch"
        theirs_mark = f"{'>' * MARKER} theirs: {conflict.task_id} on the branch being merged"
        out.append(ours_mark + (" (deleted there)" if conflict.ours is None else "") + nl)
        for side, mark in ((conflict.ours, "=" * MARKER),
                           (conflict.theirs, theirs_mark + (" (deleted there)" if conflict.theirs is None else ""))):
            if side is not None:
                out.append(("," + nl if leading else "") + indent + side + ("," if trailing else "") + nl)
            out.append(mark + nl)
        open_line = False
    out += [nl] if open_line else []
    out.append("]" + (nl if ours.text.endswith(("\n", "\r\n")) or not ours.text else ""))
    return "".join(out)


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

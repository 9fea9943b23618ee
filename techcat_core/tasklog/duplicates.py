"""TC115: an entry that repeats an earlier entry's content (everything but its id).

A repeated entry is what a union merge, a retried append or a copy-and-paste leaves behind; under a
fresh id it passes every other check. The later copy is reported, with a fix that removes it. The fix
is not safe: the later copy's id may be cited (PROPOSED-TASKS.md, commits, other logs), and removing a
committed entry is a history change (TC403), so only a person can tell it loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from techcat_core.diagnostics import Diagnostic, Fix, Severity, TextEdit
from techcat_core.tasklog.identity import content_key
from techcat_core.tasklog.parse import LogEntry, TaskLog


def entry_keys(log: TaskLog) -> list[object | None]:
    """Each entry's identity (None for an entry that is not an object, which TC102 reports instead)."""
    return [content_key(e.value) if e.is_object else None for e in log.entries]


def duplicate_entries(log: TaskLog, keys: Sequence[object | None] | None = None) -> list[Diagnostic]:
    """TC115 for every entry whose content (without `task_id`) an earlier entry already has."""
    if log.top_level != "array":
        return []
    if keys is None:
        keys = entry_keys(log)
    first: dict[object, LogEntry] = {}
    out: list[Diagnostic] = []
    for n, (entry, key) in enumerate(zip(log.entries, keys, strict=True)):
        if key is None:
            continue
        earlier = first.setdefault(key, entry)
        if earlier is not entry:  # so n > 0
            out.append(_repeated(log, entry, earlier, log.entries[n - 1]))
    return out


def _name(entry: LogEntry) -> str:
    return entry.task_id or f"entry {entry.index + 1}"


def _repeated(log: TaskLog, entry: LogEntry, earlier: LogEntry, previous: LogEntry) -> Diagnostic:
    line = log.lines.position(earlier.start).line + 1
    remove = Fix(f"Remove the repeated entry {_name(entry)}",
                 (TextEdit(log.path, log.range(previous.end, entry.end), ""),), safe=False)
    return Diagnostic("TC115", Severity.WARNING,
                      f"{_name(entry)} repeats {_name(earlier)} (line {line}) in everything but its id; if it is the "
                      "same task logged twice, remove the later copy", log.path,
                      log.value_range(entry, "task_id"), (remove,))

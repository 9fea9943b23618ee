"""TC115: an entry that repeats an earlier entry's content (everything but its id).

A repeated entry is what a union merge, a retried append or a copy-and-paste leaves behind; under a
fresh id it passes every other check. The later copy is reported, with a fix that removes it. The fix
is not safe: the later copy's id may be cited (PROPOSED-TASKS.md, commits, other logs), and removing a
committed entry is a history change (TC403), so only a person can tell it loses nothing.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.tasklog.identity import content_key
from techcat_core.tasklog.parse import LogEntry, TaskLog

_ODD = object()  # the bucket of every object entry whose agent, date or summary is not a string
_NOT_OBJECT = object()


def bucket(value: Any) -> object | None:
    """A cheap pre-filter: two entries can repeat each other only if their agent, date and summary are equal,
    so only entries sharing all three get the full content key (a 100k-entry log costs one pass building
    short strings, not 100k keys). None for an entry that is not an object (TC102 reports it instead)."""
    if not isinstance(value, dict):
        return None
    agent, date, summary = value.get("agent"), value.get("date"), value.get("summary")
    if isinstance(agent, str) and isinstance(date, str) and isinstance(summary, str):
        return f"{agent}\0{date}\0{summary}"  # collisions only cost a closer look, never a wrong answer
    return _ODD


def _coarse(value: Any) -> object:
    """The first step's key: equal content means an equal key (a coarser `bucket`, without the agent)."""
    if not isinstance(value, dict):
        return _NOT_OBJECT
    summary, date = value.get("summary"), value.get("date")
    return summary + "\0" + date if isinstance(summary, str) and isinstance(date, str) else _ODD


def shared_buckets(log: TaskLog) -> list[int]:
    """The indexes of the entries whose bucket another entry shares, in order.

    Two steps, each a comprehension and a C-speed `Counter`: first the summary and date (most logs end here:
    a summary repeats across days far more often than within one), then the full bucket for only the
    entries whose summary and date repeat.
    """
    entries = log.entries
    try:  # one string per entry: its hash is computed once, where a tuple's would be on every lookup
        keys: list[object] = [v["summary"] + "\0" + v["date"] if isinstance(v := entry.value, dict) else _NOT_OBJECT
                              for entry in entries]
    except (KeyError, TypeError):  # a summary or date missing, or not a string: those entries share one bucket
        keys = [_coarse(entry.value) for entry in entries]
    counts = Counter(keys)
    counts[_NOT_OBJECT] = 0
    shared = [n for n, key in enumerate(keys) if counts[key] > 1]
    if not shared:
        return []
    narrower = [bucket(entries[n].value) for n in shared]
    again = Counter(narrower)
    return [n for n, key in zip(shared, narrower, strict=True) if again[key] > 1]


def repeated_hashes(hashes: list[int]) -> list[int]:
    """The indexes whose hash another index shares, in order (C-speed passes over a digest's hashes)."""
    counts = Counter(hashes)
    if len(counts) == len(hashes):
        return []
    repeated = {key for key, count in counts.items() if count > 1}
    return list(itertools.compress(range(len(hashes)), map(repeated.__contains__, hashes)))


def duplicate_entries(log: TaskLog, candidates: Iterable[int] | None = None) -> list[Diagnostic]:
    """TC115 for every entry whose content (without `task_id`) an earlier entry already has.

    `candidates` (ascending indexes) may narrow the search to the entries that share a bucket. Without them,
    a parse's digest (`TaskLog.fresh_digest`) names the entries whose hash of (summary, date) repeats, faster
    than `shared_buckets`. Any ascending superset of the entries that repeat one another gives the same
    diagnostics: only entries with equal content keys report anything.
    """
    if log.top_level != "array":
        return []
    if candidates is None and (digest := log.fresh_digest()) is not None:
        candidates = repeated_hashes(digest.content_hashes)
    first: dict[object, LogEntry] = {}
    out: list[Diagnostic] = []
    for n in shared_buckets(log) if candidates is None else candidates:
        entry = log.entries[n]
        key = content_key(entry.value) if entry.is_object else None
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
    return Diagnostic.of("TC115", f"{_name(entry)} repeats {_name(earlier)} (line {line}) in everything but its "
                         "id; if it is the same task logged twice, remove the later copy", log.path,
                      log.value_range(entry, "task_id"), (remove,))

"""The fixes TechCat offers for an entry of HEAD's log: a change since that applies some of them is a repair.

The append-only rule asks this of the few entries that changed. Checking HEAD's whole log for them cost, at
100k entries, a second line index of 40 MB and a second full check; so each entry is first checked alone,
as a log of one entry. That gives exactly the whole check's fixes for it unless they depend on the rest of
the log, which only the id rules' do (TC110's repaired id must be free, TC111 renumbers a repeated id): an
entry whose id is malformed or repeated in HEAD is looked up in HEAD's whole check instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections import Counter
from typing import Any

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.edits import FixConflict, apply_edits
from techcat_core.head_window import HeadLog
from techcat_core.positions import LineIndex, Range
from techcat_core.tasklog.parse import LogEntry, TaskLog, parse_task_log
from techcat_core.workspace import Workspace

_GLOBAL_CODES = frozenset({"TC110", "TC111"})  # whose fixes depend on the other entries' ids


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class Repairs:
    """The fixes offered for HEAD's entries, computed only for the entries asked about.

    `alone=False` always uses HEAD's whole check (the reference the one-entry check must equal).
    """

    _MAX_FIXES = 6

    def __init__(self, ws: Workspace, head: HeadLog, alone: bool = True) -> None:
        self.ws = ws
        self.head = head
        self.alone = alone
        self.today = dt.date.today()
        self._whole: tuple[TaskLog, dict[int, list[Fix]]] | None = None
        self._numbers: Counter[int] | None = None
        self._found: dict[int, tuple[list[Fix], TaskLog, int]] = {}

    def _diagnostics(self, log: TaskLog) -> list[Diagnostic]:
        """What the task-log and agent-reference rules report on `log` (HEAD's whole log or one entry)."""
        from techcat_core.rules import agent_reference_rules
        from techcat_core.tasklog.rules import check_task_log

        return [*check_task_log(log, self.ws.root, self.today, self.ws.config.check.future_date_tolerance_days),
                *agent_reference_rules(dataclasses.replace(self.ws, task_log=log))]

    @staticmethod
    def _by_entry(log: TaskLog, diagnostics: list[Diagnostic]) -> dict[int, list[Fix]]:
        """Each entry's offered fixes in `log`: the first fix of each diagnostic, by the entry it edits."""
        by_entry: dict[int, list[Fix]] = {}
        for diagnostic in diagnostics:
            for fix in diagnostic.fixes[:1]:
                if fix.edits and all(edit.path == log.path for edit in fix.edits):
                    entry = log.entry_at(log.lines.offset(fix.edits[0].range.start))
                    if entry is not None:
                        by_entry.setdefault(entry.index, []).append(fix)
        return by_entry

    def _alone(self, entry: LogEntry) -> tuple[list[Fix], TaskLog, int] | None:
        """`entry`'s fixes from a check of it alone, or None when they may depend on the other entries."""
        from techcat_core.tasklog.rules import id_fact

        number = id_fact(entry)[1]
        if number is not None:
            if self._numbers is None:
                self._numbers = Counter(n for e in self.head.entries if (n := id_fact(e)[1]) is not None)
            if self._numbers[number] > 1:
                return None
        text = self.head.slice(entry.start, entry.end)
        alone = parse_task_log("[" + text + "]", self.head.path)
        if not alone.valid or len(alone.entries) != 1:
            return None
        diagnostics = self._diagnostics(alone)
        if any(diagnostic.code in _GLOBAL_CODES for diagnostic in diagnostics):
            return None  # an id problem: its fix depends on the whole log
        return self._by_entry(alone, diagnostics).get(0, []), alone, 1

    def _fixes_for(self, entry: LogEntry) -> tuple[list[Fix], TaskLog, int]:
        """`entry`'s fixes, the log their ranges are in, and where the entry starts in it."""
        found = self._found.get(entry.index)
        if found is None:
            found = self._alone(entry) if self.alone else None
            if found is None:
                if self._whole is None:
                    whole = self.head.whole()
                    self._whole = whole, self._by_entry(whole, self._diagnostics(whole))
                whole, by_entry = self._whole
                found = by_entry.get(entry.index, []), whole, entry.start
            self._found[entry.index] = found
        return found

    def offered(self, entry: LogEntry) -> list[Fix]:
        """The fixes TechCat offers for HEAD's `entry`."""
        return self._fixes_for(entry)[0]

    def titles_for(self, entry: LogEntry, current: LogEntry) -> list[str]:
        """The fixes that turn HEAD's `entry` into `current`, or [] when no combination of them does."""
        fixes, source, base = self._fixes_for(entry)
        fixes = fixes[:self._MAX_FIXES]
        if not fixes:
            return []
        target = canonical(current.value)
        text = self.head.slice(entry.start, entry.end)
        piece = LineIndex(text)
        for size in range(1, len(fixes) + 1):
            for chosen in itertools.combinations(fixes, size):
                edits = [TextEdit(edit.path, _shift(source, edit.range, base, piece), edit.new_text)
                         for fix in chosen for edit in fix.edits]
                try:
                    value = json.loads(apply_edits(text, edits))
                except (ValueError, FixConflict):
                    continue
                if canonical(value) == target:
                    return [fix.title for fix in chosen]
        return []


def _shift(log: TaskLog, rng: Range, base: int, piece: LineIndex) -> Range:
    """`rng` of the whole log as a range of `piece`, the text that starts at offset `base` (one entry's)."""
    start = piece.position(log.lines.offset(rng.start) - base)
    end = piece.position(log.lines.offset(rng.end) - base)
    return Range(start, end)

"""The one list of rules every check runs, in order.

The full check (`engine.check_workspace`: the CLI, the TUI, the MCP server) and the language server's
incremental check (`engine.check_workspace_incremental`) run this same list; they differ only in how the
task log's own rules are run: over the whole log once (`WholeLogRules`), or re-run on the entries an edit
replaced (`SplicedLogRules` over `tasklog.recheck.LogChecker`). A rule's severity is its code's, from the
catalogue (codes.py); a rule never states one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

from techcat_core.confinement_rules import confinement_rules
from techcat_core.diagnostics import Diagnostic
from techcat_core.executor_rules import executor_rules
from techcat_core.rules import agent_reference_rules, placeholder_rules, proposed_rules, roster_rules, workspace_rules
from techcat_core.tasklog.duplicates import duplicate_entries
from techcat_core.tasklog.recheck import LogChecker
from techcat_core.tasklog.reparse import Splice
from techcat_core.tasklog.rules import TaskLogRules
from techcat_core.workspace import Workspace


class LogRules(Protocol):
    """How the task log's rules (TC1xx, TC115, TC401) are run; `task_ids` are the well-formed ids of the
    log just checked (TC302 compares the checklist's citations with them)."""

    def check(self, ws: Workspace, today: dt.date) -> list[Diagnostic]: ...

    @property
    def task_ids(self) -> AbstractSet[str]: ...


class WholeLogRules:
    """The task log's rules over the whole log, once."""

    def __init__(self) -> None:
        self._task_ids: AbstractSet[str] = frozenset()

    @property
    def task_ids(self) -> AbstractSet[str]:
        return self._task_ids

    def check(self, ws: Workspace, today: dt.date) -> list[Diagnostic]:
        log = ws.task_log
        if log is None:
            return []
        rules = TaskLogRules(log, ws.root, today, ws.config.check.future_date_tolerance_days)
        found = rules.run()
        self._task_ids = rules.task_ids
        found += duplicate_entries(log)
        found += agent_reference_rules(ws)
        return found


class SplicedLogRules:
    """The task log's rules re-run by `checker` on what `splice` says an edit replaced."""

    def __init__(self, checker: LogChecker, splice: Splice | None) -> None:
        self.checker = checker
        self.splice = splice
        self._checked = False

    @property
    def task_ids(self) -> AbstractSet[str]:
        return self.checker.task_ids if self._checked else frozenset()

    def check(self, ws: Workspace, today: dt.date) -> list[Diagnostic]:
        if ws.task_log is None:
            return []
        self._checked = True
        return self.checker.check(ws, self.splice, today)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule family: `run(ws, today, log_rules)`; `git` rules compare with git history (TC403-TC406)."""

    name: str
    codes: str
    run: Callable[[Workspace, dt.date, LogRules], list[Diagnostic]]
    git: bool = False


def _files(ws: Workspace, today: dt.date, log: LogRules) -> list[Diagnostic]:
    return confinement_rules(ws) if ws.linked_out else workspace_rules(ws) + confinement_rules(ws)


def _history(ws: Workspace, today: dt.date, log: LogRules) -> list[Diagnostic]:
    from techcat_core.history import history_rules  # imports gitpython (~0.1 s): only when the history is asked for

    return history_rules(ws)


RULES: tuple[Rule, ...] = (
    Rule("files", "TC001-TC006, TC206", _files),
    Rule("task log", "TC100-TC115, TC401", lambda ws, today, log: log.check(ws, today)),
    Rule("roster", "TC200-TC205, TC207", lambda ws, today, log: roster_rules(ws) + executor_rules(ws)),
    Rule("proposed tasks", "TC300-TC303", lambda ws, today, log: proposed_rules(ws, log.task_ids)),
    Rule("placeholders", "TC402", lambda ws, today, log: placeholder_rules(ws)),
    Rule("git history", "TC403-TC406", _history, git=True),
)


def run_rules(ws: Workspace, today: dt.date, log_rules: LogRules, git: bool) -> list[Diagnostic]:
    """Every rule of `RULES` (the git ones only with `git` and a repository), minus `[check] ignore`, sorted."""
    found: list[Diagnostic] = []
    for rule in RULES:
        if not rule.git or (git and ws.git_root is not None):
            found += rule.run(ws, today, log_rules)
    ignored = set(ws.config.check.ignore)
    if ignored:
        found = [d for d in found if d.code not in ignored]
    found.sort(key=Diagnostic.sort_key)
    return found

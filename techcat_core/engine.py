"""The diagnostics engine: every rule over one workspace snapshot, and applying fixes safely.

The CLI, the TUI, the language server and the MCP server all call `check_workspace`; none of them
has rules of its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.diagnostics import Diagnostic, Fix, Severity, TextEdit
from techcat_core.positions import LineIndex
from techcat_core.rules import (
    agent_reference_rules,
    placeholder_rules,
    proposed_rules,
    roster_rules,
    workspace_rules,
)
from techcat_core.tasklog.rules import check_task_log, iter_task_ids
from techcat_core.workspace import Workspace, load_workspace


@dataclass(slots=True)
class CheckResult:
    workspace: Workspace
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == Severity.ERROR for d in self.diagnostics)


def check_workspace(ws: Workspace, today: dt.date | None = None, git: bool = True) -> CheckResult:
    """Run every rule; `git=False` skips the rules that compare with git history (TC403, TC404)."""
    today = today or dt.date.today()
    from techcat_core.confinement_rules import confinement_rules  # TC004, TC206: what confinement refused

    diagnostics = workspace_rules(ws) + confinement_rules(ws)
    task_ids: set[str] = set()
    if ws.task_log is not None:
        diagnostics += check_task_log(ws.task_log, ws.root, today, ws.config.check.future_date_tolerance_days)
        task_ids = set(iter_task_ids(ws.task_log))
    diagnostics += roster_rules(ws)
    diagnostics += proposed_rules(ws, task_ids)
    diagnostics += agent_reference_rules(ws)
    diagnostics += placeholder_rules(ws)
    if git and ws.git_root is not None:
        from techcat_core.history import history_rules  # imports gitpython: only when asked

        diagnostics += history_rules(ws)
    ignored = set(ws.config.check.ignore)
    diagnostics = [d for d in diagnostics if d.code not in ignored]
    diagnostics.sort(key=Diagnostic.sort_key)
    return CheckResult(ws, diagnostics)


def check_path(codex_dir: Path, today: dt.date | None = None, git: bool = True) -> CheckResult:
    return check_workspace(load_workspace(codex_dir), today, git)


class FixConflict(Exception):
    """Two fixes edit overlapping text; apply them in separate passes."""


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply edits to one text, last first so earlier offsets stay valid; overlapping edits are refused."""
    index = LineIndex(text)
    spans = sorted(((index.offset(e.range.start), index.offset(e.range.end), e.new_text) for e in edits),
                   key=lambda s: (s[0], s[1]))
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        if start < end:
            raise FixConflict("two fixes edit the same text")
    for start, end, new_text in reversed(spans):
        text = text[:start] + new_text + text[end:]
    return text


def apply_fixes(fixes: Iterable[Fix], texts: dict[Path, str] | None = None) -> dict[Path, str]:
    """Apply fixes file by file; returns the new texts. Conflicting fixes: the first one wins this pass."""
    by_path: dict[Path, list[TextEdit]] = defaultdict(list)
    for fix in fixes:
        trial = {**by_path}
        ok = True
        for edit in fix.edits:
            trial_edits = [*trial.get(edit.path, []), edit]
            if _overlaps(trial_edits):
                ok = False
                break
            trial[edit.path] = trial_edits
        if ok:
            for edit in fix.edits:
                by_path[edit.path].append(edit)
    result: dict[Path, str] = {}
    for path, edits in by_path.items():
        current = (texts or {}).get(path)
        if current is None:
            current = path.read_text(encoding="utf-8")
        result[path] = apply_edits(current, edits)
    return result


def _overlaps(edits: list[TextEdit]) -> bool:
    spans = sorted((e.range.start, e.range.end) for e in edits)
    return any(b_start < a_end for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def fix_workspace(codex_dir: Path, today: dt.date | None = None, max_passes: int = 5,
                  git: bool = True) -> tuple[CheckResult, int]:
    """`techcat check --fix`: apply safe fixes atomically, re-checking until nothing more applies.

    Each pass checks and writes while holding the task-log store's lock, so an agent appending at the
    same moment waits for the pass instead of being overwritten (or making the fix stale again and again).
    """
    from techcat_core.fix_writer import held_log_lock, write_fixes

    applied = 0
    for _ in range(max_passes):
        with held_log_lock(codex_dir):
            result = check_path(codex_dir, today, git)
            safe = [fix for d in result.diagnostics for fix in d.fixes[:1] if fix.safe]
            if not safe:
                return result, applied
            write_fixes(result.workspace.codex_dir, safe, result.workspace.texts, locked=True)
            applied += len(safe)
    return check_path(codex_dir, today, git), applied

"""The diagnostics engine: every rule over one workspace snapshot, and applying fixes safely.

The CLI, the TUI and the MCP server call `check_workspace`, the language server `check_workspace_incremental`;
both run the one list of rules in `rule_registry`, and no front end has rules of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.diagnostics import Diagnostic, Fix, Severity
from techcat_core.edits import FixConflict as FixConflict  # re-exported: callers import them from the engine
from techcat_core.edits import apply_edits as apply_edits
from techcat_core.edits import apply_fixes
from techcat_core.rule_registry import SplicedLogRules, WholeLogRules, run_rules
from techcat_core.tasklog.recheck import LogChecker
from techcat_core.tasklog.reparse import Splice
from techcat_core.workspace import Workspace, load_workspace


@dataclass(slots=True)
class CheckResult:
    workspace: Workspace
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rolled_back: list[RolledBack] = field(default_factory=list)  # by `--fix`, see `fix_workspace`

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == Severity.ERROR for d in self.diagnostics)


def check_workspace(ws: Workspace, today: dt.date | None = None, git: bool = True) -> CheckResult:
    """Run every rule; `git=False` skips the rules that compare with git history (TC403-TC406)."""
    return CheckResult(ws, run_rules(ws, today or dt.date.today(), WholeLogRules(), git))


def check_workspace_incremental(ws: Workspace, checker: LogChecker, splice: Splice | None,
                                today: dt.date | None = None) -> list[Diagnostic]:
    """`check_workspace(ws, today, git=False).diagnostics`, the same rules, with the task log's re-run by
    `checker` only on what `splice` says an edit replaced (the language server, on every edit)."""
    return run_rules(ws, today or dt.date.today(), SplicedLogRules(checker, splice), git=False)


def check_path(codex_dir: Path, today: dt.date | None = None, git: bool = True) -> CheckResult:
    return check_workspace(load_workspace(codex_dir), today, git)


@dataclass(frozen=True, slots=True)
class RolledBack:
    """A safe fix `--fix` did not keep: applied to the checked text, it added errors (their codes)."""

    diagnostic: Diagnostic
    fix: Fix
    new_errors: tuple[str, ...]


def _errors(result: CheckResult) -> Counter[tuple[str, str]]:
    return Counter((str(d.path), d.code) for d in result.diagnostics if d.severity == Severity.ERROR)


def _added_errors(before: Counter[tuple[str, str]], after: CheckResult) -> tuple[str, ...]:
    counts = _errors(after)
    return tuple(sorted({key[1] for key, count in counts.items() if count > before[key]}))


def _trial(codex_dir: Path, texts: dict[Path, str], fixes: list[Fix], today: dt.date | None,
           git: bool) -> CheckResult:
    """The check of the workspace as it would be with `fixes` applied, nothing written."""
    return check_workspace(load_workspace(codex_dir, overrides=apply_fixes(fixes, texts)), today, git)


def _fix_key(diagnostic: Diagnostic, fix: Fix) -> tuple[str, str, str]:
    return (str(diagnostic.path), diagnostic.code, fix.title)


def _keep_harmless(codex_dir: Path, result: CheckResult, candidates: list[tuple[Diagnostic, Fix]],
                   today: dt.date | None, git: bool) -> tuple[list[Fix], list[RolledBack]]:
    """The fixes that add no error, checked on the texts they would produce; the others are rolled back."""
    texts = result.workspace.texts
    before = _errors(result)
    fixes = [fix for _, fix in candidates]
    kept: list[Fix] = []
    rolled: list[RolledBack] = []

    def judge(group: list[tuple[Diagnostic, Fix]], failed: tuple[str, ...] | None) -> None:
        """Bisection: a group that adds no error (with the fixes kept so far) is kept whole; one that does is
        halved, so k harmful fixes among n cost about k·log2(n) trials, not n."""
        added = failed if failed is not None else _added_errors(
            before, _trial(codex_dir, texts, [*kept, *(fix for _, fix in group)], today, git))
        if not added:
            kept.extend(fix for _, fix in group)
        elif len(group) == 1:
            rolled.append(RolledBack(group[0][0], group[0][1], added))
        else:
            half = len(group) // 2
            judge(group[:half], None)
            judge(group[half:], None)

    judge(candidates, _added_errors(before, _trial(codex_dir, texts, fixes, today, git)) or None)
    return kept, rolled


def _explain_rollbacks(result: CheckResult, rolled: list[RolledBack]) -> CheckResult:
    """Say on each diagnostic whose fix was rolled back why it is still there; its fix is no longer safe."""
    by_key = {_fix_key(r.diagnostic, r.fix): r for r in rolled}
    diagnostics: list[Diagnostic] = []
    for diagnostic in result.diagnostics:
        match = next((by_key[_fix_key(diagnostic, fix)] for fix in diagnostic.fixes[:1]
                      if _fix_key(diagnostic, fix) in by_key), None)
        if match is None:
            diagnostics.append(diagnostic)
            continue
        codes = ", ".join(match.new_errors)
        fixes = tuple(dataclasses.replace(fix, safe=False) for fix in diagnostic.fixes)
        diagnostics.append(dataclasses.replace(
            diagnostic, fixes=fixes, message=f"{diagnostic.message} (`techcat check --fix` rolled back "
            f"“{match.fix.title}”: it added {'an error' if len(match.new_errors) == 1 else 'errors'} ({codes}))"))
    return CheckResult(result.workspace, diagnostics, rolled)


def _unchanged(result: CheckResult) -> bool:
    """Every file the check read still holds the text it checked."""
    from techcat_core.workspace import read_text

    return all(read_text(path) == text for path, text in result.workspace.texts.items())


def fix_workspace(codex_dir: Path, today: dt.date | None = None, max_passes: int = 5,
                  git: bool = True) -> tuple[CheckResult, int]:
    """`techcat check --fix`: apply safe fixes atomically, re-checking until nothing more applies.

    Each pass checks the texts its fixes would write before writing them: a fix that would add any
    error is rolled back (never written), and the remaining diagnostic says so. A pass checks and
    writes while holding the task-log store's lock, so an agent appending at the same moment waits
    for the pass instead of being overwritten; with nothing to fix, no lock is taken and no file is
    created.
    """
    from techcat_core.fix_writer import held_log_lock, write_fixes  # atomic writes: only `--fix` needs them

    applied = 0
    rolled: list[RolledBack] = []
    skip: set[tuple[str, str, str]] = set()

    def candidates(result: CheckResult) -> list[tuple[Diagnostic, Fix]]:
        return [(d, fix) for d in result.diagnostics for fix in d.fixes[:1]
                if fix.safe and _fix_key(d, fix) not in skip]

    def judged(result: CheckResult) -> list[Fix]:
        """The fixes of `result` to write; the rolled-back ones are remembered (trials write nothing)."""
        kept, rolled_now = _keep_harmless(result.workspace.codex_dir, result, candidates(result), today, git)
        rolled.extend(rolled_now)
        skip.update(_fix_key(r.diagnostic, r.fix) for r in rolled_now)
        return kept

    result: CheckResult | None = None  # the check of the files as they are now; None after a write
    for _ in range(max_passes):
        result = check_path(codex_dir, today, git)
        if not candidates(result) or not (kept := judged(result)):
            break  # nothing to write: no lock taken, no file created
        with held_log_lock(codex_dir):
            if not _unchanged(result):  # someone wrote meanwhile: judge what is there now
                result = check_path(codex_dir, today, git)
                if not candidates(result) or not (kept := judged(result)):
                    break
            write_fixes(result.workspace.codex_dir, kept, result.workspace.texts, locked=True)
            applied += len(kept)
            result = None
    return _explain_rollbacks(result or check_path(codex_dir, today, git), rolled), applied

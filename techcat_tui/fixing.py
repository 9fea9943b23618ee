"""Applying one fix from the Problems view: the core's `write_fixes`, which refuses stale files."""

from __future__ import annotations

from pathlib import Path

from techcat_core.diagnostics import Fix
from techcat_core.fix_writer import FixNotApplied, write_fixes
from techcat_core.workspace import WorkspaceNotFound, find_codex_dir

__all__ = ["FixNotApplied", "apply_one_fix"]


def apply_one_fix(fix: Fix, checked_texts: dict[Path, str], codex_dir: Path | None = None) -> list[Path]:
    """Write the fix's edits under the task-log lock, atomically; returns the files changed."""
    if not fix.edits:
        return []
    if codex_dir is None:
        try:
            codex_dir = find_codex_dir(fix.edits[0].path.parent)
        except WorkspaceNotFound as error:
            raise FixNotApplied(str(error)) from None
    return write_fixes(codex_dir, [fix], checked_texts)

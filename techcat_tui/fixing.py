"""Applying one fix from the Problems view, refusing when the file changed since it was checked."""

from __future__ import annotations

from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.diagnostics import Fix
from techcat_core.engine import FixConflict, apply_fixes
from techcat_core.workspace import read_text


class FixNotApplied(Exception):
    """The message says why and what to do next."""


def apply_one_fix(fix: Fix, checked_texts: dict[Path, str]) -> list[Path]:
    """Write the fix's edits (atomically, file by file); returns the files changed."""
    for path in {edit.path for edit in fix.edits}:
        if path in checked_texts and read_text(path) != checked_texts[path]:
            raise FixNotApplied(f"{path.name} changed since it was checked; checking again, then try once more")
    try:
        new_texts = apply_fixes([fix], checked_texts)
    except FixConflict as error:
        raise FixNotApplied(str(error)) from None
    except OSError as error:
        raise FixNotApplied(f"cannot read {error.filename}: {error.strerror}") from None
    written = []
    for path, text in new_texts.items():
        if text != checked_texts.get(path):
            try:
                write_atomic(path, text)
            except OSError as error:
                raise FixNotApplied(f"cannot write {path}: {error.strerror or error}") from None
            written.append(path)
    return written

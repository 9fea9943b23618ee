"""Applying text edits and fixes to texts in memory: what `check --fix`, the fix writer and the history rules share.

A module of its own so that the engine (which judges fixes), the fix writer (which writes them) and the
history rules (which repair entries) all depend on it, and never on each other.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from techcat_core.diagnostics import Fix, TextEdit
from techcat_core.positions import LineIndex


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

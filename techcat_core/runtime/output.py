"""Turning a model's reply into files, and refusing any path outside what the agent may write.

A reply either is the whole content of the agent's single output file, or (for agents whose
`Output:` allows several paths) holds fenced blocks that name their paths (both read by
`techcat_core.runtime.reply`, as CommonMark reads fences). Whether a path may be
written is decided by `techcat_core.confine.writable` alone (no `..`, no `.git/`, no task log,
`.codex/` only where `Output:` names the file, no symlink out); one bad path refuses the whole
reply, so nothing is half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from techcat_core.confine import Refused, glob_match, writable
from techcat_core.runtime.reply import fenced_files, single_file_content


class OutputRefused(Refused):
    """The reply names a path the agent may not write; nothing is written."""


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    relative: str
    path: Path  # absolute
    content: str


def allowed(relative: str, globs: list[str]) -> bool:
    """Whether the normalised path matches one of the globs (`techcat_core.confine.glob_match`)."""
    return any(glob_match(g, relative) for g in globs)


def confine(root: Path, relative: str, outputs: list[str]) -> Path:
    """The absolute path for `relative` if an agent with these `outputs` may write it, else OutputRefused."""
    try:
        return writable(root, relative, outputs)
    except Refused as error:
        raise OutputRefused(error.path, error.reason, error.hint, doing="the reply wants to write") from None


def plan_writes(root: Path, reply: str, targets: list[str], globs: list[str], multi: bool) -> list[PlannedWrite]:
    """Every file the reply asks for, all checked before anything is written."""
    patterns = [*targets, *globs]
    if not multi:
        relative = targets[0]
        return [PlannedWrite(relative, confine(root, relative, [relative]), single_file_content(reply, relative))]
    blocks = fenced_files(reply)
    if not blocks:
        raise OutputRefused("", "the reply names no files: expected fenced blocks such as ```python path=src/app.py",
                            "nothing was written")
    plans: dict[str, PlannedWrite] = {}
    for relative, content in blocks:
        path = confine(root, relative, patterns)
        relative = path.relative_to(root).as_posix()
        plans[relative] = PlannedWrite(relative, path, content)
    return list(plans.values())

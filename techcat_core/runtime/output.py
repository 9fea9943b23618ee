"""Turning a model's reply into files, and refusing any path outside what the agent may write.

A reply either is the whole content of the agent's single output file, or (for agents whose
`Output:` allows several paths) holds fenced blocks that name their paths. Whether a path may be
written is decided by `techcat_core.confine.writable` alone (no `..`, no `.git/`, no task log,
`.codex/` only where `Output:` names the file, no symlink out); one bad path refuses the whole
reply, so nothing is half-written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from techcat_core.confine import Refused, glob_match, writable

_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})\s*([^\n`]*)$")
_PATH_ATTR = re.compile(r"(?:^|\s)(?:path|file|filename|title)=[\"']?([^\s\"']+)")
_BARE_PATH = re.compile(r"^[\w.-]*[\w-]+(?:/[\w.\-\[\]@+]+)+$|^[\w-]+\.[\w]+$")
_FILE_LINE = re.compile(r"^(?:#+\s*|\*\*)?(?:file|path)\s*:\s*`?([^`*\s]+)`?\**\s*$", re.IGNORECASE)


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


def fenced_files(reply: str) -> list[tuple[str, str]]:
    """(path, content) for each fenced block that names its path, in order."""
    files: list[tuple[str, str]] = []
    lines = reply.splitlines()
    i = 0
    pending: str | None = None
    while i < len(lines):
        line = lines[i]
        file_line = _FILE_LINE.match(line.strip())
        if file_line:
            pending = file_line.group(1)
            i += 1
            continue
        opening = _FENCE_OPEN.match(line.strip())
        if not opening:
            if line.strip():
                pending = None
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2).strip()
        attr = _PATH_ATTR.search(info)
        words = info.split()
        path = attr.group(1) if attr else next((w for w in words if _BARE_PATH.match(w) and ("/" in w or "." in w)),
                                               None)
        path = path or pending
        pending = None
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence[0] * len(fence)):
            body.append(lines[i])
            i += 1
        i += 1
        if path:
            files.append((path, "\n".join(body) + "\n"))
    return files


def single_file_content(reply: str) -> str:
    """The reply as file content: a reply wrapped whole in one fence is unwrapped."""
    stripped = reply.strip("\n")
    lines = stripped.splitlines()
    if len(lines) >= 2 and _FENCE_OPEN.match(lines[0].strip()) and lines[-1].strip().startswith(("```", "~~~")):
        return "\n".join(lines[1:-1]) + "\n"
    return stripped + "\n"


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
        return [PlannedWrite(relative, confine(root, relative, [relative]), single_file_content(reply))]
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

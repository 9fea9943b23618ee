"""What a run changed, as one value: staged by the tool loop, taken from an executor's worktree, shown for review.

Every front end renders the same `ChangeSet` (the CLI's prompt, the TUI's diff dialog, the editors' workspace
edit), and the runner lands it in one step, so a review never sees something other than what is applied.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

ReviewDecision = Literal["approve", "discard", "applied"]
"""A reviewer's answer: land the changes, drop them (the run logs nothing), or "applied" when the front end
applied them itself (an editor's confirmed workspace edit) and the runner only records and logs."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file: `before` is its content where the run started (None: it did not exist), `after` None: deleted."""

    path: str  # repository-relative, POSIX separators, already through the confinement rule
    before: bytes | None
    after: bytes | None
    mode: int | None = None  # git's mode for a new file or a changed mode (0o100755: executable); None: as it was

    @property
    def kind(self) -> Literal["added", "deleted", "modified"]:
        if self.before is None:
            return "added"
        if self.after is None:
            return "deleted"
        return "modified"

    def diff(self, context: int = 3) -> str:
        """A unified diff of this file (binary content is named, not shown)."""
        old, new = self.before or b"", self.after or b""
        if b"\0" in old or b"\0" in new:
            return f"Binary file {self.path} {self.kind}\n"
        a = old.decode("utf-8", "replace").splitlines(keepends=True)
        b = new.decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(a, b, "/dev/null" if self.before is None else f"a/{self.path}",
                                     "/dev/null" if self.after is None else f"b/{self.path}", n=context)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Every file a run changed, in path order."""

    changes: tuple[FileChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(change.path for change in self.changes)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)

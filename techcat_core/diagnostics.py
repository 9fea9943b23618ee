"""Diagnostics and fixes: the one currency every check, front end and editor exchanges."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.positions import Range

DOCS_URL = "https://github.com/techcat-studio/techcat-studio/blob/main/docs/diagnostics.md"


class Severity(enum.IntEnum):
    """Ordered so that `max()` gives the worst; values match LSP's DiagnosticSeverity in reverse."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace `range` of `path` with `new_text`; `path` is absolute."""

    path: Path
    range: Range
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A repair the user can apply; `safe` fixes are applied by `techcat check --fix`."""

    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = True


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    path: Path
    range: Range
    fixes: tuple[Fix, ...] = ()
    data: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def doc_url(self) -> str:
        """The code's section in docs/diagnostics.md (headings read `## TC108 invalid-date`)."""
        from techcat_core.codes import CODES

        known = CODES.get(self.code)
        anchor = f"{self.code.lower()}-{known.name}" if known else self.code.lower()
        return f"{DOCS_URL}#{anchor}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.range.start.line, self.range.start.character, self.code)

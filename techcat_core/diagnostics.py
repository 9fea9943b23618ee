"""Diagnostics and fixes: the one currency every check, front end and editor exchanges."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.codes import CODES, Severity, severity_of
from techcat_core.positions import Range

__all__ = ["DOCS_URL", "Diagnostic", "Fix", "Severity", "TextEdit"]

DOCS_URL = "https://github.com/techcat-studio/techcat-studio/blob/main/docs/diagnostics.md"


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
        known = CODES.get(self.code)
        anchor = f"{self.code.lower()}-{known.name}" if known else self.code.lower()
        return f"{DOCS_URL}#{anchor}"

    @classmethod
    def of(cls, code: str, message: str, path: Path, range: Range, fixes: tuple[Fix, ...] = (),
           data: dict[str, str] | None = None) -> Diagnostic:
        """A diagnostic of `code`, with the severity the catalogue (codes.py) gives it: rules never state one."""
        return cls(code, severity_of(code), message, path, range, fixes, data if data is not None else {})

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.range.start.line, self.range.start.character, self.code)

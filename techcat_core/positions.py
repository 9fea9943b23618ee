"""Source positions shared by every parser and front end.

Lines and characters are 0-based and count Unicode code points (Python string indices); front ends
convert to what they need (1-based columns for the CLI, UTF-16 or UTF-8 units for LSP clients).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_NEWLINE = re.compile(r"\n")


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    start: Position
    end: Position

    @staticmethod
    def of(line: int, start: int, end_line: int | None = None, end: int | None = None) -> Range:
        """Build a range from plain numbers; a one-line range when no end line is given."""
        return Range(Position(line, start), Position(line if end_line is None else end_line,
                                                     start if end is None else end))

    def contains(self, position: Position) -> bool:
        return self.start <= position <= self.end


class LineIndex:
    """Maps string offsets to positions and back; built lazily because clean files never need it."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            starts.extend(m.end() for m in _NEWLINE.finditer(self.text))
            self._starts = starts
        return self._starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line, offset - self.starts[line])

    def range(self, start: int, end: int) -> Range:
        return Range(self.position(start), self.position(end))

    def offset(self, position: Position) -> int:
        starts = self.starts
        if position.line >= len(starts):
            return len(self.text)
        line_end = starts[position.line + 1] - 1 if position.line + 1 < len(starts) else len(self.text)
        return min(starts[position.line] + position.character, line_end)

    def line_text(self, line: int) -> str:
        starts = self.starts
        if line < 0 or line >= len(starts):
            return ""
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return self.text[starts[line]:end].rstrip("\r")

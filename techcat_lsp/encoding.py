"""Positions in the client's units: UTF-16 code units (VS Code), UTF-8 bytes (Neovim) or code points.

The core counts code points (Python string indices). Only lines with non-ASCII text need converting,
and only the one line a position is on is ever looked at.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from techcat_core.positions import LineIndex, Position, Range

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def _units(char: str, encoding: str) -> int:
    code = ord(char)
    if encoding == UTF16:
        return 2 if code > 0xFFFF else 1
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    return 3 if code < 0x10000 else 4


def to_client_column(line: str, character: int, encoding: str) -> int:
    """A code-point column on `line` as the client counts it."""
    if encoding == UTF32 or line.isascii():
        return character
    head = line[:character]
    # A lone surrogate (a `\ud800` escape in a JSON string) counts as one UTF-16 unit, three UTF-8 bytes.
    if encoding == UTF16:
        return len(head.encode("utf-16-le", "surrogatepass")) // 2
    return len(head.encode("utf-8", "surrogatepass"))


def from_client_column(line: str, column: int, encoding: str) -> int:
    """A client column on `line` as a code-point column, clamped to the line (as LSP asks)."""
    if encoding == UTF32 or line.isascii():
        return max(0, min(column, len(line)))
    units = 0
    for index, char in enumerate(line):
        if units >= column:
            return index
        units += _units(char, encoding)
    return len(line)


class Encoder:
    """Converts between core positions of one text and LSP positions in the negotiated encoding."""

    __slots__ = ("encoding", "lines")

    def __init__(self, lines: LineIndex, encoding: str) -> None:
        self.lines = lines
        self.encoding = encoding

    def position(self, position: Position) -> lsp.Position:
        line = self.lines.line_text(position.line)
        return lsp.Position(position.line, to_client_column(line, position.character, self.encoding))

    def range(self, rng: Range) -> lsp.Range:
        return lsp.Range(self.position(rng.start), self.position(rng.end))

    def core_position(self, position: lsp.Position) -> Position:
        line = self.lines.line_text(position.line)
        return Position(position.line, from_client_column(line, position.character, self.encoding))

    def offset(self, position: lsp.Position) -> int:
        """The code-point offset in the text of a client position (past the end clamps to the end)."""
        if position.line >= self.lines.line_count:
            return len(self.lines.text)
        return self.lines.offset(self.core_position(position))

    def offset_range(self, start: int, end: int) -> lsp.Range:
        return self.range(self.lines.range(start, end))

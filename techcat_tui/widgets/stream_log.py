"""Streamed text that wraps to the widget's width, painted through Textual's line API.

Textual's `Log` never wraps (an 80-column terminal clips long reply lines), and `RichLog` cannot
continue a line across writes (a streamed line arrives in many pieces) nor re-wrap on a resize.
This keeps the text as logical lines, wraps them into display rows for the current width,
re-wraps only the last row of the growing last line on a write, and paints only visible rows.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f]")


def clean(text: str) -> str:
    """One logical line as it is painted: tabs expanded, control characters shown as �."""
    return _CONTROL.sub("\ufffd", text.expandtabs())


def wrap_starts(line: str, width: int, start: int = 0) -> list[int]:
    """Where each display row of `line` begins, wrapping from the row that begins at `start`.

    Greedy word wrap on cell widths: a row ends after its last space, or inside a word longer than
    the row; a space that overflows hangs at the end of its row. A row is final once the next one
    begins, so a line that grew needs re-wrapping only from its last row.
    """
    if width <= 0:
        return [start]
    if line.isascii():
        return _ascii_starts(line, width, start)
    return _cell_starts(line, width, start)


def _ascii_starts(line: str, width: int, start: int) -> list[int]:
    starts = [start]
    length = len(line)
    row = start
    while length - row > width:
        limit = row + width  # the first character that does not fit
        if line[limit] == " ":
            following = limit + 1
            if following >= length:
                break
        else:
            space = line.rfind(" ", row, limit)
            following = space + 1 if space >= row else limit
        starts.append(following)
        row = following
    return starts


def _cell_starts(line: str, width: int, start: int) -> list[int]:
    starts = [start]
    cells = 0
    after_space = -1  # the index after the row's last space
    for index in range(start, len(line)):
        char = line[index]
        size = get_character_cell_size(char)
        if cells + size > width and index > starts[-1]:
            if char == " ":
                if index + 1 < len(line):
                    starts.append(index + 1)
                    cells, after_space = 0, -1
                continue
            row = after_space if after_space > starts[-1] else index
            if row < index and cell_len(line[row:index]) + size > width:
                row = index
            starts.append(row)
            cells, after_space = cell_len(line[row:index]), -1
        cells += size
        if char == " ":
            after_space = index + 1
    return starts


class StreamLog(ScrollView, can_focus=True):
    """A log of streamed text: `write` continues the last line, `write_line` puts a line of its own."""

    ALLOW_SELECT = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"stream-log--warning"}
    DEFAULT_CSS: ClassVar[str] = """
    StreamLog {
        background: $surface;
        color: $text;
        overflow-x: hidden;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
        }
        & > .stream-log--warning {
            color: $text-warning;
            text-style: bold;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._raw: list[str] = [""]  # logical lines as written; the last one may still grow
        self._lines: list[str] = [""]  # the same, cleaned for painting
        self._rows: list[tuple[int, int, int]] = []  # display rows: (logical line, start, end)
        self._line_rows: list[int] = []  # the first display row of each logical line
        self._wrap_width = 0
        self._warnings: set[int] = set()  # logical lines painted in the warning style

    @property
    def text(self) -> str:
        """Everything written, as written."""
        return "\n".join(self._raw)

    @property
    def rows(self) -> list[str]:
        """The display rows, as painted at the current width."""
        return [self._lines[number][start:end] for number, start, end in self._rows]

    def write(self, text: str) -> StreamLog:
        """Append `text`: it continues the last line, and each newline in it starts a new one."""
        if not text:
            return self
        follow = self.is_vertical_scroll_end
        pieces = text.replace("\r\n", "\n").split("\n")
        first = len(self._raw) - 1
        self._raw[-1] += pieces[0]
        self._raw.extend(pieces[1:])
        self._lines[first] = clean(self._raw[first])
        self._lines.extend(clean(piece) for piece in pieces[1:])
        self._wrap_from(first)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        return self

    def write_line(self, line: str, *, warning: bool = False) -> StreamLog:
        """`line` on a line of its own, however the text before it ended; `warning` paints it as one."""
        self.write(("\n" if self._raw[-1] else "") + line + "\n")
        if warning:
            self._warnings.update(range(len(self._raw) - 1 - len(line.split("\n")), len(self._raw) - 1))
            self.refresh()
        return self

    def is_warning(self, number: int) -> bool:
        """Whether logical line `number` is painted in the warning style."""
        return number in self._warnings

    def _wrap_from(self, first: int) -> None:
        """Display rows from logical line `first` on, which is the last line that has rows (if any)."""
        rows, line_rows = self._rows, self._line_rows
        resume = 0
        if first < len(line_rows):  # only its last row can change
            resume = rows.pop()[1]
        for number in range(first, len(self._lines)):
            if number >= len(line_rows):
                line_rows.append(len(rows))
            line = self._lines[number]
            starts = wrap_starts(line, self._wrap_width, resume if number == first else 0)
            rows.extend((number, begin, end) for begin, end in zip(starts, [*starts[1:], len(line)], strict=True))
        self.virtual_size = Size(self._wrap_width, len(rows))
        self.refresh()

    def on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        if width != self._wrap_width:
            follow = self.is_vertical_scroll_end
            self._wrap_width = width
            self._rows, self._line_rows = [], []
            self._wrap_from(0)
            if follow:
                self.scroll_end(animate=False, immediate=True, x_axis=False)

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        style = self.rich_style
        width = self.scrollable_content_region.width
        if row >= len(self._rows):
            return Strip.blank(width, style)
        number, start, end = self._rows[row]
        if number in self._warnings:
            style = style + self.get_component_rich_style("stream-log--warning")
        text = self._lines[number][start:end]
        segments = [Segment(text, style)]
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(row)) is not None:
            low, high = span
            high = len(text) if high == -1 else high
            selected = style + self.screen.get_component_rich_style("screen--selection")
            segments = [Segment(part, part_style) for part, part_style in
                        ((text[:low], style), (text[low:high], selected), (text[high:], style)) if part]
        return Strip(segments, cell_len(text)).crop_extend(0, width, style).apply_offsets(0, row)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self.rows)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

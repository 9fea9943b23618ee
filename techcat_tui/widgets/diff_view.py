"""A unified diff on screen: only the visible lines are drawn, so a 100k-line diff opens at once.

A `RichLog` renders every line as it is written (seconds for a big diff); here the lines stay plain strings
and `render_line` styles the few in view. Lines are never wrapped (a diff's columns mean something); the
view scrolls both ways.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

STYLES = (("+++", Style(bold=True)), ("---", Style(bold=True)), ("@@", Style(color="cyan")),
          ("+", Style(color="green")), ("-", Style(color="red")), ("\\", Style(dim=True)))
PLAIN = Style()
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # shown as symbols: never sent to the terminal as they are


def visible(text: str) -> str:
    """`text` with tabs as four spaces and control characters as their Unicode pictures (ESC as ␛)."""
    text = text.replace("\t", "    ")
    return CONTROL.sub(lambda m: "\u2421" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), text)


def line_style(line: str) -> Style:
    return next((style for prefix, style in STYLES if line.startswith(prefix)), PLAIN)


class DiffView(ScrollView, can_focus=True):
    """Shows `lines` (a diff, one string per line, no newlines), each styled by its first characters."""

    DEFAULT_CSS = """
    DiffView {
        overflow: auto auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []

    def show(self, lines: list[str]) -> None:
        """Replace what is shown, scrolled to the top."""
        self.lines = [visible(line) for line in lines]
        width = max((cell_len(line) for line in self.lines), default=0)
        self.virtual_size = Size(width, len(self.lines))
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        line = self.lines[index]
        strip = Strip([Segment(line, self.rich_style + line_style(line))], cell_len(line))
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

"""A checkbox and a selection list whose ticked boxes show a mark, not only another colour.

Textual draws the same `X` in a ticked and an unticked box and tells them apart by colour alone, which
colour-blind users and monochrome terminals cannot see. Here a ticked box shows ✓ and an unticked one
is empty.
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList

TICKED = "✓"
UNTICKED = " "

SelectionType = TypeVar("SelectionType")


class TickBox(Checkbox):
    """A checkbox that shows ✓ when on and an empty box when off."""

    def __init__(self, label: str, value: bool = False, *, id: str | None = None, compact: bool = False) -> None:
        super().__init__(label, value, id=id, compact=compact)
        self.BUTTON_INNER = TICKED if value else UNTICKED

    def watch_value(self) -> None:
        self.BUTTON_INNER = TICKED if self.value else UNTICKED
        super().watch_value()


class TickSelectionList(SelectionList[SelectionType]):
    """A selection list whose selected rows show ✓ in their box and the others an empty box."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count:
            return strip
        segments = list(strip)
        if len(segments) < 2:
            return strip
        mark = TICKED if self.get_option_at_index(index).value in self.selected else UNTICKED
        box = segments[1]
        segments[1] = Segment(mark, box.style, box.control)
        return Strip(segments, strip.cell_length)

"""A table that renders only the rows on screen (Textual's line API), for lists of any length.

`DataTable` builds every row up front (about 22 s for 100k rows on this machine); this widget asks
its owner for the cells of a row only when that row is painted, as Toolong does for log lines, so
the cost of a repaint depends on the height of the terminal, not on the length of the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = tuple[str, str]  # text and a style name ("" or one of VirtualTable.STYLE_NAMES)
CellSource = Callable[[int], Sequence[Cell]]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int | None = None  # None: takes the remaining width
    min_width: int = 6
    hide_below: int = 0  # hidden when the table is narrower than this


class VirtualTable(ScrollView, can_focus=True):
    """Rows come from `cells(position)`; the header is line 0 and stays put while rows scroll under it."""

    STYLE_NAMES: ClassVar[tuple[str, ...]] = ("accent", "dim", "agent", "error", "warning", "info", "success")
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header", "virtual-table--cursor", "virtual-table--cursor-blurred",
        *(f"virtual-table--{name}" for name in STYLE_NAMES),
    }
    DEFAULT_CSS = """
    VirtualTable { overflow-x: hidden; overflow-y: auto; background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; color: $text-muted; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground;
                                            text-style: bold; }
    VirtualTable > .virtual-table--cursor-blurred { background: $block-cursor-blurred-background;
                                                    color: $block-cursor-blurred-foreground; }
    VirtualTable > .virtual-table--accent { color: $text-accent; }
    VirtualTable > .virtual-table--dim { color: $text-muted; }
    VirtualTable > .virtual-table--agent { color: $text-secondary; }
    VirtualTable > .virtual-table--error { color: $text-error; text-style: bold; }
    VirtualTable > .virtual-table--warning { color: $text-warning; }
    VirtualTable > .virtual-table--info { color: $text-primary; }
    VirtualTable > .virtual-table--success { color: $text-success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="table.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="table.last"),
        Binding("enter", "choose", "Open", id="table.open"),
    ]

    class CursorMoved(Message):
        """The highlighted row changed (keyboard, mouse or a new data source)."""

        def __init__(self, table: VirtualTable, position: int) -> None:
            super().__init__()
            self.table = table
            self.position = position

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Chosen(Message):
        """Enter or a double click on a row."""

        def __init__(self, table: VirtualTable, position: int) -> None:
            super().__init__()
            self.table = table
            self.position = position

        @property
        def control(self) -> VirtualTable:
            return self.table

    class HeaderClicked(Message):
        def __init__(self, table: VirtualTable, column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], *, empty_text: str = "Nothing to show.", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = list(columns)
        self.empty_text = empty_text
        self.row_count = 0
        self.cursor = 0
        self._cells: CellSource = lambda _position: ()
        self._titles: dict[str, str] = {}
        self._columns_at_width: tuple[tuple[int, tuple[Column, ...]], list[tuple[Column, int]]] | None = None
        self._style_cache: dict[tuple[Style, Style | None], dict[str, Style]] = {}

    # -- data ---------------------------------------------------------------------------------------

    def set_source(self, count: int, cells: CellSource, cursor: int | None = None, *, follow_end: bool = False) -> None:
        """Show `count` rows; keeps the cursor and scroll position unless told otherwise."""
        at_end = self.row_count > 0 and self.scroll_y >= self.max_scroll_y - 0.5
        self.row_count = count
        self._cells = cells
        old = self.cursor
        self.cursor = max(0, min(self.cursor if cursor is None else cursor, count - 1)) if count else 0
        self.virtual_size = Size(self.size.width, count + 1)
        if follow_end and at_end:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        if cursor is not None:
            self.call_after_refresh(self.scroll_to_cursor)
        self.refresh()
        if count and (self.cursor != old or cursor is not None):
            self.post_message(self.CursorMoved(self, self.cursor))

    def set_title(self, key: str, title: str) -> None:
        """Override a column title (a sort arrow, a count)."""
        if self._titles.get(key) != title:
            self._titles[key] = title
            self.refresh(self.size.region)

    def move_to(self, position: int) -> None:
        if not self.row_count:
            return
        position = max(0, min(position, self.row_count - 1))
        changed = position != self.cursor
        self.cursor = position
        self.scroll_to_cursor()
        self.refresh()
        if changed:
            self.post_message(self.CursorMoved(self, position))

    def scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def visible_positions(self) -> range:
        top = int(self.scroll_y)
        height = max(0, self.scrollable_content_region.height - 1)
        return range(top, min(self.row_count, top + height))

    # -- actions ------------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, position: int) -> None:
        self.move_to(self.row_count - 1 if position < 0 else position)

    def action_choose(self) -> None:
        if self.row_count:
            self.post_message(self.Chosen(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor (a double click chooses); `prevent_default` keeps the base widget's
        click handling (select-all on a double click) from acting on the table too."""
        event.prevent_default()
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
            return
        position = int(self.scroll_y) + offset.y - 1
        if 0 <= position < self.row_count:
            self.move_to(position)
            if event.chain >= 2:
                self.post_message(self.Chosen(self, position))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.row_count + 1)

    # -- rendering ----------------------------------------------------------------------------------

    def layout_columns(self, width: int) -> list[tuple[Column, int]]:
        """Widths for `width` cells: fixed columns as given, the flexible one gets what is left."""
        shown = [c for c in self.columns if width >= c.hide_below]
        fixed = sum((c.width or 0) + 1 for c in shown if c.width is not None)
        flexible = [c for c in shown if c.width is None]
        rest = max(0, width - fixed - len(flexible))
        share = rest // len(flexible) if flexible else 0
        result = []
        for column in shown:
            result.append((column, column.width if column.width is not None else max(column.min_width, share)))
        return result

    def _column_at(self, x: int) -> str | None:
        left = 0
        for column, width in self.layout_columns(self.scrollable_content_region.width):
            if left <= x < left + width + 1:
                return column.key
            left += width + 1
        return None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache.clear()  # a theme or class change: the component styles may differ

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"virtual-table--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("virtual-table--header")
            cells = [(self._titles.get(c.key, c.title), "") for c in self.columns]
            return self._strip(cells, width, header, None)
        position = int(self.scroll_y) + y - 1
        if position >= self.row_count:
            if self.row_count == 0 and y == 1:
                return Strip([Segment(set_cell_size(" " + self.empty_text, width), base + self._style("dim"))],
                             width)
            return Strip.blank(width, base)
        overlay = None
        if position == self.cursor:
            overlay = self.get_component_rich_style(
                "virtual-table--cursor" if self.has_focus else "virtual-table--cursor-blurred")
        return self._strip(self._cells(position), width, base, overlay)

    def _strip(self, cells: Sequence[Cell], width: int, base: Style, overlay: Style | None) -> Strip:
        key = (width, tuple(self.columns))
        if self._columns_at_width is None or self._columns_at_width[0] != key:
            self._columns_at_width = (key, self.layout_columns(width))
        styles = self._combined_styles(base, overlay)
        gap = styles[""]  # the base with the overlay
        segments: list[Segment] = []
        by_key = dict(zip((c.key for c in self.columns), cells, strict=False))
        for column, column_width in self._columns_at_width[1]:
            text, style_name = by_key.get(column.key, ("", ""))
            if "\n" in text or "\t" in text:
                text = text.replace("\n", " ").replace("\t", " ")
            if cell_len(text) > column_width:
                text = set_cell_size(text, max(0, column_width - 1)) + "…" if column_width > 1 else ""
            style = styles.get(style_name)
            if style is None:
                style = styles[style_name] = (base + self._style(style_name) if style_name else base) + \
                    (overlay or Style())
            segments.append(Segment(set_cell_size(text, column_width), style))
            segments.append(Segment(" ", gap))
        return Strip(segments).adjust_cell_length(width, gap)

    def _combined_styles(self, base: Style, overlay: Style | None) -> dict[str, Style]:
        """Cell styles combined with the base and the cursor overlay, built once per pair (a repaint
        asks for the same few dozens of combinations line after line)."""
        cache_key = (base, overlay)
        styles = self._style_cache.get(cache_key)
        if styles is None:
            if len(self._style_cache) > 16:
                self._style_cache.clear()
            styles = self._style_cache[cache_key] = {"": base + overlay if overlay is not None else base}
        return styles

"""The task log view: filter as you type (words, agent, dates), sort, and a detail pane with file previews."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Select, Static

from techcat_core.usecases.log_query import LogQuery, QueryProblem, parse_query
from techcat_tui.log_rows import SORT_KEYS, LogRow, matching, sort_positions
from techcat_tui.messages import CopyRequested, EntryEditRequested
from techcat_tui.previews import FilePreview, read_previews
from techcat_tui.widgets.log_detail import LogDetail
from techcat_tui.widgets.virtual_table import Cell, Column, VirtualTable

_SORT_COLUMNS = {"id": "id", "date": "date", "agent": "agent"}
_TITLES = {"id": "Task", "date": "Date", "agent": "Agent", "summary": "Summary", "files": "Files"}


class PreviewsRead(Message):
    def __init__(self, index: int, previews: list[FilePreview], more: int) -> None:
        super().__init__()
        self.index = index
        self.previews = previews
        self.more = more


class LogView(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="log.filter"),
        # the filter row shows the agent and date fields: their keys are in the help, not the 80-column footer
        Binding("a", "focus_agent", "Agent", show=False, id="log.agent"),
        Binding("D", "focus_date", "Dates", show=False, id="log.dates"),
        Binding("s", "cycle_sort", "Sort", id="log.sort"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="log.reverse"),
        Binding("ctrl+l", "clear_filters", "Clear", show=False, id="log.clear"),
        Binding("y", "copy_entry", "Copy", id="log.copy"),
        Binding("e", "edit_entry", "Edit", id="log.edit"),
        Binding("v", "toggle_detail", "Details", id="log.detail"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[LogRow] = []
        self.positions: list[int] = []
        self.query_state = LogQuery()
        self.sort_key = "file"
        self.descending = False
        self.root = Path(".")
        self.roster: set[str] = set()
        self._agent_options: list[str] = []
        self._banner: str | None = None
        self._preview_timer: Timer | None = None
        self._filter_problem: str | None = None
        self._status_text = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-filters"):
            yield Input(placeholder="/ filter: words, @agent, date:2025-07", id="log-filter", compact=True)
            yield Select[str]([], prompt="any agent", id="log-agent", allow_blank=True, compact=True)
            yield Input(placeholder="dates: 2025-07, A..B", id="log-date", compact=True)
        yield Static("", id="log-banner")
        with Horizontal(id="log-body"):
            yield VirtualTable(self._columns(), id="log-table", empty_text="No entries yet.")
            yield LogDetail(id="log-detail")
        yield Static("", id="log-status")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#log-table", VirtualTable)

    def _columns(self, id_width: int = 8, agent_width: int = 18) -> list[Column]:
        return [Column("id", "Task", id_width, hide_below=0), Column("date", "Date", 10, hide_below=48),
                Column("agent", "Agent", agent_width, hide_below=40), Column("summary", "Summary", None, 12),
                Column("files", "Files", 5, hide_below=90)]

    # -- data in --------------------------------------------------------------------------------------

    def load(self, rows: list[LogRow], agents: list[str], root: Path, banner: str | None) -> None:
        """Replace every row (a full reload), keeping the selected entry and the scroll position."""
        selected = self.current_row()
        self.rows = rows
        self.set_context(agents, root, banner)
        self._recompute(keep_index=selected.entry if selected else None, initial=selected is None)

    def set_context(self, agents: list[str], root: Path, banner: str | None) -> None:
        """What the rows are shown with (the roster, the agent choices, the banner), without re-filtering:
        a reload whose log is unchanged may still bring a new roster."""
        rows = self.rows
        self.root = root
        roster = set(agents)
        table = self.table
        id_width = max((len(r.task_id) for r in (rows[:1] + rows[-1:])), default=8)
        agent_width = min(22, max((len(a) for a in agents), default=10))
        columns = self._columns(max(4, id_width), max(8, agent_width))
        changed = columns != table.columns
        if changed:
            table.columns = columns
        select = self.query_one("#log-agent", Select)
        current_agent = select.value
        options = sorted(roster | {r.agent for r in rows[-2000:] if r.agent})
        if roster != self.roster or options != self._agent_options:
            changed = True
            self.roster = roster
            self._agent_options = options
            with self.prevent(Select.Changed):
                select.set_options([(name, name) for name in options])
                if isinstance(current_agent, str) and current_agent in options:
                    select.value = current_agent
        if changed:
            table.refresh()  # the agent column marks names outside the roster
        banner_widget = self.query_one("#log-banner", Static)
        if banner_widget.display != bool(banner) or self._banner != banner:
            self._banner = banner
            banner_widget.update(banner or "")
            banner_widget.display = bool(banner)

    def append(self, rows: list[LogRow]) -> None:
        """New rows at the end of the log: only they are filtered, unless a sort reorders everything."""
        if not rows:
            return
        start = len(self.rows)
        self.rows.extend(rows)
        if self.sort_key == "file" and not self.descending:
            self.positions.extend(matching(self.rows, self.query_state, range(start, len(self.rows))))
            self.table.set_source(len(self.positions), self._cells, follow_end=True)
            self._update_status()
        else:
            selected = self.current_row()
            self._recompute(keep_index=selected.entry if selected else None)

    def _recompute(self, keep_index: int | None = None, initial: bool = False) -> None:
        positions = matching(self.rows, self.query_state)
        self.positions = sort_positions(self.rows, positions, self.sort_key, self.descending)
        self.table.empty_text = "No entries match the filters (ctrl+l clears them)." if self.rows \
            else "No entries yet."
        cursor = None
        if keep_index is not None:
            cursor = self._position_of(keep_index)
        elif initial and self.positions:
            cursor = len(self.positions) - 1 if self.sort_key == "file" and not self.descending else 0
        self.table.set_source(len(self.positions), self._cells, cursor if cursor is not None else 0
                              if keep_index is not None or initial else None)
        for key, title in _TITLES.items():
            arrow = (" ↓" if self.descending else " ↑") if _SORT_COLUMNS.get(key) == self.sort_key else ""
            self.table.set_title(key, title + arrow)
        self._update_status()
        self._show_detail()

    def _position_of(self, index: int) -> int | None:
        if self.sort_key == "file" and not self.descending:
            import bisect

            at = bisect.bisect_left(self.positions, index)
            return at if at < len(self.positions) and self.positions[at] == index else None
        try:
            return self.positions.index(index)
        except ValueError:
            return None

    def _cells(self, position: int) -> tuple[Cell, ...]:
        row = self.rows[self.positions[position]]
        agent_style = "agent" if not self.roster or row.agent in self.roster or row.agent == "task_logger" else "error"
        return ((row.task_id or "?", "accent"), (row.date, "dim" if len(row.date) == 10 else "error"),
                (row.agent, agent_style), (row.summary or "(no summary)", "" if row.summary else "error"),
                (str(len(row.files)) if row.files else "–", "dim"))

    # -- selection ------------------------------------------------------------------------------------

    def current_row(self) -> LogRow | None:
        table = self.table
        if not self.positions or table.cursor >= len(self.positions):
            return None
        return self.rows[self.positions[table.cursor]]

    def select_entry(self, index: int) -> bool:
        """Select the entry at `index` in the file, clearing filters that hide it."""
        if not 0 <= index < len(self.rows):
            return False
        position = self._position_of(index)
        if position is None:
            self._clear_filter_widgets()
            self.query_state = LogQuery()
            self._recompute(keep_index=index)
            position = self._position_of(index)
        if position is None:
            return False
        self.table.move_to(position)
        self._show_detail()
        return True

    def select_task(self, task_id: str) -> bool:
        for row in reversed(self.rows):
            if row.task_id == task_id:
                return self.select_entry(row.entry)
        return False

    # -- events ---------------------------------------------------------------------------------------

    @on(Input.Changed, "#log-filter")
    @on(Input.Changed, "#log-date")
    def _filter_changed(self) -> None:
        self._apply_filters()

    @on(Select.Changed, "#log-agent")
    def _agent_changed(self, event: Select.Changed) -> None:
        self._apply_filters()
        if event.select.has_focus:  # the user picked an agent: back to the rows (never steal focus otherwise)
            self.table.focus()

    @on(Input.Submitted, "#log-filter")
    @on(Input.Submitted, "#log-date")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def _apply_filters(self) -> None:
        text = self.query_one("#log-filter", Input).value
        date_text = self.query_one("#log-date", Input).value
        agent = self.query_one("#log-agent", Select).value
        try:
            query = parse_query(text, agent if isinstance(agent, str) else None, date_text)
            self._filter_problem = None
        except QueryProblem as problem:
            query = parse_query(text, agent if isinstance(agent, str) else None)
            self._filter_problem = str(problem)
        if query == self.query_state:
            self._update_status()
            return
        self.query_state = query
        selected = self.current_row()
        self._recompute(keep_index=selected.entry if selected else None)

    @on(VirtualTable.CursorMoved, "#log-table")
    def _cursor_moved(self) -> None:
        self._show_detail()

    @on(VirtualTable.Chosen, "#log-table")
    def _row_chosen(self) -> None:
        detail = self.query_one(LogDetail)
        if not detail.display:
            self.action_toggle_detail()
        detail.focus()

    @on(VirtualTable.HeaderClicked, "#log-table")
    def _header_clicked(self, event: VirtualTable.HeaderClicked) -> None:
        key = _SORT_COLUMNS.get(event.column)
        if key is None:
            return
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self._resort()

    def _show_detail(self) -> None:
        row = self.current_row()
        detail = self.query_one(LogDetail)
        detail.show_row(row, len(self.rows))
        if self._preview_timer is not None:
            self._preview_timer.stop()
        if row is not None and row.files and detail.display:
            self._preview_timer = self.set_timer(0.12, lambda: self._load_previews(row))

    @work(thread=True, exclusive=True, group="log-previews", exit_on_error=False)
    def _load_previews(self, row: LogRow) -> None:
        previews = read_previews(self.root, row.files)
        self.post_message(PreviewsRead(row.entry, previews, max(0, len(row.files) - len(previews))))

    def on_previews_read(self, message: PreviewsRead) -> None:
        row = self.current_row()
        if row is not None and row.entry == message.index:
            self.query_one(LogDetail).show_previews(message.previews, message.more)

    def refresh_previews(self) -> None:
        """An output file changed on disk: re-read the previews of the selected entry."""
        self._show_detail()

    def _update_status(self) -> None:
        total = len(self.rows)
        shown = len(self.positions)
        parts = [f"{total:,} entr{'y' if total == 1 else 'ies'}"]
        if shown != total:
            parts.append(f"{shown:,} shown")
        if self.sort_key != "file" or self.descending:
            parts.append(f"sorted by {self.sort_key} {'↓' if self.descending else '↑'}")
        text = " · ".join(parts)
        if self._filter_problem:
            text += f"  [$text-error]{escape(self._filter_problem)}[/]"
        if text != self._status_text:  # an update costs a reflow of the screen
            self._status_text = text
            self.query_one("#log-status", Static).update(text, layout=False)  # one line, always

    # -- actions --------------------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#log-filter", Input).focus()

    def action_focus_agent(self) -> None:
        select = self.query_one("#log-agent", Select)
        select.focus()
        select.action_show_overlay()

    def action_focus_date(self) -> None:
        self.query_one("#log-date", Input).focus()

    def action_cycle_sort(self) -> None:
        keys = list(SORT_KEYS)
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.descending = False
        self._resort()

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self._resort()

    def _resort(self) -> None:
        selected = self.current_row()
        self._recompute(keep_index=selected.entry if selected else None)
        self.notify(f"Sorted by {'file order' if self.sort_key == 'file' else self.sort_key}"
                    f"{', newest first' if self.descending else ''}", timeout=2)

    def _clear_filter_widgets(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#log-filter", Input).value = ""
            self.query_one("#log-date", Input).value = ""
            self.query_one("#log-agent", Select).clear()

    def action_clear_filters(self) -> None:
        self._clear_filter_widgets()
        self._filter_problem = None
        self.query_state = LogQuery()
        selected = self.current_row()
        self._recompute(keep_index=selected.entry if selected else None)
        self.table.focus()

    def action_copy_entry(self) -> None:
        row = self.current_row()
        if row is None:
            return
        value: dict[str, object] = {"task_id": row.task_id, "agent": row.agent, "date": row.date,
                                    "summary": row.summary, "output_files": list(row.files)}
        for key, raw in row.extras:
            try:
                value[key] = json.loads(raw)
            except ValueError:
                value[key] = raw
        self.post_message(CopyRequested(json.dumps(value, indent=2, ensure_ascii=False), row.task_id or "entry"))

    def action_edit_entry(self) -> None:
        row = self.current_row()
        if row is not None:
            self.post_message(EntryEditRequested(row.entry))

    def action_toggle_detail(self) -> None:
        detail = self.query_one(LogDetail)
        detail.display = not detail.display
        if detail.display:
            self._show_detail()
        else:
            self.table.focus()

    def on_key(self, event: object) -> None:
        from textual.events import Key

        if isinstance(event, Key) and event.key == "escape" and isinstance(self.screen.focused, Input | Select):
            event.stop()
            self.table.focus()

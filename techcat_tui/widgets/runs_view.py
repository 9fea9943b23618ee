"""Runs: the run history — every agent run with its outcome, tokens and cost, totals per agent and per day,
and feedback (g good, b bad) on the selected run.

The history is read in a thread worker whenever the view is shown and every few seconds while it is;
the core's history modules are imported there, not at start-up (the first screen needs none of them).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import DataTable, Static

if TYPE_CHECKING:
    from techcat_core.runs.history import Totals
    from techcat_core.runs.record import RunRecord

LIMIT = 500  # runs listed; the totals count every run
POLL_SECONDS = 3.0
# table cells are Rich text (plain, never parsed as markup: a task may hold brackets)
OUTCOME_STYLE = {"done": "green", "failed": "red", "cancelled": "yellow", "dry-run": "dim"}
RATING_STYLE = {"good": "green", "bad": "red"}


class RunRated(Message):
    """The rating worker's answer: what to say, and whether it failed."""

    def __init__(self, text: str, *, failed: bool = False) -> None:
        super().__init__()
        self.text = text
        self.failed = failed


class RunsRead(Message):
    """What a worker read from the history (or why it could not)."""

    def __init__(self, records: list[RunRecord] | None = None, by_agent: list[Totals] | None = None,
                 by_day: list[Totals] | None = None, where: str = "", problem: str | None = None) -> None:
        super().__init__()
        self.records = records or []
        self.by_agent = by_agent or []
        self.by_day = by_day or []
        self.where = where
        self.problem = problem


class RunsView(Vertical):
    DEFAULT_CSS = """
    RunsView { height: 1fr; }
    #runs-totals { height: auto; max-height: 12; }
    #runs-by-agent, #runs-by-day { width: 1fr; height: auto; padding: 0 1; }
    #runs-list { height: 1fr; }
    #runs-detail { height: auto; max-height: 8; padding: 0 1; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "rate('good')", "Good", id="runs.good"),
        Binding("b", "rate('bad')", "Bad", id="runs.bad"),
        Binding("u", "refresh_runs", "Refresh", id="runs.refresh"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.records: list[RunRecord] = []
        self.where = ""
        self.problem: str | None = None
        self._shown_key: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-totals"):
            yield Static("Reading the run history…", id="runs-by-agent")
            yield Static("", id="runs-by-day")
        table: DataTable[str] = DataTable(id="runs-list", cursor_type="row", zebra_stripes=True)
        table.add_columns("Started", "Agent", "Outcome", "Tokens in/out", "Cost", "Task", "Rating", "What")
        yield table
        yield Static("", id="runs-detail")

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self._poll)

    def on_show(self) -> None:
        self.refresh_runs()

    def _poll(self) -> None:
        if self.is_on_screen:
            self.refresh_runs()

    @property
    def is_on_screen(self) -> bool:
        return self.display and self.is_mounted and self.region.area > 0

    def _codex_dir(self) -> Path | None:
        codex = getattr(self.app, "codex_dir", None)
        return codex if isinstance(codex, Path) else None

    def action_refresh_runs(self) -> None:
        self.refresh_runs()

    def refresh_runs(self) -> None:
        codex = self._codex_dir()
        if codex is not None:
            self._read(codex)

    @work(thread=True, exclusive=True, group="runs-read", exit_on_error=False)
    def _read(self, codex: Path) -> None:
        from techcat_core.runs.history import HistoryError
        from techcat_core.runs.query import RunQuery
        from techcat_core.runs.store import open_history

        try:
            history = open_history(codex)
            message = RunsRead(history.recent(RunQuery(limit=LIMIT)), history.totals("agent"), history.totals("day"),
                               history.where)
        except HistoryError as error:
            message = RunsRead(problem=str(error))
        self.post_message(message)

    @on(RunsRead)
    def _show(self, message: RunsRead) -> None:
        message.stop()
        key = (message.problem, message.where, [(r.record_id, r.rating, r.note) for r in message.records],
               message.by_agent, message.by_day)
        if key == self._shown_key:
            return  # nothing changed: keep the cursor and skip the repaint
        self._shown_key = key
        self.records, self.where, self.problem = message.records, message.where, message.problem
        by_agent = self.query_one("#runs-by-agent", Static)
        by_day = self.query_one("#runs-by-day", Static)
        if message.problem:
            by_agent.update(f"[$text-error]{escape(message.problem)}[/]")
            by_day.update("")
        elif not message.records:
            by_agent.update("No runs recorded yet. Every agent run (R, `techcat run`, `techcat watch`, an editor, "
                            f"an MCP client) is recorded here.\n[$text-muted]{escape(message.where)}[/]")
            by_day.update("")
        else:
            by_agent.update(_totals_text("Per agent", message.by_agent))
            by_day.update(_totals_text("Per day (UTC)", message.by_day[:7]))
        self._fill_table()

    def _fill_table(self) -> None:
        from techcat_core.runs.display import cost_text, local_time, tokens_text

        table = self.query_one("#runs-list", DataTable)
        selected = self.selected_run()
        table.clear()
        for record in self.records:
            cells = (local_time(record.started), record.agent, record.outcome, tokens_text(record),
                     cost_text(record.cost), record.task_id or "-", record.rating or "-",
                     " ".join(record.task.split())[:80])
            styles = {2: OUTCOME_STYLE.get(record.outcome, ""), 6: RATING_STYLE.get(record.rating or "", "")}
            table.add_row(*(Text(cell, style=styles.get(i, "")) for i, cell in enumerate(cells)),
                          key=record.record_id)
        if selected is not None:
            index = next((i for i, r in enumerate(self.records) if r.record_id == selected.record_id), None)
            if index is not None:
                table.move_cursor(row=index)
        self._show_detail()

    def selected_run(self) -> RunRecord | None:
        table = self.query_one("#runs-list", DataTable)
        if not self.records or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.records[row] if 0 <= row < len(self.records) else None

    @on(DataTable.RowHighlighted, "#runs-list")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        from techcat_core.runs.display import duration_text, feedback_text

        detail = self.query_one("#runs-detail", Static)
        record = self.selected_run()
        if record is None:
            detail.update("")
            return
        lines = [f"[b]{escape(record.agent)}[/] {escape(record.run_id)} · {escape(record.provider)} · "
                 f"{escape(record.model)} · {duration_text(record.duration_ms)}"
                 + (" · tokens estimated (the server reported none)" if record.tokens_estimated else "")]
        if record.reason:
            lines.append(f"[$text-error]{escape(record.reason)}[/]")
        if record.files:
            lines.append("files: " + escape(", ".join(record.files)))
        if record.parent_id:
            lines.append(f"chained after {escape(record.parent_id)} (chain {escape(record.chain_id)})")
        lines.append(f"feedback: {escape(feedback_text(record))}   [$text-muted]g good · b bad · "
                     f"`techcat runs show {escape(record.run_id)}` for the messages and reply[/]")
        detail.update("\n".join(lines))

    def action_rate(self, rating: str) -> None:
        record = self.selected_run()
        codex = self._codex_dir()
        if record is None or codex is None:
            self.app.notify("No run is selected.", severity="warning")
            return
        self._rate(codex, record.record_id, rating)

    @work(thread=True, group="runs-rate", exit_on_error=False)
    def _rate(self, codex: Path, record_id: str, rating: str) -> None:
        from techcat_core.runs.history import HistoryError
        from techcat_core.runs.store import open_history

        try:
            record = open_history(codex).rate(record_id, rating, None)
        except HistoryError as error:
            self.post_message(RunRated(str(error), failed=True))
            return
        self.post_message(RunRated(f"Rated run {record.run_id} ({record.agent}) {rating}."))

    def on_run_rated(self, message: RunRated) -> None:
        self.app.notify(message.text, severity="error" if message.failed else "information")
        if not message.failed:
            self.refresh_runs()


def _totals_text(title: str, totals: list[Totals]) -> str:
    from techcat_core.runs.display import cost_text

    lines = [f"[b]{title}[/]"]
    width = max((len(t.key) for t in totals), default=0)
    for total in totals:
        feedback = f"  [$text-success]{total.good}↑[/] [$text-error]{total.bad}↓[/]" if total.good or total.bad else ""
        lines.append(f"{escape(total.key):<{width}}  {total.runs:>4} run{'s' if total.runs != 1 else ' '}  "
                     f"{total.prompt_tokens:>9,}/{total.completion_tokens:<8,}  cost {cost_text(total.cost)}{feedback}")
    return "\n".join(lines)

"""The detail pane of the task log: the whole entry, then a preview of each output file."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from techcat_tui.log_rows import LogRow
from techcat_tui.previews import FilePreview


def _syntax(preview: FilePreview) -> RenderableType:
    from rich.syntax import Syntax

    assert preview.text is not None
    lexer = Syntax.guess_lexer(preview.name, code=preview.text[:2000])
    return Syntax(preview.text, lexer, line_numbers=True, word_wrap=False, theme="ansi_dark",
                  background_color="default")


class LogDetail(VerticalScroll, can_focus=True):
    """Scrollable; focus it (enter on a row) to scroll long previews with the keyboard."""

    _shown: tuple[LogRow | None, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static("Select an entry to see it here.", id="detail-head")
        yield Static("", id="detail-files")

    def show_row(self, row: LogRow | None, total: int) -> None:
        shown = (row, total if row is None else -1)
        if shown == self._shown:
            return  # a filter that kept the selected entry: nothing to redraw (each update costs a reflow)
        self._shown = shown
        head = self.query_one("#detail-head", Static)
        if row is None:
            head.update("[$text-muted]No entry selected.[/]" if total else
                        "[$text-muted]The task log is empty. Entries appear here as agents finish tasks "
                        "(`techcat log --agent NAME --summary TEXT`).[/]")
            self.query_one("#detail-files", Static).update("")
            return
        lines = [f"[b $text-accent]{escape(row.task_id or '(no id)')}[/]  [$text-muted]{escape(row.date)}[/]  "
                 f"[b $text-secondary]{escape(row.agent or '(no agent)')}[/]",
                 "", escape(row.summary) if row.summary else "[$text-error](no summary)[/]"]
        for key, value in row.extras:
            lines.append(f"[$text-warning]{escape(key)}[/] (not a task-log field): {escape(value[:300])}")
        lines += ["", f"[b]Output files ({len(row.files)})[/]" if row.files else "[$text-muted]No output files.[/]"]
        head.update("\n".join(lines))
        self.query_one("#detail-files", Static).update(
            Text("\n".join(f"  {name}" for name in row.files[:8]), style="dim"))

    def show_previews(self, previews: list[FilePreview], more: int) -> None:
        from rich.console import Group

        parts: list[RenderableType] = []
        for preview in previews:
            title = Text.assemble(("▌ ", "bold"), (preview.name, "bold"), ("  " + preview.note, "dim"))
            parts.append(title)
            if preview.text is not None:
                parts.append(_syntax(preview))
                if preview.truncated:
                    parts.append(Text("  …", style="dim"))
            parts.append(Text(""))
        if more:
            parts.append(Text(f"and {more} more file(s)", style="dim"))
        self.query_one("#detail-files", Static).update(Group(*parts))

"""The core's diagnostics for the whole workspace: enter jumps to the place, `f` applies the fix."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from techcat_core.diagnostics import Diagnostic, Severity
from techcat_tui.messages import CopyRequested, EditRequested, FixRequested, JumpRequested
from techcat_tui.widgets.virtual_table import Cell, Column, VirtualTable

_SEVERITY = {Severity.ERROR: ("error", "error"), Severity.WARNING: ("warning", "warning"),
             Severity.INFO: ("note", "info")}


def location(diagnostic: Diagnostic, root: Path) -> str:
    try:
        name = diagnostic.path.relative_to(root).as_posix()
    except ValueError:
        name = str(diagnostic.path)
    start = diagnostic.range.start
    return f"{name}:{start.line + 1}:{start.character + 1}"


class DiagnosticsView(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "fix", "Fix", id="problems.fix"),
        Binding("F", "choose_fix", "Fixes…", id="problems.fixes"),
        Binding("e", "edit", "Edit", id="problems.edit"),
        Binding("y", "copy", "Copy", id="problems.copy"),
        Binding("w", "toggle_notes", "Notes", id="problems.notes"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.all: list[Diagnostic] = []
        self.shown: list[Diagnostic] = []
        self.root = Path(".")
        self.hide_notes = False
        self.checked = False

    def compose(self) -> ComposeResult:
        yield Static("Checking…", id="problems-summary")
        yield VirtualTable([Column("severity", "Level", 7), Column("code", "Code", 5),
                            Column("where", "Where", 31, hide_below=60), Column("message", "Message", None, 20)],
                           id="problems-table", empty_text="Checking the workspace…")
        yield Static("", id="problems-detail")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#problems-table", VirtualTable)

    def load(self, diagnostics: list[Diagnostic], root: Path) -> None:
        """New results: keep the selection on the same diagnostic when it is still reported.

        Results can arrive while the view is mounted but its table not yet composed (a busy machine, a small
        workspace checked fast): they are kept and shown once it is (`on_mount`)."""
        composed = bool(self.query("#problems-table"))
        current = self.current() if composed else None
        self.all = diagnostics
        self.root = root
        self.checked = True
        if composed:
            self._refilter(current)

    def on_mount(self) -> None:
        if self.checked:
            self._refilter(None)

    def _refilter(self, keep: Diagnostic | None) -> None:
        self.shown = [d for d in self.all if not (self.hide_notes and d.severity == Severity.INFO)]
        cursor = self._position_of(keep) if keep is not None else None
        table = self.table
        table.empty_text = "No problems: every check passed." if self.checked else "Checking the workspace…"
        table.set_source(len(self.shown), self._cells, cursor)
        errors = sum(1 for d in self.all if d.severity == Severity.ERROR)
        warnings = sum(1 for d in self.all if d.severity == Severity.WARNING)
        notes = len(self.all) - errors - warnings
        fixable = sum(1 for d in self.all if d.fixes)
        hidden = " (notes hidden: w)" if self.hide_notes and notes else ""
        self.query_one("#problems-summary", Static).update(
            f"[$text-error]{errors} error{'s' if errors != 1 else ''}[/] · [$text-warning]{warnings} warning"
            f"{'s' if warnings != 1 else ''}[/] · {notes} note{'s' if notes != 1 else ''}{hidden} · "
            f"{fixable} with a fix   [$text-muted]enter go to · f fix · F choose fix · e edit[/]")
        self._show_detail()

    def _position_of(self, diagnostic: Diagnostic) -> int | None:
        for number, candidate in enumerate(self.shown):
            if candidate.code == diagnostic.code and candidate.path == diagnostic.path and \
                    candidate.message == diagnostic.message:
                return number
        return None

    def _cells(self, position: int) -> tuple[Cell, ...]:
        diagnostic = self.shown[position]
        label, style = _SEVERITY[diagnostic.severity]
        fix = " ⚑" if diagnostic.fixes else ""
        return ((label, style), (diagnostic.code, "accent"), (location(diagnostic, self.root), "dim"),
                (diagnostic.message + fix, ""))

    def current(self) -> Diagnostic | None:
        if not self.shown:
            return None
        cursor = self.table.cursor
        return self.shown[cursor] if cursor < len(self.shown) else None

    def select(self, diagnostic: Diagnostic) -> None:
        position = self._position_of(diagnostic)
        if position is not None:
            self.table.move_to(position)

    @on(VirtualTable.CursorMoved, "#problems-table")
    def _moved(self) -> None:
        self._show_detail()

    @on(VirtualTable.Chosen, "#problems-table")
    def _chosen(self) -> None:
        diagnostic = self.current()
        if diagnostic is not None:
            self.post_message(JumpRequested(diagnostic))

    def _show_detail(self) -> None:
        diagnostic = self.current()
        detail = self.query_one("#problems-detail", Static)
        if diagnostic is None:
            detail.update("")
            return
        lines = [f"[b]{escape(diagnostic.code)}[/] {escape(location(diagnostic, self.root))}: "
                 f"{escape(diagnostic.message)}"]
        for number, fix in enumerate(diagnostic.fixes):
            key = "f" if number == 0 else "F"
            safe = "" if fix.safe else " [$text-warning](review it: not applied by check --fix)[/]"
            lines.append(f"  [$text-accent]{key}[/] {escape(fix.title)}{safe}")
        lines.append(f"[$text-muted]{escape(diagnostic.doc_url)}[/]")
        detail.update("\n".join(lines))

    def action_fix(self) -> None:
        diagnostic = self.current()
        if diagnostic is None:
            return
        if not diagnostic.fixes:
            self.notify(f"{diagnostic.code} has no automatic fix; press e to edit the file.", severity="warning")
            return
        self.post_message(FixRequested(diagnostic, 0))

    def action_choose_fix(self) -> None:
        diagnostic = self.current()
        if diagnostic is None or not diagnostic.fixes:
            self.action_fix()
            return
        from techcat_tui.screens.dialogs import ChoiceDialog

        def chosen(index: int | None) -> None:
            if index is not None:
                self.post_message(FixRequested(diagnostic, index))

        self.app.push_screen(ChoiceDialog(f"Fix {diagnostic.code}", [f.title for f in diagnostic.fixes]), chosen)

    def action_edit(self) -> None:
        diagnostic = self.current()
        if diagnostic is not None:
            self.post_message(EditRequested(diagnostic.path, diagnostic.range.start.line + 1))

    def action_copy(self) -> None:
        diagnostic = self.current()
        if diagnostic is not None:
            self.post_message(CopyRequested(f"{location(diagnostic, self.root)}: {diagnostic.code} "
                                            f"{diagnostic.message}", diagnostic.code))

    def action_toggle_notes(self) -> None:
        self.hide_notes = not self.hide_notes
        self._refilter(self.current())

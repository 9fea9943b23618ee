"""The main screen: the workspace bar, one tab per view, a status line and the key footer."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, TabbedContent, TabPane

from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.diagnostics_view import DiagnosticsView
from techcat_tui.widgets.documents_view import DocumentsView
from techcat_tui.widgets.git_view import GitView
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView
from techcat_tui.widgets.workspace_bar import WorkspaceBar

TABS = ("log", "agents", "proposed", "docs", "problems", "git")


class MainScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield WorkspaceBar(id="bar")
        with TabbedContent(initial="log", id="tabs"):
            with TabPane("1 Log", id="log"):
                yield LogView(id="log-view")
            with TabPane("2 Agents", id="agents"):
                yield AgentsView(id="agents-view")
            with TabPane("3 Proposed", id="proposed"):
                yield ProposedView(id="proposed-view")
            with TabPane("4 Docs", id="docs"):
                yield DocumentsView(id="docs-view")
            with TabPane("5 Problems", id="problems"):
                yield DiagnosticsView(id="problems-view")
            with TabPane("6 Git", id="git"):
                yield GitView(id="git-view")
        yield Static("Loading the workspace…", id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LogView).table.focus()

    def show_tab(self, tab: str) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active != tab:
            tabs.active = tab
        self._focus_view(tab)

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id or "log"
        self._focus_view(pane_id)

    def _focus_view(self, tab: str) -> None:
        if tab == "docs":
            self.query_one(DocumentsView).activate()
        target: Widget
        if tab == "log":
            target = self.query_one(LogView).table
        elif tab == "docs":
            target = self.query_one("#docs-viewer").query_one("Markdown")
        elif tab == "problems":
            target = self.query_one(DiagnosticsView).table
        elif tab == "git":
            target = self.query_one(GitView)
        else:
            target = self.query_one(f"#{tab}-list")
        self.call_after_refresh(self._focus_if_still_active, tab, target)

    def _focus_if_still_active(self, tab: str, target: Widget) -> None:
        """Deferred focus must not pull the user back: focusing a widget activates its tab."""
        if self.active_tab == tab and target.display and target.is_mounted:
            target.focus()

    @property
    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active or "log"

    def active_view(self) -> Widget:
        return self.query_one(f"#{self.active_tab}-view")

    def set_problem_count(self, errors: int, total: int) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        label = f"5 Problems {total}" if total else "5 Problems ✓"
        tabs.get_tab("problems").label = label  # type: ignore[assignment]
        if errors:
            tabs.get_tab("problems").add_class("-has-errors")
        else:
            tabs.get_tab("problems").remove_class("-has-errors")

    def status(self, text: str) -> None:
        self.query_one("#status-line", Static).update(text)

"""The main screen: the workspace bar, one tab per view, a status line and the key footer."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, Tab, TabbedContent, TabPane, Tabs

from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.composed import RETRY_SECONDS, composed
from techcat_tui.widgets.diagnostics_view import DiagnosticsView
from techcat_tui.widgets.documents_view import DocumentsView
from techcat_tui.widgets.git_view import GitView
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView
from techcat_tui.widgets.runs_view import RunsView
from techcat_tui.widgets.workspace_bar import WorkspaceBar

COMPACT_FOOTER_BELOW = 100  # columns
TABS = ("log", "agents", "proposed", "docs", "problems", "git", "runs")
_LATER_TITLES = {"agents": "Agents", "proposed": "Proposed", "docs": "Docs", "problems": "Problems", "git": "Git",
                 "runs": "Runs"}


class ViewTabs(TabbedContent):
    """Tabs that switch only when the user (or `MainScreen.show_tab`) asks.

    Textual also switches when a widget in a pane gains focus, and activates the first tab on mount,
    both by messages; when the user changes tabs quickly those messages can arrive after the switch
    and pull the view back. The screen's `wanted_tab` is the single source of truth. Only public API:
    the two messages are handled here first, and a stale one is stopped with `prevent_default()`, which
    keeps TabbedContent's own handler from acting on it (so textual can move within its major version).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial_activation = True

    def wanted(self) -> str | None:
        return getattr(self.screen, "wanted_tab", None)

    def pane_of(self, tab: Tab) -> str | None:
        """The id of the pane `tab` switches to (Textual prefixes tab ids; its helper for that is private)."""
        return next((pane.id for pane in self.query(TabPane) if pane.id and self.get_tab(pane) is tab), None)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tabs.parent is not self:
            return  # a Tabs inside one of the views
        tab = self.pane_of(event.tab)
        initial, self.initial_activation = self.initial_activation, False
        if initial and tab != self.wanted():
            event.stop()  # the mount-time activation arriving after the user already switched
            event.prevent_default()
            return
        if isinstance(self.screen, MainScreen) and tab is not None:
            self.screen.wanted_tab = tab

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        if event.tab_pane.id != self.wanted():
            event.stop()
            event.prevent_default()


class MainScreen(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self.wanted_tab = "log"
        self.views_mounted = False
        self._problem_count: tuple[int, int] | None = None  # (errors, total) of the newest check
        self._problem_count_pending = False

    def compose(self) -> ComposeResult:
        yield WorkspaceBar(id="bar")
        with ViewTabs(initial="log", id="tabs"):
            with TabPane("1 Log", id="log"):
                yield LogView(id="log-view")
            for number, (tab, title) in enumerate(_LATER_TITLES.items(), start=2):
                yield TabPane(f"{number} {title}", id=tab)
        yield Static("Loading the workspace…", id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LogView).table.focus()
        self._show_problem_count()

    def on_resize(self, event: Resize) -> None:
        """Below 100 columns the footer drops the space around each key, so every view's keys fit in 80."""
        self.query_one(Footer).compact = event.size.width < COMPACT_FOOTER_BELOW

    def views_ready(self) -> bool:
        """Whether the log view has all its widgets (the tab panes compose after the screen mounts)."""
        log_view = self.query(LogView)
        return bool(log_view) and composed(log_view.first())

    async def mount_views(self) -> None:
        """Mount the five views behind the log's tab, after the first screen.

        Their widgets (a roster graph, Markdown documents, two tables) would otherwise be composed and
        styled before the log could be shown. A tab chosen meanwhile is focused once its view is in.
        """
        if self.views_mounted:
            return
        views: dict[str, Widget] = {"agents": AgentsView(id="agents-view"),
                                    "proposed": ProposedView(id="proposed-view"),
                                    "docs": DocumentsView(id="docs-view"),
                                    "problems": DiagnosticsView(id="problems-view"), "git": GitView(id="git-view"),
                                    "runs": RunsView(id="runs-view")}
        for tab, view in views.items():
            await self.query_one(f"#{tab}", TabPane).mount(view)
        self.views_mounted = True
        if self.wanted_tab != "log":
            self._focus_view(self.wanted_tab)

    def show_tab(self, tab: str) -> None:
        self.wanted_tab = tab
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active != tab:
            tabs.active = tab
        self._focus_view(tab)

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id or "log"
        if pane_id != self.wanted_tab:
            event.tabbed_content.active = self.wanted_tab
            return
        self._focus_view(pane_id)

    def _focus_view(self, tab: str) -> None:
        if tab != "log" and not self.views_mounted:
            return  # `mount_views` focuses it
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
        if not self._focus_if_still_active(tab, target):  # not focusable yet (still mounting): after a repaint
            self.call_after_refresh(self._focus_if_still_active, tab, target)

    def _focus_if_still_active(self, tab: str, target: Widget) -> bool:
        """Focus `target` now, not after the next repaint, so keys pressed right after a tab switch act on
        the new view: they are matched to bindings from whatever has focus when they are handled, and
        `Widget.focus()` itself is deferred behind them. Deferred focus must not pull the user back
        (focusing a widget activates its tab), hence the checks."""
        if not (self.wanted_tab == tab and self.active_tab == tab and target.display and target.is_mounted
                and target.focusable):
            return False
        self.set_focus(target)
        return True

    @property
    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active or "log"

    def active_view(self) -> Widget | None:
        """The view of the active tab; None for a view not mounted yet (see `mount_views`)."""
        views = self.query(f"#{self.active_tab}-view")
        return views.first() if views else None

    def set_problem_count(self, errors: int, total: int) -> None:
        """Label the Problems tab with the newest check's count.

        On a busy machine a check can finish before the tab row has composed its tabs (or before this
        screen is mounted): the count is kept and shown once the tab is there."""
        self._problem_count = (errors, total)
        self._show_problem_count()

    def _show_problem_count(self) -> None:
        self._problem_count_pending = False
        if self._problem_count is None or not self.is_attached:
            return  # `on_mount` shows it
        errors, total = self._problem_count
        try:
            tab = self.query_one("#tabs", TabbedContent).get_tab("problems")
        except NoMatches:
            if not self._problem_count_pending:
                self._problem_count_pending = True
                self.set_timer(RETRY_SECONDS, self._show_problem_count)
            return
        tab.label = f"5 Problems {total}" if total else "5 Problems ✓"  # type: ignore[assignment]
        tab.set_class(bool(errors), "-has-errors")

    def status(self, text: str) -> None:
        self.query_one("#status-line", Static).update(text)

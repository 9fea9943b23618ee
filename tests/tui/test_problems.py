"""The Problems view: the core's diagnostics, jumping to their place, and fixes one key away."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from techcat_tui.screens.dialogs import ChoiceDialog
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.diagnostics_view import DiagnosticsView
from techcat_tui.widgets.documents_view import DocumentsView
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView
from tests.tui.helpers import (
    make_app,
    screen_text,
    selected_agent,
    selected_number,
    selected_task,
    wait_for,
    wait_ready,
)

SAMPLE_CODES = {"TC111", "TC108", "TC106", "TC401", "TC114", "TC113", "TC204", "TC301", "TC302", "TC402"}


async def _select(pilot: Pilot[Any], view: DiagnosticsView, code: str) -> None:
    position = next(n for n, d in enumerate(view.shown) if d.code == code)
    view.table.move_to(position)


async def test_lists_the_sample_mistakes_and_counts_them_per_file(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        view = app.screen.query_one(DiagnosticsView)
        assert {d.code for d in view.shown} == SAMPLE_CODES
        text = screen_text(app)
        assert "TASK-LOG.json 4✗ 2▲" in text  # the bar: errors and warnings per file
        assert "5 Problems 10" in text
        assert ".codex/TASK-LOG.json:255" in text


async def test_enter_jumps_to_the_entry_item_agent_or_document(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        view = app.screen.query_one(DiagnosticsView)
        await _select(pilot, view, "TC108")
        await pilot.press("enter")
        log = app.screen.query_one(LogView)
        assert selected_task(log) == "task-027"
        assert app.focused is log.table or app.focused is not None
        await pilot.press("5")
        await _select(pilot, view, "TC301")
        await pilot.press("enter")
        proposed = app.screen.query_one(ProposedView)
        assert selected_number(proposed) == 9
        await pilot.press("5")
        await _select(pilot, view, "TC204")
        await pilot.press("enter")
        agents = app.screen.query_one(AgentsView)
        assert selected_agent(agents) == "doc_writer"
        await pilot.press("5")
        await _select(pilot, view, "TC402")
        await pilot.press("enter")
        docs = app.screen.query_one(DocumentsView)
        await wait_for(pilot, lambda: docs.current is not None and docs.current.ref.label == "PRD",
                       what="the PRD to open")


async def test_f_applies_the_first_fix_and_the_problem_goes_away(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        view = app.screen.query_one(DiagnosticsView)
        await _select(pilot, view, "TC108")
        await pilot.press("f")
        await wait_for(pilot, lambda: '"date": "2025-07-14"' in (sample / "TASK-LOG.json").read_text(encoding="utf-8"),
                       what="the fixed date on disk")
        await wait_for(pilot, lambda: "TC108" not in {d.code for d in view.shown}, what="the re-check")
        assert len(view.shown) == 9


async def test_shift_f_offers_every_fix(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        view = app.screen.query_one(DiagnosticsView)
        await _select(pilot, view, "TC106")
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="the fix chooser")
        assert "summary" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: '"summery"' not in (sample / "TASK-LOG.json").read_text(encoding="utf-8"),
                       what="the renamed key")
        await wait_for(pilot, lambda: "TC106" not in {d.code for d in view.shown}, what="the re-check")


async def test_a_stale_fix_is_refused(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        view = app.screen.query_one(DiagnosticsView)
        await _select(pilot, view, "TC108")
        path = sample / "TASK-LOG.json"
        path.write_text(path.read_text(encoding="utf-8").replace("Clinic branding", "Clinic brand"), encoding="utf-8")
        await pilot.press("f")
        await wait_for(pilot, lambda: any("changed since it was checked" in str(n.message)
                                          for n in app._notifications), timeout=30, what="the refusal")
        assert '"2025/07/14"' in path.read_text(encoding="utf-8")


HOLD_LOCK = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # until the test closes stdin
lock.release()
"""


async def test_a_fix_waiting_for_the_task_log_lock_does_not_freeze_the_app(sample: Path) -> None:
    from techcat_core.tasklog.store import log_lock

    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, log_lock(sample).lock_file],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        app = make_app(sample)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_ready(pilot, app)
            await pilot.press("5")
            view = app.screen.query_one(DiagnosticsView)
            await _select(pilot, view, "TC108")
            started = time.monotonic()
            await pilot.press("f", "3")  # another process (a run, `techcat log`) holds the lock meanwhile
            await wait_for(pilot, lambda: app.screen.query_one("#tabs", TabbedContent).active == "proposed",
                           what="the tab switch")
            assert time.monotonic() - started < 5, "the app froze while the fix waited for the lock"
            path = sample / "TASK-LOG.json"
            assert '"2025/07/14"' in path.read_text(encoding="utf-8")  # not written without the lock
            assert holder.stdin is not None
            holder.stdin.close()
            await wait_for(pilot, lambda: '"date": "2025-07-14"' in path.read_text(encoding="utf-8"),
                           what="the fix once the lock is free")
            await wait_for(pilot, lambda: "TC108" not in {d.code for d in view.shown}, what="the re-check")
    finally:
        if holder.stdin is not None and not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=10)


async def test_results_that_arrive_before_the_table_is_composed_are_shown_once_it_is(sample: Path) -> None:
    """The checks can finish between the Problems view's mount and its compose on a busy machine; that was a
    NoMatches('#problems-table') crash. The results are kept and shown."""
    from textual.app import App, ComposeResult

    from techcat_core.engine import check_workspace
    from techcat_core.workspace import load_workspace

    result = check_workspace(load_workspace(sample), git=False)
    view = DiagnosticsView(id="problems-view")
    view.load(result.diagnostics, sample.parent)  # not composed yet: must not raise

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield view

    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert view.table.row_count == len(result.diagnostics) > 0
        assert view.current() == result.diagnostics[0]


async def test_a_count_that_arrives_before_the_tab_row_is_composed_labels_the_tab_once_it_is() -> None:
    """On a busy machine a check could finish before the tab row had its tabs, and `set_problem_count` raised
    NoMatches('#--content-tab-problems'), which stopped the app. The newest count is kept and shown."""
    from textual.app import App, ComposeResult

    from techcat_tui.screens.main import MainScreen

    class CountedEarly(MainScreen):
        def compose(self) -> ComposeResult:
            self.set_problem_count(2, 5)  # mounted, but no tab row yet: must not raise; the newest count wins
            yield from super().compose()

    screen = CountedEarly()
    screen.set_problem_count(1, 3)  # neither mounted nor composed: must not raise

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        def problems_tab() -> tuple[str, bool] | None:
            try:
                tab = screen.query_one("#tabs", TabbedContent).get_tab("problems")
            except NoMatches:
                return None
            return str(tab.label), tab.has_class("-has-errors")

        await wait_for(pilot, lambda: problems_tab() == ("5 Problems 5", True), what="the tab labelled 5, in red")
        screen.set_problem_count(0, 0)
        await wait_for(pilot, lambda: problems_tab() == ("5 Problems ✓", False), what="the tab labelled ✓")

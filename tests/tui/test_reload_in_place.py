"""An in-place change to TASK-LOG.json (same number of entries, same last entry) reaches the Log view.

Before: a reload kept the view's old rows whenever the count and the last row were unchanged, so a
renumbered duplicate id or a fixed date in the middle of the log stayed stale until a restart.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from techcat_tui.widgets.diagnostics_view import DiagnosticsView
from techcat_tui.widgets.log_view import LogView
from tests.gitutil import GIT_ENV
from tests.tui.helpers import make_app, wait_for, wait_ready


def _row_of(view: LogView, entry: int) -> tuple[str, str]:
    row = view.rows[entry]
    return row.task_id, row.date


async def test_ctrl_r_shows_an_editors_in_place_change(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        assert _row_of(view, 26) == ("task-027", "2025/07/14")
        path = sample / "TASK-LOG.json"
        path.write_text(path.read_text(encoding="utf-8").replace("2025/07/14", "2025-07-14"), encoding="utf-8")
        before = app.snapshot
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.snapshot is not before, what="the reload")
        assert _row_of(view, 26) == ("task-027", "2025-07-14")
        assert view.current_row() is not None


async def test_check_fix_in_another_process_reaches_the_log_view(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        assert [r.task_id for r in view.rows].count("task-030") == 2
        fixed = subprocess.run([sys.executable, "-m", "techcat_cli.main", "check", "--fix", "--no-git"],
                               cwd=sample.parent, env=GIT_ENV, capture_output=True, text=True, timeout=120)
        assert "Applied" in fixed.stderr, fixed.stderr
        before = app.snapshot
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.snapshot is not before, what="the reload")
        ids = [r.task_id for r in view.rows]
        assert ids.count("task-030") == 1 and ids[30] == "task-036"
        assert _row_of(view, 26) == ("task-027", "2025-07-14")


async def test_the_apps_own_fix_reaches_the_log_view(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        problems = app.screen.query_one(DiagnosticsView)
        problems.table.move_to(next(n for n, d in enumerate(problems.shown) if d.code == "TC111"))
        await pilot.press("f")
        await wait_for(pilot, lambda: "TC111" not in {d.code for d in problems.shown}, what="the re-check")
        view = app.screen.query_one(LogView)
        assert view.rows[30].task_id == "task-036"
        await pilot.press("1")
        assert view.rows[view.positions[-6]].task_id == "task-036"


async def test_the_watcher_shows_an_in_place_change_without_a_key(sample: Path) -> None:
    app = make_app(sample, watch=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await wait_for(pilot, lambda: app._watch_stop is not None, what="the watcher")
        view = app.screen.query_one(LogView)
        path = sample / "TASK-LOG.json"
        path.write_text(path.read_text(encoding="utf-8").replace("Accessibility pass", "A11y pass"),
                        encoding="utf-8")
        await wait_for(pilot, lambda: view.rows[25].summary.startswith("A11y pass"), timeout=30,
                       what="the changed summary in the view")

"""Toasts go within seconds and do not pile up; Ctrl+R's toast comes once the workspace is read again."""

from __future__ import annotations

from pathlib import Path

from techcat_tui.app import TOAST_SECONDS
from tests.tui.helpers import make_app, wait_for, wait_ready


async def test_no_toast_stays_longer_than_its_severity_allows(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        app.notify("a long info", timeout=300)
        app.notify("a long warning", severity="warning", timeout=600)
        app.notify("a short error", severity="error", timeout=1)
        await pilot.pause()
        timeouts = {str(n.message): n.timeout for n in app._notifications}
        assert timeouts["a long info"] == TOAST_SECONDS["information"] == 3.0
        assert timeouts["a long warning"] == TOAST_SECONDS["warning"]
        assert timeouts["a short error"] == 1


async def test_the_same_toast_is_not_stacked_and_reload_reports_what_it_read(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        before = app.snapshot
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.snapshot is not before, what="the first reload")
        second = app.snapshot
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.snapshot is not second, what="the second reload")
        await pilot.pause()
        reloads = [n for n in app._notifications if "Reloaded" in str(n.message)]
        assert [str(n.message) for n in reloads] == ["Reloaded the workspace: 36 log entries"]

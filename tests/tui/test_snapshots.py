"""Snapshots of the main views on the sample workspace, in 80x24 and 160x48 (pytest-textual-snapshot).

Update them after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`, then
look at the SVGs under tests/tui/__snapshots__/ before committing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from techcat_tui.widgets.documents_view import DocumentsView
from techcat_tui.widgets.log_view import LogView
from tests.tui.helpers import copy_sample, make_app, screen_text, wait_for, wait_ready
from tests.waiting import DEADLINE

SIZES = [(80, 24), (160, 48)]
VIEWS = {"log": "1", "agents": "2", "proposed": "3", "docs": "4", "problems": "5", "git": "6"}
FOCUSED = {"log": ("log-table",), "agents": ("agents-list",), "proposed": ("proposed-list",), "docs": (None,),
           "problems": ("problems-table",), "git": ("git-view",)}


async def settled(pilot: Pilot[Any], measure: Callable[[], object], rounds: int = 3, what: str = "the view",
                  timeout: float = DEADLINE) -> None:
    """Wait until `measure()` gives the same value `rounds` times in a row, 0.1 s apart; fail if it never
    settles within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last, same = measure(), 0
    while same < rounds:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never settled within {timeout:g} s")
        await pilot.pause(0.1)
        current = measure()
        same = same + 1 if current == last else 0
        last = current


def picture(app: Any) -> tuple[tuple[Any, ...], ...]:
    """What the screen draws, styles included (the focus shows in colours, not in the text)."""
    return tuple(tuple(strip) for strip in app.screen._compositor.render_strips())


@pytest.fixture
def home_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample as ~/pawprint, so the path in the top bar is the same on every machine."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return copy_sample(tmp_path / "pawprint")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", list(VIEWS))
def test_view_snapshot(view: str, size: tuple[int, int], home_sample: Path, snap_compare: Callable[..., bool]) -> None:
    app = make_app(home_sample, git=True)

    async def settle(pilot: Pilot[Any]) -> None:
        pilot.app.animation_level = "none"
        await wait_ready(pilot, app)
        await pilot.press(VIEWS[view])
        if view == "log" and size[0] >= 100:
            await wait_for(pilot, lambda: "--paw-teal-600" in screen_text(app), what="the file preview")
        if view == "docs":
            docs = app.screen.query_one(DocumentsView)
            await wait_for(pilot, lambda: docs.current is not None, what="the PRD")
            await wait_for(pilot, lambda: "Constraints" in screen_text(app), what="the table of contents")
            await settled(pilot, lambda: len(docs.query("*")), what="the PRD's blocks")  # mounted in batches
        if view == "git":
            await wait_for(pilot, lambda: "git init" in screen_text(app), what="the git status")
        assert app.screen.query_one(LogView).current_row() is not None
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id in FOCUSED[view], what="focus")
        await app.workers.wait_for_complete()
        # the footer and scroll bars catch up with the focus change: wait until the drawn screen stops changing
        await settled(pilot, lambda: picture(app), what="the screen after the focus change")
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(app, terminal_size=size, run_before=settle)

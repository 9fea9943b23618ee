"""The review dialog (issue 13 §4): each changed file's diff, approve or discard, keys in the footer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from techcat_core.runtime.changes import ChangeSet, FileChange, ReviewDecision
from techcat_tui.screens.review_dialog import ReviewDialog, review_in_dialog
from techcat_tui.widgets.diff_view import DiffView
from tests.tui.helpers import wait_for

CSS = Path(__file__).resolve().parents[2] / "techcat_tui" / "techcat.tcss"

CHANGES = ChangeSet((
    FileChange("docs/notes.md", b"# Notes\n\nOld line.\n", b"# Notes\n\nNew line.\nAnother line.\n"),
    FileChange("docs/new.md", None, b"# Brand new\n"),
    FileChange("docs/old.md", b"gone\n", None),
))


class ReviewHost(App[None]):
    """A bare app with the TechCat styles: the dialog is tested on its own, with a change set built here."""

    CSS_PATH = str(CSS)

    def compose(self) -> ComposeResult:
        yield Static("the run screen behind the dialog")


def screen_text(app: App[Any]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def diff_text(app: App[Any]) -> str:
    return "\n".join(app.screen.query_one("#review-diff", DiffView).lines)


async def start_review(pilot: Pilot[Any], changes: ChangeSet = CHANGES) -> asyncio.Task[ReviewDecision]:
    task = asyncio.ensure_future(review_in_dialog(pilot.app, "doc_writer", changes))
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewDialog), what="the review dialog")
    await wait_for(pilot, lambda: diff_text(pilot.app) != "", what="the first diff")
    return task


async def test_the_dialog_shows_each_files_diff_and_approve_resolves_the_run() -> None:
    app = ReviewHost()
    async with app.run_test(size=(120, 36)) as pilot:
        decision = await start_review(pilot)
        text = screen_text(app)
        assert "Review doc_writer's changes: 3 files" in text
        assert "M docs/notes.md  +2 -1" in text and "A docs/new.md  +1 -0" in text and "D docs/old.md  +0 -1" in text
        assert diff_text(app).splitlines() == ["--- a/docs/notes.md", "+++ b/docs/notes.md", "@@ -1,3 +1,4 @@",
                                               " # Notes", " ", "-Old line.", "+New line.", "+Another line."]
        await pilot.press("j")
        await wait_for(pilot, lambda: "+# Brand new" in diff_text(app), what="the second file's diff")
        assert "/dev/null" in diff_text(app) and "Old line." not in diff_text(app)
        await pilot.press("down")
        await wait_for(pilot, lambda: "-gone" in diff_text(app), what="the deleted file's diff")
        await pilot.press("k")
        await wait_for(pilot, lambda: "+# Brand new" in diff_text(app), what="back to the second file")
        footer = screen_text(app).splitlines()[-1]
        assert "a Approve" in footer and "d Discard" in footer
        assert not decision.done()
        await pilot.press("a")
        assert await asyncio.wait_for(decision, timeout=10) == "approve"
        assert not isinstance(app.screen, ReviewDialog)


async def test_discard_resolves_discard_and_escape_decides_nothing() -> None:
    app = ReviewHost()
    async with app.run_test(size=(100, 30)) as pilot:
        decision = await start_review(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewDialog) and not decision.done()
        assert any("discard (d) drops them" in str(n.message) for n in app._notifications)
        await pilot.press("d")
        assert await asyncio.wait_for(decision, timeout=10) == "discard"


async def test_the_buttons_decide_too() -> None:
    app = ReviewHost()
    async with app.run_test(size=(100, 30)) as pilot:
        decision = await start_review(pilot)
        await pilot.click("#review-approve")
        assert await asyncio.wait_for(decision, timeout=10) == "approve"


async def test_a_long_diff_scrolls_and_markup_in_it_is_shown_as_written() -> None:
    before = "".join(f"line {n}\n" for n in range(400)).encode()
    after = before.replace(b"line ", b"row ").replace(b"row 350\n", b"[b]not bold[/b] line 350\n")
    app = ReviewHost()
    async with app.run_test(size=(100, 30)) as pilot:
        decision = await start_review(pilot, ChangeSet((FileChange("big.txt", before, after),)))
        diff = app.screen.query_one("#review-diff", DiffView)
        assert "+[b]not bold[/b] line 350" in diff_text(app)
        assert diff.scroll_y == 0
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: diff.scroll_y > 0, what="the diff scrolled")
        await pilot.press("a")
        assert await asyncio.wait_for(decision, timeout=10) == "approve"


async def test_a_cancelled_review_closes_the_dialog() -> None:
    app = ReviewHost()
    async with app.run_test(size=(100, 30)) as pilot:
        decision = await start_review(pilot)
        decision.cancel()
        await wait_for(pilot, lambda: not isinstance(app.screen, ReviewDialog), what="the dialog closed")
        assert decision.cancelled()
        assert not app.screen.query(OptionList)


def test_review_dialog_snapshot(snap_compare: Callable[..., bool]) -> None:
    async def open_dialog(pilot: Pilot[Any]) -> None:
        pilot.app.animation_level = "none"
        await start_review(pilot)
        await pilot.pause()

    assert snap_compare(ReviewHost(), terminal_size=(100, 30), run_before=open_dialog)


async def test_a_huge_diff_opens_at_once_and_control_characters_are_shown_not_sent() -> None:
    """100k diff lines (a generated file rewritten) open in well under the seconds a line-by-line log took;
    an escape sequence in a model's file is shown as ␛, never sent to the terminal."""
    import time

    before = "".join(f"line {n}\n" for n in range(50_000)).encode()
    after = before.replace(b"line", b"row").replace(b"row 7\n", b"\x1b[31mred\x1b[0m\tx\n")
    app = ReviewHost()
    async with app.run_test(size=(100, 30)) as pilot:
        started = time.perf_counter()
        decision = await start_review(pilot, ChangeSet((FileChange("gen.txt", before, after),)))
        assert time.perf_counter() - started < 8.0
        lines = app.screen.query_one("#review-diff", DiffView).lines
        assert len(lines) == 100_003 and "+␛[31mred␛[0m    x" in lines
        assert "\x1b" not in screen_text(app)
        await pilot.press("d")
        assert await asyncio.wait_for(decision, timeout=10) == "discard"

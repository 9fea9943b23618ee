"""The proposed-tasks view writes PROPOSED-TASKS.md through the core: queue, tick, reopen, add."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, TextArea

from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.widgets.proposed_view import ProposedView
from tests.tui.helpers import make_app, screen_text, selected_number, wait_for, wait_ready


def _line(codex: Path, text: str) -> str:
    return next(line for line in (codex / "PROPOSED-TASKS.md").read_text(encoding="utf-8").splitlines()
                if text in line)


async def test_queue_tick_and_reopen_write_the_file(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3")
        view = app.screen.query_one(ProposedView)
        assert "4 done" in screen_text(app) and "2 queued" in screen_text(app)
        for _ in range(6):
            await pilot.press("down")  # item 7: the end-to-end test for the DST change
        assert selected_number(view) == 7
        await pilot.press("q")
        await wait_for(pilot, lambda: _line(sample, "daylight-saving").startswith("- [>]"), what="the queued mark")
        await wait_for(pilot, lambda: view.items[6].state == ">", what="the view to follow")
        assert selected_number(view) == 7
        await pilot.press("q")
        await wait_for(pilot, lambda: _line(sample, "daylight-saving").startswith("- [ ]"), what="un-queueing")
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen.query("#prompt-input"), what="the tick dialog")
        prompt = app.screen.query_one("#prompt-input")
        assert getattr(prompt, "value", "") == "task-031"  # qa_engineer's newest task is suggested
        await pilot.press("enter")
        await wait_for(pilot, lambda: _line(sample, "daylight-saving").startswith("- [x]"), what="the tick")
        assert "(task-031)" in _line(sample, "daylight-saving")
        await wait_for(pilot, lambda: view.items[6].state == "x", what="the view to follow")
        await pilot.press("o")
        await wait_for(pilot, lambda: _line(sample, "daylight-saving").startswith("- [ ]"), what="reopening")


async def test_add_a_new_item_with_an_agent(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", "n", *"Write the privacy notice")
        app.screen.query_one("#item-agent", Select).value = "doc_writer"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "- [ ] @doc_writer Write the privacy notice" in
                       (sample / "PROPOSED-TASKS.md").read_text(encoding="utf-8"), what="the new line")
        await wait_for(pilot, lambda: "Write the privacy notice" in screen_text(app), what="the new item on screen")


async def test_a_changed_item_is_not_overwritten(sample: Path) -> None:
    app = make_app(sample)  # no watcher: the view still shows the old text
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", *["down"] * 6)
        path = sample / "PROPOSED-TASKS.md"
        path.write_text(path.read_text(encoding="utf-8").replace("daylight-saving change", "DST change"),
                        encoding="utf-8")
        await pilot.press("q")
        await wait_for(pilot, lambda: "DST change" in screen_text(app), what="the reload after the refusal")
        assert _line(sample, "DST change").startswith("- [ ]")


async def test_run_opens_the_dialog_prefilled_from_the_item(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", *["down"] * 7, "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        dialog = app.screen
        assert dialog.query_one("#run-agent", Select).value == "devops_engineer"
        assert "Nightly Postgres backups" in dialog.query_one("#run-task", TextArea).text
        assert "dry run" in screen_text(app)  # the sample's provider: nothing would be sent
        await pilot.press("escape")
        assert not isinstance(app.screen, RunDialog)

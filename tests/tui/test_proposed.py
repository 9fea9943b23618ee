"""The proposed-tasks view writes PROPOSED-TASKS.md through the core: queue, tick, reopen, add."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Select, TextArea

from techcat_tui.app import TechcatApp
from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView
from tests.tui.helpers import make_app, screen_text, selected_number, selected_task, wait_for, wait_ready
from tests.wsbuilder import make_workspace


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


FOUR_OPEN = """# Proposed tasks

- [ ] @planner Plan the next milestone
- [ ] @frontend_specialist Build the settings page
- [ ] @frontend_specialist Build the profile page
- [ ] @planner Plan the launch
"""


def burst(app: TechcatApp, *keys: str) -> None:
    """Keys arriving together, as a fast typist, a paste or a browser connection sends them: no pause (and
    no repaint) between them, unlike `pilot.press`, which waits for the app to go idle after each key."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_right_after_a_tab_switch_act_on_the_new_view(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, proposed=FOUR_OPEN)
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        burst(app, "3", "down", "down", "q")
        await wait_for(pilot, lambda: "- [>] @frontend_specialist Build the profile page" in
                       (codex / "PROPOSED-TASKS.md").read_text(encoding="utf-8"), what="item 3 queued")
        assert (codex / "PROPOSED-TASKS.md").read_text(encoding="utf-8").count("[>]") == 1
        view = app.screen.query_one(ProposedView)
        await wait_for(pilot, lambda: selected_number(view) == 3 and app.screen.focused is
                       view.query_one("#proposed-list"), what="item 3 selected, with focus")
        log = app.screen.query_one(LogView)
        assert selected_task(log) == "task-002"  # the log's cursor did not move
        burst(app, "1", "up", "2", "3", "up")  # and back, and across two tabs at once
        await wait_for(pilot, lambda: selected_number(view) == 2 and app.screen.focused is
                       view.query_one("#proposed-list"), what="the proposed cursor to move up, with focus")
        assert selected_task(log) == "task-001"


async def test_the_checklist_actions_are_the_core_use_cases(sample: Path) -> None:
    """The same rules as `techcat propose` and MCP's change_task (issue 15): an item naming an agent the roster
    lacks is refused with the roster's names, nothing is written; a done item cannot be queued."""
    from tests.tui.helpers import notified

    before = (sample / "PROPOSED-TASKS.md").read_text(encoding="utf-8")
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", "n", *"Ask @ghost_writer for the privacy notice")
        await pilot.press("enter")
        await wait_for(pilot, lambda: notified(app, "ghost_writer"), what="the refusal")
        assert (sample / "PROPOSED-TASKS.md").read_text(encoding="utf-8") == before
        view = app.screen.query_one(ProposedView)
        await pilot.press(*["down"] * 6)
        assert selected_number(view) == 7
        await pilot.press("q")
        await wait_for(pilot, lambda: notified(app, "Item 7 queued"), what="the queue")
        await pilot.press("q")
        await wait_for(pilot, lambda: notified(app, "Item 7 unqueued"), what="the unqueue")
        assert _line(sample, "daylight-saving").startswith("- [ ]")

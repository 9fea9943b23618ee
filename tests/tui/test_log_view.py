"""The task log view, driven as a user would: filters, sort, detail pane, copy, mouse, small terminals."""

from __future__ import annotations

import json
from pathlib import Path

from techcat_tui.widgets.log_view import LogView
from tests.tui.helpers import make_app, notified, screen_text, selected_task, wait_for, wait_ready


async def test_filter_as_you_type_then_by_agent_and_date(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        assert "36 entries" in screen_text(app)
        assert selected_task(view) == "task-035"  # newest selected
        await pilot.press("slash", *"booking")
        await wait_for(pilot, lambda: "shown" in screen_text(app), what="the filter")
        shown = [view.rows[i] for i in view.positions]
        assert shown and all("booking" in row.haystack for row in shown)
        assert len(shown) < 36
        await pilot.press("escape", "ctrl+l")
        assert len(view.positions) == 36
        await pilot.press("a", "q", "enter")  # the agent picker: type to find qa_engineer
        await wait_for(pilot, lambda: len(view.positions) < 36, what="the agent filter")
        assert {view.rows[i].agent for i in view.positions} == {"qa_engineer"}
        await pilot.press("D", *"2025-07-1")
        await wait_for(pilot, lambda: all(view.rows[i].date.startswith("2025-07-1") for i in view.positions),
                       what="the date filter")
        assert [view.rows[i].task_id for i in view.positions] == ["task-031"]  # task-027 writes 2025/07/14
        await pilot.press("escape", "ctrl+l")
        assert len(view.positions) == 36


async def test_bad_date_filter_is_explained_not_fatal(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("D", *"July")
        await wait_for(pilot, lambda: "use YYYY, YYYY-MM" in screen_text(app), what="the date-filter message")
        assert len(app.screen.query_one(LogView).positions) == 36


async def test_sort_cycles_columns_and_reverses(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        await pilot.press("s", "s")  # file order → id → date
        assert view.sort_key == "date"
        dates = [view.rows[i].date for i in view.positions]
        assert dates == sorted(dates)
        await pilot.press("S")
        assert view.rows[view.positions[0]].date == max(dates)
        assert "sorted by date ↓" in screen_text(app)
        assert selected_task(view) == "task-035"  # selection kept


async def test_detail_pane_shows_the_entry_and_previews_its_files(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await wait_for(pilot, lambda: "--paw-teal-600" in screen_text(app), what="the file preview")
        text = screen_text(app)
        assert "Clinic branding" in text and "apps/web/src/styles/tokens.css" in text
        await pilot.press("slash", *"summery", "enter")  # task-029 misspells summary: shown as an extra field
        await wait_for(pilot, lambda: "not a task-log field" in screen_text(app), what="the extra field")
        await pilot.press("ctrl+l", "slash", *"secrets", "enter")
        await wait_for(pilot, lambda: "not shown: the path escapes the repository" in screen_text(app),
                       what="the refused preview")


async def test_copy_puts_the_entry_on_the_clipboard(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("y")
        copied = json.loads(app.clipboard)
        assert copied["task_id"] == "task-035"
        assert copied["output_files"] == ["apps/web/src/styles/tokens.css", "apps/web/src/components/Logo.tsx"]
        await wait_for(pilot, lambda: notified(app, "Copied task-035"), what="the copy notice")


async def test_mouse_selects_rows_and_header_clicks_sort(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        await pilot.press("home")
        await pilot.click("#log-table", offset=(3, 3))  # header is line 0: line 3 is the third row
        assert selected_task(view) == "task-003"
        await pilot.click("#log-table", offset=(12, 0))  # the Date column title
        assert view.sort_key == "date"


async def test_small_terminal_hides_details_until_asked(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        detail = app.screen.query_one("#log-detail")
        assert not detail.display
        assert "task-035" in screen_text(app)
        await pilot.press("enter")
        assert detail.display
        await wait_for(pilot, lambda: "Clinic branding" in screen_text(app), what="the detail pane")
        await pilot.press("v")
        assert not detail.display


async def test_editor_key_explains_when_the_terminal_cannot_hand_over(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: notified(app, "TASK-LOG.json:335 yourself"), what="the editor notice")

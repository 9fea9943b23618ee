"""Live refresh: changes made by other processes show up without losing the selection or scroll position."""

from __future__ import annotations

from pathlib import Path

from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView
from tests.gitutil import techcat
from tests.tui.helpers import make_app, screen_text, selected_number, selected_task, wait_for, wait_ready


async def test_an_append_by_another_process_shows_the_new_row(sample: Path) -> None:
    app = make_app(sample, watch=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        await pilot.press("up", "up")
        selected = view.current_row()
        assert selected is not None and selected.task_id == "task-033"
        await wait_for(pilot, lambda: app.watching, what="the watcher in place")
        result = techcat("log", "--agent", "qa_engineer", "--summary", "Checked the waiting list end to end",
                         "--files", "apps/web/e2e/booking.spec.ts", cwd=sample.parent)
        assert result.returncode == 0, result.stderr
        assert "task-036" in result.stdout
        await wait_for(pilot, lambda: "Checked the waiting list" in screen_text(app), timeout=10,
                       what="the appended row on screen")
        assert len(view.rows) == 37
        assert selected_task(view) == "task-033"  # selection kept
        assert "new log entry: task-036" in screen_text(app)
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.workspace.task_log is not None
                       and len(app.snapshot.workspace.task_log.entries) == 37, what="the full re-read after the append")


async def test_an_external_edit_of_the_checklist_refreshes_the_view(sample: Path) -> None:
    app = make_app(sample, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", "down", "down")
        view = app.screen.query_one(ProposedView)
        assert selected_number(view) == 3
        path = sample / "PROPOSED-TASKS.md"
        path.write_text(path.read_text(encoding="utf-8") + "- [ ] @planner Review the launch checklist\n",
                        encoding="utf-8")
        await wait_for(pilot, lambda: "Review the launch checklist" in screen_text(app), what="the new item")
        assert selected_number(view) == 3
        assert "PROPOSED-TASKS.md changed on disk" in screen_text(app)


async def test_a_rewritten_log_is_reloaded_in_full(sample: Path) -> None:
    app = make_app(sample, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        path = sample / "TASK-LOG.json"
        path.write_text(path.read_text(encoding="utf-8").replace("Clinic branding", "Clinic rebranding"),
                        encoding="utf-8")
        await wait_for(pilot, lambda: "Clinic rebranding" in screen_text(app), what="the edited entry")
        assert len(app.screen.query_one(LogView).rows) == 36


async def test_the_workspace_removed_and_made_again_does_not_take_the_app_down(sample: Path) -> None:
    """Deleting .codex/ (a branch switch, `git clean`) changes the documents twice in quick succession: the
    Docs view's tabs were re-added under the ids still held by the tabs being removed (DuplicateIds, a crash)."""
    import shutil

    app = make_app(sample, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        shutil.rmtree(sample)
        await wait_for(pilot, lambda: "TASK-LOG.json is missing" in screen_text(app), what="the missing log")
        await wait_for(pilot, lambda: app.watching, what="the watcher still in place")
        sample.mkdir()
        (sample / "TASK-LOG.json").write_text("[]\n", encoding="utf-8")
        await wait_for(pilot, lambda: "The task log is empty" in screen_text(app), what="the new, empty log")
        assert app.is_running

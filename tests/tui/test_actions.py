"""The view actions the other tests do not drive, each by its key, asserting what the user gets.

Under `run_test` the app cannot hand the terminal to $EDITOR (the headless driver cannot suspend),
so the edit actions are asserted through their fallback, which names the exact file and line; the
real hand-over is tested in a pseudo-terminal (test_terminal.py).
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import MarkdownViewer, Select
from textual.widgets._markdown import MarkdownTableOfContents

from techcat_core.tasklog.store import append_entry
from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.screens.welcome import WelcomeScreen
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.diagnostics_view import DiagnosticsView
from techcat_tui.widgets.documents_view import DocumentsView
from techcat_tui.widgets.log_view import LogView
from tests.gitutil import commit_all, init_repo
from tests.tui.helpers import make_app, notified, screen_text, selected_agent, wait_for, wait_ready
from tests.wsbuilder import entry, make_workspace


def editor_fallback(path: Path, line: int | None) -> str:
    where = f"{path}:{line}" if line is not None else str(path)
    return f"This terminal (or the browser) cannot hand over to an editor; open {where} yourself."


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of `path` that starts with `text`."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                if line.startswith(text))


async def test_agents_r_e_p_run_edit_and_open_the_prompt(sample: Path) -> None:
    codex = sample.resolve()
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("2")
        view = app.screen.query_one(AgentsView)
        assert selected_agent(view) == "planner"
        await pilot.press("e")
        expected = editor_fallback(codex / "AGENTS.md", line_of(codex / "AGENTS.md", "## Agent: `planner`"))
        await wait_for(pilot, lambda: notified(app, expected), what="the AGENTS.md hand-over at planner's section")
        await pilot.press("p")
        expected = editor_fallback(codex / "prompts" / "planner.md", 1)
        await wait_for(pilot, lambda: notified(app, expected), what="the prompt hand-over")
        await pilot.press(*["down"] * 5)
        assert selected_agent(view) == "doc_writer"
        await pilot.press("p")
        await wait_for(pilot, lambda: notified(app, "doc_writer has no prompt file (prompts/doc_writer.md)."),
                       what="the missing prompt")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        assert app.screen.query_one("#run-agent", Select).value == "doc_writer"
        assert app.focused is app.screen.query_one("#run-task")  # the agent is chosen: type the task


async def test_problems_e_y_w_edit_copy_and_hide_notes(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=[entry(1), entry(2, date="2025/07/02"), entry(4)]).resolve()
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("5")
        view = app.screen.query_one(DiagnosticsView)
        assert [d.code for d in view.shown] == ["TC108", "TC112"]  # an error and a note (the id gap)
        assert view.current() is view.shown[0]
        log = codex / "TASK-LOG.json"
        date_line = line_of(log, '    "date": "2025/07/02"')
        await pilot.press("e")
        await wait_for(pilot, lambda: notified(app, editor_fallback(log, date_line)), what="the hand-over")
        await pilot.press("y")
        assert app.clipboard == (f".codex/TASK-LOG.json:{date_line}:13: TC108 date \"2025/07/02\" is not YYYY-MM-DD; "
                                 "did you mean 2025-07-02?")
        assert "TC112" in screen_text(app)
        await pilot.press("w")
        assert [d.code for d in view.shown] == ["TC108"]
        text = screen_text(app)
        assert "(notes hidden: w)" in text and "TC112" not in text
        await pilot.press("w")
        assert [d.code for d in view.shown] == ["TC108", "TC112"] and "TC112" in screen_text(app)


async def test_docs_bracket_goes_back_and_t_toggles_the_contents(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4")
        view = app.screen.query_one(DocumentsView)
        await wait_for(pilot, lambda: view.current is not None and view.current.ref.label == "PRD", what="the PRD")
        viewer = view.query_one("#docs-viewer", MarkdownViewer)
        contents = viewer.query_one(MarkdownTableOfContents)
        await wait_for(pilot, lambda: "Constraints" in screen_text(app), what="the table of contents")
        assert contents.display and contents.region.width > 0
        await pilot.press("T")
        await pilot.pause()
        assert not viewer.show_table_of_contents and not contents.display
        assert contents.region.width == 0  # no longer on screen: the document takes the width
        await pilot.press("T")
        await pilot.pause()
        assert viewer.show_table_of_contents and contents.region.width > 0
        await pilot.press("left_square_bracket")  # from the first document back round to the last
        await wait_for(pilot, lambda: view.current is not None and view.current.ref.label == "task_logger.md",
                       what="the previous document")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: view.current is not None and view.current.ref.label == "qa_engineer.md",
                       what="the one before")


async def test_git_g_reads_the_status_again(sample: Path) -> None:
    root = sample.parent
    init_repo(root)
    commit_all(root, "Pawprint so far")
    app = make_app(sample, git=True)  # no watcher: only g refreshes
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("6")
        await wait_for(pilot, lambda: ".codex/ changes (0)" in screen_text(app), what="the clean status")
        proposed = sample / "PROPOSED-TASKS.md"
        proposed.write_text(proposed.read_text(encoding="utf-8") + "- [ ] @planner Plan the retro\n", encoding="utf-8")
        await app.workers.wait_for_complete()  # whatever the app had under way is done; nothing watches the file
        await pilot.pause()
        assert ".codex/ changes (0)" in screen_text(app)
        await pilot.press("g")
        await wait_for(pilot, lambda: ".codex/ changes (1)" in screen_text(app), what="the refreshed status")
        assert "M .codex/PROPOSED-TASKS.md" in screen_text(app)


async def test_proposed_e_y_edit_and_copy_the_item(sample: Path) -> None:
    codex = sample.resolve()
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", "down")  # item 2
        await pilot.press("e")
        path = codex / "PROPOSED-TASKS.md"
        line = line_of(path, "- [x] @backend_specialist Email reminders")
        await wait_for(pilot, lambda: notified(app, editor_fallback(path, line)), what="the hand-over at item 2")
        await pilot.press("y")
        assert app.clipboard == "@backend_specialist Email reminders 24 hours before each appointment (task-019)"


async def test_ctrl_r_reloads_what_changed_on_disk(sample: Path) -> None:
    app = make_app(sample)  # no watcher: the change shows only after ctrl+r
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        assert len(view.rows) == 36
        append_entry(sample, "planner", "Plan the retro", [])
        await app.workers.wait_for_complete()  # whatever the app had under way is done; nothing watches the file
        await pilot.pause()
        assert len(view.rows) == 36
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(view.rows) == 37, what="the reloaded log")
        assert notified(app, "Reloaded the workspace")
        assert view.rows[-1].summary == "Plan the retro" and view.rows[-1].agent == "planner"


async def test_q_on_the_welcome_screen_quits(tmp_path: Path) -> None:
    app = make_app(None, start_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), what="the welcome screen")
        assert app.return_code is None
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to exit")
    assert app.return_code == 0 and not (tmp_path / ".codex").exists()

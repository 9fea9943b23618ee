"""Agent runs from the app against the local OpenAI-compatible test server (no real model is called)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select, SelectionList, Static

from techcat_tui.screens.commit_dialog import CommitDialog
from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.screens.run_screen import RunScreen
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.stream_log import StreamLog
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import commit_all, git, init_repo
from tests.tui.helpers import make_app, notified, screen_text, selected_task, wait_for, wait_ready
from tests.wsbuilder import AGENTS_MD, entry, make_workspace

ROSTER = AGENTS_MD + """
## Agent: `doc_writer`

- **Role:** Technical Writer
- **Goal:** Keep the notes current.
- **Output:** docs/notes.md

Once complete, invoke `task_logger`.
"""

CHAINED_ROSTER = AGENTS_MD + """
## Agent: `doc_writer`

- **Role:** Technical Writer
- **Goal:** Keep the notes current.
- **Output:** docs/notes.md

Once complete, invoke `reviewer`.

## Agent: `reviewer`

- **Role:** Reviewer
- **Goal:** Review what the writer wrote.
- **Output:** docs/review.md

Once complete, invoke `task_logger`.
"""

REPLY = "# Release notes\n\nWrote the release notes for the booking flow.\n\n- Booking\n- Reminders\n"


@pytest.fixture
def workspace(tmp_path: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    return make_workspace(tmp_path, agents=ROSTER, log=[entry(1), entry(2)])


async def test_a_run_streams_its_reply_and_selects_the_new_entry(workspace: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Behaviour(reply=REPLY, chunk_delay=0.02))
    app = make_app(workspace, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        assert "openai-compatible" in screen_text(app)
        app.screen.query_one("#run-agent", Select).value = "doc_writer"
        app.screen.query_one("#run-task").focus()
        await pilot.press(*"Write the release notes")
        await pilot.press("ctrl+s")  # the alternative to ctrl+enter, which tmux swallows
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), what="the run screen")
        await wait_for(pilot, lambda: "Wrote the release notes" in screen_text(app), what="streamed text")
        run = app.screen
        assert isinstance(run, RunScreen)
        await wait_for(pilot, lambda: run.finished, what="the end of the run")
        assert run.outcome == "finished"
        assert "Logged task-003" in screen_text(app)
        assert (workspace.parent / "docs" / "notes.md").read_text(encoding="utf-8") == REPLY
        log = json.loads((workspace / "TASK-LOG.json").read_text(encoding="utf-8"))
        assert log[-1]["task_id"] == "task-003" and log[-1]["output_files"] == ["docs/notes.md"]
        request = fake_openai.requests[-1]
        assert request.body["stream"] is True
        await pilot.press("escape")
        view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: selected_task(view) == "task-003",
                       what="the new entry selected in the log")
        await wait_for(pilot, lambda: "Wrote the release notes" in screen_text(app),
                       what="the new entry's summary drawn in the log")  # selected first, drawn on the next refresh


async def test_escape_cancels_a_run_and_nothing_is_written(workspace: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Behaviour(reply="x" * 2000, chunk_delay=0.05))
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write a very long document", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.text_chars > 0,
                       what="the stream to start")
        await pilot.press("escape")
        run = app.screen
        assert isinstance(run, RunScreen)
        await wait_for(pilot, lambda: run.finished, what="the cancellation")
        assert run.outcome == "cancelled"
        assert "nothing was written" in screen_text(app)
        assert not (workspace.parent / "docs" / "notes.md").exists()
        assert len(json.loads((workspace / "TASK-LOG.json").read_text(encoding="utf-8"))) == 2


async def test_dry_run_shows_what_would_be_sent(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("planner", "Plan v1.1", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the dry run")
        run = app.screen
        assert isinstance(run, RunScreen) and run.outcome == "dry run"
        assert "nothing was sent or written" in screen_text(app)


async def test_an_empty_task_is_refused_in_the_dialog(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("planner", "", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RunDialog)
        assert "Describe the task" in screen_text(app)


async def test_commit_the_runs_files_with_a_prefilled_message(workspace: Path, fake_openai: FakeOpenAI) -> None:
    root = workspace.parent
    init_repo(root)
    commit_all(root, "start")
    (root / "scratch.txt").write_text("not part of the run\n", encoding="utf-8")
    fake_openai.queue(REPLY)
    app = make_app(workspace, git=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CommitDialog), what="the commit dialog")
        dialog = app.screen
        assert sorted(dialog.query_one("#commit-files", SelectionList).selected) == [".codex/TASK-LOG.json",
                                                                                     "docs/notes.md"]
        message = dialog.query_one("#commit-message", Input).value
        assert message == "task-003 (doc_writer): Release notes"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: git(root, "log", "-1", "--format=%s").strip() == message, what="the commit")
        assert sorted(git(root, "show", "--name-only", "--format=", "HEAD").split()) == [".codex/TASK-LOG.json",
                                                                                       "docs/notes.md"]
        assert "scratch.txt" in git(root, "status", "--porcelain")


async def test_running_a_proposed_item_ticks_it_with_the_new_task_id(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    codex = make_workspace(tmp_path, agents=ROSTER, log=[entry(1), entry(2)],
                           proposed="# Proposed tasks\n\n- [>] @doc_writer Write the release notes\n")
    fake_openai.queue(REPLY)
    app = make_app(codex, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("3", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        proposed = (codex / "PROPOSED-TASKS.md").read_text(encoding="utf-8")
        assert "- [x] @doc_writer Write the release notes (task-003)" in proposed
        await pilot.press("escape", "3")
        await wait_for(pilot, lambda: "0 proposed · 0 queued · 1 done" in screen_text(app), what="the ticked item")


async def test_a_long_streamed_line_wraps_at_80x24(workspace: Path, fake_openai: FakeOpenAI) -> None:
    words = [f"w{n:03d}" for n in range(60)]  # 299 characters on one line: four rows at 80 columns
    fake_openai.queue(Behaviour(reply="# Notes\n\n" + " ".join(words) + "\n", chunk_delay=0.005))
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        await pilot.pause()
        text = screen_text(app)
        assert all(word in text for word in words), [word for word in words if word not in text]
        output = app.screen.query_one("#run-output", StreamLog)
        assert " ".join(words) in output.text  # one line, as sent
        rows = [row for row in output.rows if "w0" in row]
        assert len(rows) >= 4 and all(len(row.rstrip()) <= output.scrollable_content_region.width for row in rows)
        assert "[doc_writer · openai-compatible" in text and "\n# Notes" in "\n" + "\n".join(output.rows)


async def test_a_run_shows_its_chained_agents_and_what_each_wrote(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    codex = make_workspace(tmp_path, agents=CHAINED_ROSTER, log=[entry(1), entry(2)])
    review = "# Review\n\nReviewed the release notes: clear and complete.\n"
    fake_openai.queue(REPLY, review)
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await wait_for(pilot, lambda: app.screen.query("#run-chain"), what="the dialog's controls")
        assert app.screen.query_one("#run-chain", Checkbox).value is True  # chains are followed unless unticked
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        run = app.screen
        assert isinstance(run, RunScreen) and run.outcome == "finished"
        await pilot.pause()
        text = screen_text(app)
        for needle in ("Wrote the release notes", "→ doc_writer hands over to reviewer", "── chained: reviewer ──",
                       "[reviewer · openai-compatible", "Reviewed the release notes", "── chained: task_logger ──",
                       "Files written  notes.md, review.md", "Logged task-003 (doc_writer)",
                       "Logged task-004 (reviewer)"):
            assert needle in text, needle
        assert (codex.parent / "docs" / "review.md").read_text(encoding="utf-8") == review
        log = json.loads((codex / "TASK-LOG.json").read_text(encoding="utf-8"))
        assert [(e["task_id"], e["agent"], e["output_files"]) for e in log[2:]] == [
            ("task-003", "doc_writer", ["docs/notes.md"]), ("task-004", "reviewer", ["docs/review.md"])]
        assert len(fake_openai.requests) == 2
        assert "Continue after `doc_writer` (task-003)" in json.dumps(fake_openai.requests[1].body["messages"])


BROKEN_CONFIG = '[provider]\nkind = "openai-compatible"\nmax_retries = "two"\n'


async def test_a_broken_techcat_toml_is_shown_with_its_location_and_nothing_is_sent(
        tmp_path: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    # with the file's problem ignored, the defaults plus OPENAI_BASE_URL would send the work to this server
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    codex = make_workspace(tmp_path, agents=ROSTER, log=[entry(1), entry(2)],
                           extra={"techcat.toml": BROKEN_CONFIG})
    fake_openai.queue(REPLY)
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-provider"),
                       what="the run dialog")
        located = f"{codex / 'techcat.toml'}:3:15: provider.max_retries"  # the value's column
        note = app.screen.query_one("#run-provider", Static)
        assert located in str(note.content), note.content
        text = screen_text(app)
        assert "techcat.toml:3:15:" in text and "provider.max_retries" in text
        assert "openai-compatible" not in text  # not the defaults' provider
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "nothing was sent" in screen_text(app), what="the refusal in the dialog")
        assert isinstance(app.screen, RunDialog)  # refused in the dialog: the task typed is kept
        assert fake_openai.requests == []
        assert not (codex.parent / "docs" / "notes.md").exists()
        # fixed in an editor while the dialog is open: the next ctrl+s reads the file again and runs
        (codex / "techcat.toml").write_text(BROKEN_CONFIG.replace('"two"', "2"), encoding="utf-8")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        assert len(fake_openai.requests) == 1


async def test_credentials_in_the_base_url_are_never_shown(workspace: Path, fake_openai: FakeOpenAI,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url.replace("http://", "http://alice:s3cret@"))
    fake_openai.queue(REPLY)
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-provider"),
                       what="the run dialog")
        text = screen_text(app)
        assert f"openai-compatible http://***@127.0.0.1:{fake_openai.port}/v1" in text
        assert "s3cret" not in text and "alice" not in text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        await pilot.pause()
        text = screen_text(app)
        assert "[doc_writer · openai-compatible http://***@127.0.0.1" in text
        assert "s3cret" not in text and "alice" not in text


CYCLE_ROSTER = AGENTS_MD + """
## Agent: `alpha`

- **Role:** Writer
- **Goal:** Write the notes.
- **Output:** docs/alpha.md

Once complete, invoke `beta`.

## Agent: `beta`

- **Role:** Reviewer
- **Goal:** Review the notes.
- **Output:** docs/beta.md

Once complete, invoke `alpha`.
"""


async def test_a_chain_cycle_shows_the_skipped_link_as_a_warning(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    codex = make_workspace(tmp_path, agents=CYCLE_ROSTER, log=[entry(1), entry(2)])
    fake_openai.queue("# Alpha\n\nWrote the alpha notes.\n", "# Beta\n\nReviewed the alpha notes.\n")
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("alpha", "Write the notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the run")
        run = app.screen
        assert isinstance(run, RunScreen) and run.outcome == "finished"
        await pilot.pause()
        notice = "! `beta` chains to `alpha`, which already ran in this chain (alpha → beta → alpha)"
        text = screen_text(app)
        assert "── chained: beta ──" in text and "Reviewed the alpha notes" in text
        assert notice in text, text
        output = run.query_one("#run-output", StreamLog)
        lines = output.text.split("\n")
        number = next(n for n, line in enumerate(lines) if line.startswith(notice))
        assert output.is_warning(number) and not any(output.is_warning(n) for n in range(number))
        warning = output.get_component_rich_style("stream-log--warning")
        row = next(y for y, shown in enumerate(output.rows) if shown.startswith("! `beta`"))
        painted = output.render_line(row - output.scroll_offset.y)
        assert any(segment.style is not None and segment.style.color == warning.color
                   for segment in painted if segment.text.startswith("! `beta`"))
        assert len(fake_openai.requests) == 2  # alpha and beta once each: the cycle back to alpha was not run
        log = json.loads((codex / "TASK-LOG.json").read_text(encoding="utf-8"))
        assert [e["agent"] for e in log[2:]] == ["alpha", "beta"]


async def test_q_does_not_end_a_run_midway_and_quits_once_it_is_done(workspace: Path,
                                                                     fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Behaviour(reply="x" * 2000, chunk_delay=0.05))
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write a very long document", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.text_chars > 0,
                       what="the stream to start")
        run = app.screen
        assert isinstance(run, RunScreen)
        await pilot.press("q")
        assert not run.finished and app.return_code is None
        assert notified(app, "A run is still going: escape cancels it, ctrl+q quits anyway.")
        await wait_for(pilot, lambda: run.finished, timeout=120, what="the end of the run")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to exit")

"""A run under review from the TUI, end to end against the local OpenAI-compatible server (issue 13 §1, §4):
the run screen shows the tool calls and where the run works, the review dialog shows the diff, approve lands
the change and its entry, discard writes and logs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Checkbox

from techcat_tui.screens.review_dialog import ReviewDialog
from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.screens.run_screen import RunScreen
from techcat_tui.widgets.diff_view import DiffView
from techcat_tui.widgets.stream_log import StreamLog
from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.gitutil import commit_all, init_repo
from tests.tui.helpers import make_app, screen_text, wait_for, wait_ready
from tests.tui.test_run import ROSTER
from tests.wsbuilder import entry, make_workspace

NOTES = "# Release notes\n\nWidget turns sprockets into gears.\n"


@pytest.fixture
def repository(tmp_path: Path, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository whose doc_writer reads the README and writes docs/notes.md with tools."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    codex = make_workspace(tmp_path, agents=ROSTER, log=[entry(1), entry(2)])
    (tmp_path / "README.md").write_text("# Widget\n\nWidget turns sprockets into gears.\n", encoding="utf-8")
    init_repo(tmp_path)
    commit_all(tmp_path, "The widget so far")
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]),
        Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/notes.md", content=NOTES)]),
        Behaviour(reply="Wrote docs/notes.md from the README."))
    return codex


def log_length(codex: Path) -> int:
    return len(json.loads((codex / "TASK-LOG.json").read_text(encoding="utf-8")))


async def start_reviewed_run(pilot: object, app: object, codex: Path) -> RunScreen:
    from textual.pilot import Pilot

    from techcat_tui.app import TechcatApp

    assert isinstance(pilot, Pilot) and isinstance(app, TechcatApp)
    await wait_ready(pilot, app)
    app.open_run_dialog("doc_writer", "Write the release notes from the README", None)
    await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-review"),
                   what="the run dialog")
    box = app.screen.query_one("#run-review", Checkbox)
    assert box.value is False and not box.disabled
    box.value = True
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewDialog), timeout=30, what="the review dialog")
    run = next(screen for screen in app.screen_stack if isinstance(screen, RunScreen))
    diff = "\n".join(app.screen.query_one("#review-diff", DiffView).lines)
    assert "+++ b/docs/notes.md" in diff and "+Widget turns sprockets into gears." in diff
    assert "A docs/notes.md" in screen_text(app)
    # nothing has landed while the user reads
    assert not (codex.parent / "docs" / "notes.md").exists()
    assert log_length(codex) == 2
    shown = run.query_one(StreamLog).text
    assert "⚙ read_file" in shown and "README.md" in shown and "⚙ write_file" in shown
    assert "running · in its own worktree" in str(run.query_one("#run-title").render())
    assert "1 file changed: docs/notes.md" in shown and "waiting for your review" in shown
    return run


async def test_approving_the_review_lands_the_change_and_logs_it(repository: Path) -> None:
    app = make_app(repository)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_reviewed_run(pilot, app, repository)
        await pilot.press("a")
        await wait_for(pilot, lambda: run.finished, timeout=30, what="the end of the run")
        assert run.outcome == "finished"
        assert (repository.parent / "docs" / "notes.md").read_text(encoding="utf-8") == NOTES
        log = json.loads((repository / "TASK-LOG.json").read_text(encoding="utf-8"))
        assert log[-1]["task_id"] == "task-003" and log[-1]["output_files"] == ["docs/notes.md"]
        assert "Logged task-003" in screen_text(app)


async def test_discarding_the_review_writes_and_logs_nothing(repository: Path) -> None:
    app = make_app(repository)
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_reviewed_run(pilot, app, repository)
        await pilot.press("d")
        await wait_for(pilot, lambda: run.finished, timeout=30, what="the end of the run")
        assert run.outcome == "discarded"
        assert "discarded doc_writer's changes: nothing was written or logged" in run.query_one(StreamLog).text
        assert "discarded" in screen_text(app)
        assert not (repository.parent / "docs" / "notes.md").exists()
        assert log_length(repository) == 2


async def test_an_agent_techcat_toml_lists_for_review_is_always_reviewed(repository: Path) -> None:
    (repository / "techcat.toml").write_text('[review]\nagents = ["doc_writer"]\n', encoding="utf-8")
    app = make_app(repository)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes from the README", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-review"),
                       what="the run dialog")
        box = app.screen.query_one("#run-review", Checkbox)
        assert box.value is True and box.disabled
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewDialog), timeout=30, what="the review dialog")
        await pilot.press("a")
        run = app.screen
        assert isinstance(run, RunScreen)
        await wait_for(pilot, lambda: run.finished, timeout=30, what="the end of the run")
        assert (repository.parent / "docs" / "notes.md").read_text(encoding="utf-8") == NOTES


async def test_without_review_the_run_lands_at_once_and_shows_its_tool_calls(repository: Path) -> None:
    app = make_app(repository)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes from the README", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-review"),
                       what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, timeout=30,
                       what="the end of the run")
        run = app.screen
        assert isinstance(run, RunScreen) and run.outcome == "finished"
        assert not any(isinstance(screen, ReviewDialog) for screen in app.screen_stack)
        text = run.query_one(StreamLog).text
        assert "⚙ read_file" in text and "✓" in text and "waiting for your review" not in text
        assert (repository.parent / "docs" / "notes.md").read_text(encoding="utf-8") == NOTES


async def test_a_refused_tool_call_is_shown_and_nothing_lands(tmp_path: Path, fake_openai: FakeOpenAI,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A model that writes .git/config: the refusal is on the run screen (✗, as a warning), the run fails,
    nothing is written or logged; a long tool argument is cut on its line."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    codex = make_workspace(tmp_path, agents=ROSTER, log=[entry(1), entry(2)])
    init_repo(tmp_path)
    commit_all(tmp_path, "The widget so far")
    config_before = (tmp_path / ".git" / "config").read_bytes()
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("write_file", path=".git/config", content="x" * 5000)]),
        Behaviour(reply="Done."))
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("doc_writer", "Write the release notes", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#run-review"),
                       what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, timeout=30,
                       what="the end of the run")
        run = app.screen
        assert isinstance(run, RunScreen)
        output = run.query_one(StreamLog)
        call = next(line for line in output.text.splitlines() if line.startswith("⚙ write_file"))
        assert ".git/config" in call and len(call) <= len("⚙ write_file ") + 160
        refused = [n for n, line in enumerate(output.text.splitlines()) if line.startswith("  ✗ ")]
        assert refused and output.is_warning(refused[0])
        assert run.outcome == "failed"
    assert (tmp_path / ".git" / "config").read_bytes() == config_before
    assert log_length(codex) == 2 and not (tmp_path / "docs" / "notes.md").exists()

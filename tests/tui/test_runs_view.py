"""The Runs view on a real history: runs made against the local OpenAI-compatible server, then the app."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from techcat_core.runs.query import RunQuery
from techcat_core.runs.store import open_history
from techcat_core.runtime.runner import RunRequest, run_agent
from techcat_tui.widgets.runs_view import RunsView
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.tui.helpers import make_app, read_scrolling, screen_text, wait_for, wait_ready
from tests.wsbuilder import AGENTS_MD, make_workspace

WRITER = AGENTS_MD + "\n## Agent: `writer`\n\n- **Role:** Writes notes\n- **Output:** docs/notes.md\n"
PRICES = '[prices."gpt-4o-mini"]\ninput = 1000\noutput = 2000\n'


async def _run(codex: Path, fake: FakeOpenAI, agent: str, task: str) -> None:
    env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123", "TECHCAT_HISTORY_URL": ""}
    async for _ in run_agent(codex, RunRequest(agent, task, env=env, chain=False)):
        pass


async def test_runs_view_shows_history_totals_and_takes_feedback(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                 monkeypatch: object) -> None:
    codex = make_workspace(tmp_path, agents=WRITER, extra={"techcat.toml": PRICES})
    fake_openai.queue(Behaviour(reply="Planned the launch.\n", usage=(1000, 100)),
                      Behaviour(reply="Wrote the launch notes.\n", usage=(2000, 200)),
                      Behaviour(status=400))
    await _run(codex, fake_openai, "planner", "Plan the launch")
    await _run(codex, fake_openai, "writer", "Write the launch notes")
    await _run(codex, fake_openai, "writer", "Write it again")
    app = make_app(codex)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("7")
        view = app.screen.query_one(RunsView)
        await wait_for(pilot, lambda: "Per agent" in screen_text(app), what="the run history")
        text = " ".join(screen_text(app).split())
        assert "writer 2 runs 2,000/200 cost 2.4000" in text  # the failed run spent nothing
        assert "planner 1 run 1,000/100 cost 1.2000" in text
        assert "Per day (UTC)" in text and "3 runs 3,000/300 cost 3.6000" in text
        assert "writer done 2,000/200 2.4000 task-004 - Write the launch notes" in text
        table = view.query_one("#runs-list", DataTable)
        assert table.row_count == 3 and app.focused is table
        assert [r.task for r in view.records] == ["Write it again", "Write the launch notes", "Plan the launch"]
        assert "HTTP 400" in screen_text(app)  # the newest, failed run is selected: its reason is shown
        await pilot.press("down")
        await wait_for(pilot, lambda: "files: docs/notes.md" in screen_text(app), what="the selected run's files")
        await pilot.press("g")
        history = open_history(codex, env={"TECHCAT_HISTORY_URL": ""})
        await wait_for(pilot, lambda: history.get(view.records[1].record_id).rating == "good", what="the rating")
        await wait_for(pilot, lambda: "feedback: good" in screen_text(app), what="the refreshed view")
        assert [r.rating for r in history.recent(RunQuery())] == [None, "good", None]
        assert "1↑" in screen_text(app)
        await _run(codex, fake_openai, "planner", "Plan the retro")  # a run made elsewhere while the view is open
        await wait_for(pilot, lambda: len(view.records) == 4, timeout=20, what="the new run")


async def test_runs_view_without_runs_says_where_they_will_be(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("7")
        await wait_for(pilot, lambda: "No runs recorded yet" in screen_text(app), what="the empty history")
        view = app.screen.query_one(RunsView)
        assert view.where == str(codex / ".techcat" / "runs.sqlite3") and view.records == []
        assert "Every agent run (R, `techcat run`, `techcat watch`, an editor, an MCP client) is recorded here" in \
            " ".join(screen_text(app).split())
        assert not (codex / ".techcat" / "runs.sqlite3").exists()  # reading creates nothing


async def test_help_lists_the_runs_keys(tmp_path: Path) -> None:
    from techcat_tui.screens.help import HelpScreen

    app = make_app(make_workspace(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        help_box = app.screen.query_one("#help-box")
        seen = await read_scrolling(pilot, app, help_box, ("runs.good", "runs.bad", "runs.refresh"),
                                    what="the help screen's run keys")
        assert "runs.good" in seen and "runs.bad" in seen and "runs.refresh" in seen

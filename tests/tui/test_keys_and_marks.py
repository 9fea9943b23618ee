"""What users hit on the keyboard and on screen: quitting, vi keys in the lists, the footer at 80x24, tick marks,
the dry run's cut messages and where Ctrl+T saves the theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from techcat_tui.paths import display_path
from techcat_tui.screens.commit_dialog import CommitDialog
from techcat_tui.screens.help import HelpScreen
from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.screens.run_screen import RunScreen
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.proposed_view import ProposedView
from techcat_tui.widgets.stream_log import StreamLog
from techcat_tui.widgets.tick_boxes import TickBox
from tests.gitutil import commit_all, init_repo
from tests.tui.helpers import (
    make_app,
    notified,
    screen_text,
    selected_agent,
    selected_number,
    wait_for,
    wait_ready,
)

VIEW_KEYS = {"log": "1", "agents": "2", "proposed": "3", "docs": "4", "problems": "5", "git": "6", "runs": "7"}


def _footer(app: object) -> str:
    from textual.app import App

    assert isinstance(app, App)
    return screen_text(app).splitlines()[-1]


async def test_q_quits_from_the_log_view(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        assert "^q Quit" in _footer(app)  # the key that quits everywhere; q quits here too
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to exit")
    assert app.return_code == 0


async def test_q_is_typed_in_the_filter_and_queues_in_proposed_where_ctrl_q_is_shown(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("slash", "q")
        assert app.screen.query_one("#log-filter", Input).value == "q"
        assert app.return_code is None
        await pilot.press("escape", "3")
        view = app.screen.query_one(ProposedView)
        await wait_for(pilot, lambda: selected_number(view) == 1, what="the proposed list")
        footer = _footer(app)
        assert "q Queue" in footer and "^q Quit" in footer
        await pilot.press("j", "j", "j", "j", "j", "j", "q")  # item 7 is proposed: q queues it
        await wait_for(pilot, lambda: "- [>] @qa_engineer End-to-end" in (sample / "PROPOSED-TASKS.md").read_text(
            encoding="utf-8"), what="item 7 queued")
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None, what="the app to exit")


async def test_help_says_how_to_quit(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        await pilot.pause()
        text = screen_text(app)
        assert "Quit with q, or ctrl+q anywhere" in text
        assert "app.quit" in text


async def test_j_and_k_move_in_the_agents_and_proposed_lists(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("2")
        agents = app.screen.query_one(AgentsView)
        await wait_for(pilot, lambda: selected_agent(agents) == "planner", what="the roster")
        await pilot.press("j", "j")
        assert selected_agent(agents) == "backend_specialist"
        await pilot.press("k")
        assert selected_agent(agents) == "frontend_specialist"
        await pilot.press("G")
        assert selected_agent(agents) == "task_logger"
        await pilot.press("g")
        assert selected_agent(agents) == "planner"
        await pilot.press("3")
        proposed = app.screen.query_one(ProposedView)
        await wait_for(pilot, lambda: selected_number(proposed) == 1, what="the proposed list")
        await pilot.press("j", "j", "k")
        assert selected_number(proposed) == 2


@pytest.mark.parametrize("view", list(VIEW_KEYS))
async def test_the_footer_is_not_cut_at_80x24(view: str, sample: Path) -> None:
    app = make_app(sample, git=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press(VIEW_KEYS[view])
        await wait_for(pilot, lambda: app.screen.query_one("#tabs").active == view, what=view)  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
        # the footer recomposes for the focused view through a few queued messages: wait until it has
        await wait_for(pilot, lambda: _footer(app).rstrip().endswith("^p palette"), what=f"the footer of {view}")
        footer = _footer(app)
        assert "Help" in footer and "Quit" in footer and "palette" in footer, footer
        assert footer.rstrip().endswith("^p palette"), footer


async def test_ticked_and_unticked_boxes_differ_by_their_mark(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("planner", "Plan v1.1", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.pause()
        chain = app.screen.query_one("#run-chain", TickBox)
        commit = app.screen.query_one("#run-commit", TickBox)
        assert chain.value and not commit.value
        assert "✓" in chain.render().plain and "X" not in chain.render().plain
        assert "✓" not in commit.render().plain and "X" not in commit.render().plain
        commit.toggle()
        await pilot.pause()
        assert "✓" in commit.render().plain
        assert "▐✓▌ run chained agents" in screen_text(app) or "✓ run chained agents" in screen_text(app)


async def test_the_commit_dialog_marks_the_chosen_files(sample: Path) -> None:
    init_repo(sample.parent)
    commit_all(sample.parent, "the sample")
    (sample / "PRD.md").write_text("# PRD\n\nChanged.\n", encoding="utf-8")
    (sample / "ARCHITECTURE.md").write_text("# Architecture\n\nChanged.\n", encoding="utf-8")
    app = make_app(sample, git=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        app.push_screen(CommitDialog([".codex/PRD.md", ".codex/ARCHITECTURE.md"], {".codex/PRD.md"}, "Update"))
        await wait_for(pilot, lambda: isinstance(app.screen, CommitDialog), what="the commit dialog")
        await pilot.pause()
        await pilot.press("q")  # a dialog ignores q: it would throw the choice away
        assert isinstance(app.screen, CommitDialog) and app.return_code is None
        lines = screen_text(app).splitlines()
        prd = next(line for line in lines if ".codex/PRD.md" in line)
        architecture = next(line for line in lines if ".codex/ARCHITECTURE.md" in line)
        assert "✓▌ .codex/PRD.md" in prd and "X" not in prd
        assert "✓" not in architecture and "X" not in architecture


async def test_the_dry_run_says_where_the_whole_messages_are(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        app.open_run_dialog("planner", "Plan v1.1", None)
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.finished, what="the dry run")
        text = app.screen.query_one(StreamLog).text
        assert "more characters not shown here" in text
        assert "cut at 1,500 characters; `techcat run --explain planner 'Plan v1.1'` prints every message" in text


async def test_ctrl_t_says_where_the_theme_is_saved(sample: Path, private_settings: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("ctrl+t")
        assert notified(app, f"Theme: textual-light, saved in {display_path(private_settings)}")
    assert private_settings.read_text(encoding="utf-8").startswith('theme = "textual-light"')

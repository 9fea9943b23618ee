"""The app as a whole: start without a workspace, broken files, help, palette, themes, remapped keys."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widget import Widget

from techcat_tui.app import TechcatApp
from techcat_tui.config import load_tui_config, parse_tui_config
from techcat_tui.screens.help import HelpScreen
from techcat_tui.screens.main import MainScreen
from techcat_tui.screens.run_dialog import RunDialog
from techcat_tui.screens.welcome import WelcomeScreen
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.log_view import LogView
from tests.tui.helpers import (
    make_app,
    notified,
    read_scrolling,
    screen_text,
    selected_agent,
    wait_for,
    wait_ready,
)
from tests.wsbuilder import entry, make_workspace


async def test_no_workspace_offers_init_and_opens_the_new_one(tmp_path: Path) -> None:
    app = make_app(None, start_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), what="the welcome screen")
        assert "No .codex/ folder was found" in screen_text(app)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        await wait_ready(pilot, app)
        assert sorted(p.name for p in (tmp_path / ".codex").iterdir()) == [
            "AGENTS.md", "ARCHITECTURE.md", "PRD.md", "PROPOSED-TASKS.md", "TASK-LOG.json"]
        assert "The task log is empty" in screen_text(app) or "No entries yet" in screen_text(app)


async def test_welcome_screen_opens_the_demo(tmp_path: Path) -> None:
    app = make_app(None, start_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), what="the welcome screen")
        await pilot.press("d")
        await wait_ready(pilot, app)
        assert app.demo and "demo copy" in screen_text(app)
        assert len(app.screen.query_one(LogView).rows) == 36


async def test_broken_json_log_shows_guidance_and_what_could_be_read(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log='[\n  {"task_id": "task-001", "agent": "planner", "date": "2025-07-01",'
                                         ' "summary": "ok", "output_files": []},\n  {"task_id": "task-002" oops}\n]\n')
    app = make_app(codex)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(pilot, app)
        text = screen_text(app)
        assert "TASK-LOG.json:3:" in text and "Showing the 1 entries that could be read" in text
        assert "task-001" in text


async def test_a_log_that_is_not_an_array_is_explained(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log='{"entries": []}\n')
    app = make_app(codex)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(pilot, app)
        assert "holds a JSON object, not an array" in screen_text(app)


async def test_a_task_log_that_is_a_directory_is_not_called_missing(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (codex / "TASK-LOG.json").unlink()
    (codex / "TASK-LOG.json").mkdir()
    app = make_app(codex)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(pilot, app)
        text = screen_text(app)
        assert "TASK-LOG.json cannot be read: it is a directory, not a file. See Problems (5)." in text
        assert "TASK-LOG.json is missing" not in text


async def test_a_task_log_that_is_not_utf8_points_to_problems(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    log = json.dumps([entry(1), entry(2, summary="Caf\u00e9 menu")], indent=2, ensure_ascii=False)
    (codex / "TASK-LOG.json").write_bytes(log.encode("latin-1"))  # é as the single byte 0xe9
    app = make_app(codex)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_ready(pilot, app)
        shown = screen_text(app)
        assert "TASK-LOG.json cannot be read as UTF-8: TASK-LOG.json:15:20: byte 0xe9 is not valid UTF-8" in shown
        assert "(TC001). See Problems (5)." in shown and "Caf� menu" in shown


async def test_help_lists_every_view_with_binding_ids(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        help_box = app.screen.query_one("#help-box")
        needles = ("Task log", "Proposed tasks", "proposed.queue", "log.filter", "ctrl+s", "tui.toml", "[keys]")
        seen = await read_scrolling(pilot, app, help_box, needles, what="the help screen")  # as a user scrolls
        for needle in needles:
            assert needle in seen, needle
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_runs_view_commands(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("ctrl+p", *"go to problems")
        await wait_for(pilot, lambda: "Go to problems" in screen_text(app), what="the palette's match")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.active_tab == "problems",
                       what="the problems tab")


async def test_theme_cycles_and_is_remembered(sample: Path, private_settings: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "ansi-dark"
    config, problems = load_tui_config(private_settings)
    assert config.theme == "ansi-dark" and problems == []


async def test_keys_are_remapped_from_the_user_config(sample: Path, private_settings: Path) -> None:
    private_settings.parent.mkdir(parents=True, exist_ok=True)
    private_settings.write_text('theme = "textual-light"\n[keys]\n"log.sort" = "o"\n"tab.proposed" = "f3"\n',
                                encoding="utf-8")
    app = TechcatApp(sample, watch=False, git=False)  # reads the settings file itself
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        assert app.theme == "textual-light"
        await pilot.press("o")
        assert app.screen.query_one(LogView).sort_key == "id"
        await pilot.press("f3")
        assert isinstance(app.screen, MainScreen) and app.screen.active_tab == "proposed"
        await pilot.press("1", "ctrl+p", *"log: sort")  # the palette names the keys the user set
        await wait_for(pilot, lambda: "Log: Sort" in screen_text(app), what="the sort command in the palette")
        text = screen_text(app)
        assert "key o" in text and "key s" not in text
        await pilot.press("escape", "ctrl+p", *"go to proposed")
        await wait_for(pilot, lambda: "Go to proposed" in screen_text(app), what="the tab command")
        assert "Show the proposed view (key f3)" in screen_text(app)


async def test_bad_settings_are_reported_with_their_place(sample: Path, private_settings: Path) -> None:
    private_settings.parent.mkdir(parents=True, exist_ok=True)
    private_settings.write_text('theme = "textual-light"\nclipboard = "telepathy"\n', encoding="utf-8")
    app = TechcatApp(sample, watch=False, git=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        assert notified(app, "tui.toml:2:1: `clipboard` must be one of")
        assert app.theme == "textual-light"  # the rest of the file still applies


def test_invalid_toml_settings_fall_back_with_a_location(tmp_path: Path) -> None:
    config, problems = parse_tui_config("theme = \n", tmp_path / "tui.toml")
    assert config.theme == "textual-dark"
    assert problems and problems[0].startswith(f"{tmp_path / 'tui.toml'}:1:")


async def test_copy_falls_back_to_a_dialog_when_nothing_can_reach_the_clipboard(
        sample: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("TERM_PROGRAM", "Apple_Terminal")
    monkeypatch.setenv("PATH", "/nonexistent")
    app = make_app(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "Copy task-035" in screen_text(app), what="the copy dialog")
        assert '"task_id": "task-035"' in screen_text(app)


async def test_every_view_fits_an_80x24_terminal(sample: Path) -> None:
    app = make_app(sample, git=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        for key, needle in (("1", "task-035"), ("2", "planner"), ("3", "Waiting-list"), ("5", "TC111"),
                            ("6", "git init")):
            await pilot.press(key)
            await wait_for(pilot, lambda needle=needle: needle in screen_text(app), what=needle)  # type: ignore[misc]
            text = screen_text(app)
            assert "Filter" in text or key != "1"
            assert len(text.splitlines()) == 24


def _fully_shown(widget: Widget, within: Widget) -> bool:
    """On screen in full: inside the terminal and inside the (scrolling) box that holds it."""
    region = widget.region
    return bool(region.area) and widget.screen.region.contains_region(region) and \
        within.region.contains_region(region)


async def test_the_run_dialog_and_the_help_fit_80x24(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog) and app.screen.query("#cancel"),
                       what="the run dialog")
        await pilot.pause()
        box = app.screen.query_one("#run-dialog")
        for selector in ("#run-agent", "#run-task", "#run-chain", "#run-commit", "#run-provider", "#ok", "#cancel"):
            assert _fully_shown(app.screen.query_one(selector), box), selector
        assert box.max_scroll_y == 0  # nothing to scroll to: every control is in view
        text = screen_text(app)
        for needle in ("Run an agent", "ctrl+enter / ctrl+s / F5 runs", "run chained agents", "commit the result",
                       "Run ", "Cancel"):
            assert needle in text, needle
        await pilot.press("escape", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        await pilot.pause()
        help_box = app.screen.query_one("#help-box")
        assert app.screen.region.contains_region(help_box.region)
        text = screen_text(app)
        assert "esc / q / ? / f1 closes · ↑ ↓ PgUp PgDn scroll" in text  # how to leave and scroll, on screen
        assert "command palette (ctrl+p)" in text and "Everywhere" in text
        assert app.focused is help_box and help_box.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert help_box.scroll_y == help_box.max_scroll_y
        assert "Mouse: click rows" in screen_text(app)  # the last line can be reached
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)


async def test_many_entries_keep_the_selection_when_the_log_grows(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=[entry(n, date="2025-07-01") for n in range(1, 2001)])
    app = make_app(codex, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        await pilot.press("home", "pagedown", "down")
        selected = view.current_row()
        top = view.table.scroll_y
        from techcat_core.tasklog.store import append_entry

        append_entry(codex, "planner", "One more", [])
        await wait_for(pilot, lambda: len(view.rows) == 2001, what="the appended row")
        assert view.current_row() == selected and view.table.scroll_y == top


async def test_a_snapshot_between_a_views_mount_and_its_compose_is_shown_once_it_has_its_widgets(
        sample: Path) -> None:
    """On a busy machine the exact snapshot landed while a view was still composing: first before the Agents
    view had its list (`NoMatches('#agents-list')`), then, in a busy run, with the list there but the card
    inside the detail pane not yet (`NoMatches('#agent-card')`). Either stopped the app. The snapshot must wait
    until the view has all its widgets. Here the detail pane is held in its mount until the test lets it go."""
    import asyncio

    from textual.containers import VerticalScroll
    from textual.widgets import Static

    from techcat_tui.widgets.item_list import ItemList

    gate = asyncio.Event()

    class HeldDetail(VerticalScroll):
        async def on_mount(self) -> None:
            await gate.wait()
            await self.mount(Static("", id="agent-card"))

    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        screen = app.main_screen
        assert screen is not None and app.snapshot is not None
        agents = screen.query_one(AgentsView)
        await agents.remove_children()
        app._load_later_views(screen, app.snapshot)  # no widgets at all: no NoMatches
        await agents.mount(ItemList(id="agents-list"))
        try:
            detail = HeldDetail(id="agent-detail")
            agents.mount(detail)
            assert detail.is_attached and not detail.is_mounted
            retries = 0
            looked_again = asyncio.Event()
            load_again = app._load_later_views_again

            def counted(view_screen: MainScreen) -> None:
                nonlocal retries
                retries += 1
                if retries >= 2:
                    looked_again.set()
                load_again(view_screen)

            app._load_later_views_again = counted  # type: ignore[method-assign]
            app._load_later_views(screen, app.snapshot)  # the list there, the card not yet: no NoMatches
            # not `pilot.pause`: it waits for every widget's queue, and the held pane's runs once the gate opens
            try:
                await asyncio.wait_for(looked_again.wait(), timeout=15)
            except TimeoutError:
                raise AssertionError("the app did not look again while the view was still composing") from None
        finally:
            gate.set()  # else a failure above would leave the app waiting for the held pane as it exits
        await wait_for(pilot, lambda: selected_agent(agents) is not None
                       and str(agents.query_one("#agent-card", Static).render()).strip() != "",
                       what="the roster and the card loaded once the view has all its widgets")
        assert [a.name for a in agents.agents] == [a.name for a in app.snapshot.workspace.agents]

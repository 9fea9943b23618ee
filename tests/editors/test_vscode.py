"""VS Code itself (code-server in headless Chromium) with the packaged extension, on a broken task log."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.editors.code_server import CHROMIUM_ARGS, running_code_server
from tests.editors.editor_env import CHROMIUM, require, server_command
from tests.editors.vscode_page import (
    code_lenses,
    hover_text,
    notification_containing,
    open_file,
    poll,
    problem_counts,
    problems_panel,
    quick_fix_titles,
    run_palette_command,
    squiggle_under,
    token,
)
from tests.editors.workspace import UNKNOWN_AGENT, cli_diagnostics, make_broken_workspace
from tests.fake_openai import Behaviour, FakeOpenAI

PLANNER_ROLE = "Task Forecaster"


def tab_titles(page: Page) -> set[str]:
    """The open editors' names as the tabs show them (code-server leaves the extension to the icon)."""
    return {tab.inner_text().strip() for tab in page.locator(".tabs-container .tab .label-name").all()}
PLANNER_REPLY = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"


@pytest.mark.slow
def test_vscode_shows_problems_squiggles_hovers_fixes_and_runs(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    log = make_broken_workspace(tmp_path / "ws")
    fake_openai.queue(PLANNER_REPLY)
    # The model server's address through the extension's env setting; the key through the environment.
    settings: dict[str, object] = {"techcat.server.env": {"OPENAI_BASE_URL": fake_openai.base_url}}
    environment = {"OPENAI_API_KEY": "sk-test-editor"}
    expected = cli_diagnostics(log)
    expected_errors = sum(1 for d in expected if d.code in {"TC401", "TC108"})
    screenshot = tmp_path / "vscode.png"
    with running_code_server(tmp_path / "code-server", log.parent.parent, server_command(), settings,
                             environment) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(require(CHROMIUM, "Chromium")), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(f"{server.url}/?folder={log.parent.parent}")
            open_file(page, "TASK-LOG.json")

            # The status bar's Problems count: exactly what `techcat check` finds. The extension no longer hands
            # VS Code's JSON server the task-log schema, which reported the same faults a second time.
            counts = poll("the TechCat errors in the status bar",
                          lambda: c if (c := problem_counts(page)) and c.errors == expected_errors else None)
            assert counts.errors + counts.warnings == len(expected), (counts, expected)

            # Code lenses: "n files" over each entry with output files. Waiting for them also lets the layout
            # settle before the mouse rests on anything.
            lenses = poll("the code lenses", lambda: found if len(found := code_lenses(page)) >= 3 else None)
            assert "1 file" in lenses

            # Squiggles under the bad date and the unknown agent.
            poll("a squiggle under the bad date", lambda: True if squiggle_under(page, '"2025/07/14"') else None)
            assert squiggle_under(page, '"frontend_specialst"')

            # Hovers: the diagnostic with its code on the squiggle; the roster's role on an agent name.
            on_date = hover_text(page, '"2025/07/14"', expect="TC108")
            assert "is not YYYY-MM-DD" in on_date
            assert PLANNER_ROLE in hover_text(page, '"planner"', expect=PLANNER_ROLE)

            # Quick fix menu on the date offers the core's fix.
            assert "Change the date to 2025-07-14" in quick_fix_titles(page, '"2025/07/14"')

            # The Problems panel: the same codes on the same lines as `techcat check`, UTF-16 columns right after
            # curly quotes, a dash and an emoji; and the schema the extension ships is applied to the log.
            problems = problems_panel(page)
            ours = [p for p in problems if p.source == "techcat"]
            assert {(p.code, p.line - 1) for p in ours} == {(d.code, d.line) for d in expected}
            unknown_agent = next(p for p in ours if p.code == "TC401")
            assert unknown_agent.column == UNKNOWN_AGENT.utf16_column + 1
            assert [p for p in problems if p.source != "techcat"] == [], "another server reports the log's faults"
            assert len(problems) == len(expected)

            # An agent run from the palette: pick the agent, type the task; the server's closing message shows as
            # a notification and VS Code reloads the log with the new entry.
            run_palette_command(page, "TechCat: Run an Agent", "planner", "Plan the next milestone")
            finished = poll("the notification that the run finished",
                            lambda: notification_containing(page, "planner wrote"), timeout=90)
            assert "logged task-005" in finished
            token(page, '"planner"').click()
            page.keyboard.press("Control+End")  # Monaco draws only the visible lines; the new entry is at the end
            poll("the new entry in the editor", lambda: True if token(page, '"task-005"').count() else None)
            assert fake_openai.requests, "the agent run never reached the model server"

            # The "2 files" lens opens both files (each in a tab of its own, not one preview tab replacing the other).
            page.keyboard.press("Control+Home")
            page.locator(".monaco-editor .codelens-decoration a", has_text="2 files").first.click()
            poll("both files open in tabs", lambda: True if {"home", "settings"} <= tab_titles(page) else None)

            # A run's progress is a notification with a Cancel button (not a status-bar spinner); Cancel ends the run.
            open_file(page, "TASK-LOG.json")
            fake_openai.queue(Behaviour(reply="word " * 1500, chunk_delay=0.05))
            run_palette_command(page, "TechCat: Run an Agent", "planner", "Plan slowly")
            progress = page.locator(".notifications-toasts .notification-toast", has_text="TechCat: planner")
            poll("the run's progress notification", lambda: True if progress.count() else None)
            progress.first.get_by_role("button", name="Cancel").click()
            poll("the message that the run was cancelled",
                 lambda: notification_containing(page, "planner was cancelled"), timeout=60)
        except BaseException:
            page.screenshot(path=str(screenshot))
            page.screenshot(path="/tmp/l-vscode.png")
            print(f"screenshot: {screenshot}\ncode-server log:\n{server.log_tail()}")
            raise
        finally:
            browser.close()

"""VS Code itself (code-server in headless Chromium) with the packaged extension, on a broken task log."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.editors.code_server import CHROMIUM_ARGS, running_code_server
from tests.editors.editor_env import CHROMIUM, require, server_command
from tests.editors.vscode_page import (
    hover_text,
    open_file,
    poll,
    problem_counts,
    problems_panel,
    quick_fix_titles,
    squiggle_under,
)
from tests.editors.workspace import UNKNOWN_AGENT, cli_diagnostics, make_broken_workspace

PLANNER_ROLE = "Task Forecaster"


@pytest.mark.slow
def test_vscode_shows_problems_squiggles_hovers_and_fixes(tmp_path: Path) -> None:
    log = make_broken_workspace(tmp_path / "ws")
    expected = cli_diagnostics(log)
    expected_errors = sum(1 for d in expected if d.code in {"TC401", "TC108"})
    screenshot = tmp_path / "vscode.png"
    with running_code_server(tmp_path / "code-server", log.parent.parent, server_command()) as server, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(require(CHROMIUM, "Chromium")), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(f"{server.url}/?folder={log.parent.parent}")
            open_file(page, "TASK-LOG.json")

            # The status bar's Problems count: our two errors (the JSON schema only adds warnings).
            counts = poll("the TechCat errors in the status bar",
                          lambda: c if (c := problem_counts(page)) and c.errors == expected_errors else None)
            assert counts.warnings >= 1

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
            assert any("summery is not allowed" in p.message for p in problems), "the task-log schema is not applied"
        except BaseException:
            page.screenshot(path=str(screenshot))
            print(f"screenshot: {screenshot}\ncode-server log:\n{server.log_tail()}")
            raise
        finally:
            browser.close()

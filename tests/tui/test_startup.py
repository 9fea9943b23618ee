"""Start-up imports only what the first screen needs: no git, no openai, no language server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.gitutil import GIT_ENV, commit_all, init_repo

HEAVY = ("git", "openai", "pygls", "lsprotocol", "techcat_lsp", "techcat_mcp", "mcp", "techcat_core.runtime.runner")

PROBE = """
import asyncio, json, sys
from pathlib import Path
from techcat_tui.app import TechcatApp
from techcat_tui.config import TuiConfig
from techcat_tui.messages import ChecksFinished, FirstScreenShown

HEAVY = {heavy!r}
seen = {{}}

def hook(message):
    if isinstance(message, FirstScreenShown) and "first" not in seen:
        seen["first"] = sorted(m for m in HEAVY if m in sys.modules)
        seen["seconds"] = message.seconds
    if isinstance(message, ChecksFinished):
        seen["after_check"] = sorted(m for m in HEAVY if m in sys.modules)

async def main():
    app = TechcatApp(Path(sys.argv[1]), config=TuiConfig(), watch=False, git=True)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        while "after_check" not in seen:
            await pilot.pause(0.05)
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_first_screen_imports_no_git_openai_or_language_server(sample: Path) -> None:
    init_repo(sample.parent)
    commit_all(sample.parent, "sample")
    result = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), str(sample)], capture_output=True,
                            text=True, timeout=120, env=GIT_ENV, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["first"] == [], f"imported before the first screen: {seen['first']}"
    assert "git" in seen["after_check"]  # the history checks do need git, later, in a worker
    assert seen["seconds"] < 5


async def test_the_first_screen_comes_from_the_quick_load_and_the_exact_parse_follows(tmp_path: Path) -> None:
    from techcat_core.tasklog.store import append_entry
    from techcat_tui.messages import FirstScreenShown, SnapshotLoaded
    from techcat_tui.widgets.agents_view import AgentsView
    from techcat_tui.widgets.log_view import LogView
    from tests.tui.helpers import make_app, wait_for, wait_ready
    from tests.wsbuilder import entry, make_workspace

    codex = make_workspace(tmp_path, log=[entry(n) for n in range(1, 301)])
    loads: list[tuple[str, bool]] = []
    shown: list[bool] = []
    app = make_app(codex, watch=True)

    def hook(message: object) -> None:
        if isinstance(message, SnapshotLoaded):
            loads.append((message.reason, message.snapshot.exact))
        if isinstance(message, FirstScreenShown):
            shown.append(app.screen.query_one(LogView).rows is not None and app.snapshot is not None
                         and app.snapshot.exact)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_for(pilot, lambda: shown, what="the first screen")
        await pilot.press("2")  # at once: the agents view may still be mounting
        await wait_ready(pilot, app)
        assert loads[:2] == [("open", False), ("exact", True)]
        assert shown == [False]  # the log was on screen before its exact parse
        assert app.snapshot is not None and app.snapshot.log_state is not None
        view = app.screen.query_one(LogView)
        assert app.snapshot.rows is view.rows and len(view.rows) == 300  # the quick rows were kept
        await wait_for(pilot, lambda: app.focused is not None and app.screen.query_one(AgentsView) in
                       app.focused.ancestors_with_self, what="the agents view focused")
        append_entry(codex, "planner", "After the exact parse", [])
        await wait_for(pilot, lambda: view.rows[-1].summary == "After the exact parse", what="the appended row")
        assert len(view.rows) == 301


async def test_a_damaged_log_skips_the_quick_load(tmp_path: Path) -> None:
    from techcat_tui.messages import SnapshotLoaded
    from tests.tui.helpers import make_app, wait_ready
    from tests.wsbuilder import make_workspace

    codex = make_workspace(tmp_path, log='[{"task_id": "task-001", "agent": "a"},\n  {"task_id": \n')
    loads: list[tuple[str, bool]] = []

    def hook(message: object) -> None:
        if isinstance(message, SnapshotLoaded):
            loads.append((message.reason, message.snapshot.exact))

    app = make_app(codex)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_ready(pilot, app)
        assert loads[0] == ("open", True)
        assert app.check_result is not None and any(d.code == "TC100" for d in app.check_result.diagnostics)


async def test_a_reload_of_an_unchanged_log_keeps_the_rows_and_their_search_text(tmp_path: Path) -> None:
    from techcat_tui.messages import SnapshotLoaded
    from techcat_tui.widgets.log_view import LogView
    from tests.tui.helpers import make_app, wait_for, wait_ready
    from tests.wsbuilder import entry, make_workspace

    codex = make_workspace(tmp_path, log=[entry(n) for n in range(1, 51)])
    reloads: list[SnapshotLoaded] = []

    def hook(message: object) -> None:
        if isinstance(message, SnapshotLoaded) and message.reason == "reload":
            reloads.append(message)

    app = make_app(codex)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_ready(pilot, app)
        view = app.screen.query_one(LogView)
        rows = view.rows
        await wait_for(pilot, lambda: all(row.haystack for row in rows), what="the search texts")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: reloads and app.snapshot is reloads[-1].snapshot, what="the reload")
        assert view.rows is rows  # not re-filtered, and no search text to build again


async def test_an_append_while_the_app_starts_is_not_missed(tmp_path: Path) -> None:
    from techcat_core.tasklog.store import append_entry
    from techcat_tui.messages import FirstScreenShown
    from techcat_tui.widgets.log_view import LogView
    from tests.tui.helpers import make_app, wait_for
    from tests.wsbuilder import entry, make_workspace

    codex = make_workspace(tmp_path, log=[entry(n) for n in range(1, 3001)])

    def hook(message: object) -> None:
        if isinstance(message, FirstScreenShown):  # after the log was read, before the watcher runs
            append_entry(codex, "planner", "Appended during start-up", [])

    app = make_app(codex, watch=True)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: view.rows and view.rows[-1].summary == "Appended during start-up",
                       what="the row appended during start-up")
        assert len(view.rows) == 3001

"""Shared helpers for the TUI tests: building the app on real workspaces and waiting on it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from techcat_tui.app import TechcatApp
from techcat_tui.config import TuiConfig
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView

SAMPLE = Path(__file__).resolve().parents[2] / "techcat_core" / "sample"


def copy_sample(destination: Path) -> Path:
    """A copy of the bundled sample repository (without MISTAKES.md); returns its `.codex/`."""
    shutil.copytree(SAMPLE, destination, dirs_exist_ok=True, ignore=shutil.ignore_patterns("MISTAKES.md",
                                                                                          "__pycache__"))
    return destination / ".codex"


def make_app(codex: Path | None, *, watch: bool = False, git: bool = False, config: TuiConfig | None = None,
             start_dir: Path | None = None) -> TechcatApp:
    return TechcatApp(codex, config=config or TuiConfig(), config_problems=[], watch=watch, git=git,
                      start_dir=start_dir)


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = 15.0,
                   what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.05)


async def read_scrolling(pilot: Pilot[Any], app: TechcatApp, box: Any, needles: tuple[str, ...],
                         what: str = "the text", timeout: float = 15.0) -> str:
    """Read the screen a page at a time, as a user scrolls `box`, until every needle has been on it.

    Fails naming the needles never seen within `timeout` seconds (not after a fixed number of pages)."""
    seen = ""

    def read_page() -> bool:
        nonlocal seen
        seen += screen_text(app)
        box.scroll_page_down(animate=False)
        return all(needle in seen for needle in needles)

    try:
        await wait_for(pilot, read_page, timeout=timeout, what=what)
    except AssertionError:
        missing = [needle for needle in needles if needle not in seen]
        raise AssertionError(f"{what}: never showed {missing} within {timeout} s") from None
    return seen


async def wait_ready(pilot: Pilot[Any], app: TechcatApp) -> None:
    """The first screen is shown, the first check has finished and, when the app watches, its watcher is in place."""
    await wait_for(pilot, lambda: app.check_result is not None and not app.check_running, what="the first check")
    if app.watch_enabled:
        await wait_for(pilot, lambda: app.watching, what="the file watcher in place")
    await pilot.pause()  # the messages the check's result queued (the problem count, the status line) are handled


def screen_text(app: TechcatApp) -> str:
    """The screen as plain text, to assert what a user would read."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notified(app: TechcatApp, fragment: str) -> bool:
    """Whether a notification containing `fragment` was raised (toasts are not drawn under run_test)."""
    return any(fragment in str(n.message) for n in app._notifications)


def selected_task(view: LogView) -> str | None:
    row = view.current_row()
    return row.task_id if row is not None else None


def selected_number(view: ProposedView) -> int | None:
    item = view.selected_item()
    return item.number if item is not None else None


def selected_agent(view: AgentsView) -> str | None:
    agent = view.selected_agent()
    return agent.name if agent is not None else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Until something accepts connections on 127.0.0.1:`port`; fails early if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")

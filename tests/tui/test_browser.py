"""`techcat serve` in a real browser: Debian's Chromium under Playwright (nothing is downloaded).

textual-serve draws the app on a canvas, so the test asserts through side effects (the checklist on
disk) and a saved screenshot, not through the DOM.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("TECHCAT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-dev-shm-usage"]


def _checklist_line(codex: Path, text: str) -> str:
    return next(line for line in (codex / "PROPOSED-TASKS.md").read_text(encoding="utf-8").splitlines()
                if text in line)


def _settled(page: Page, timeout: float = 30.0) -> None:
    """Until the canvas shows the same picture twice in a row, 0.5 s apart: the app is painted and idle.

    The canvas is the only thing to look at; a loaded machine needs far longer than an idle one. A canvas
    that is still blank or still changing at the deadline fails the test here, not at a later step."""
    deadline = time.monotonic() + timeout
    last = page.screenshot()
    while time.monotonic() < deadline:
        time.sleep(0.5)  # the poll's interval: each round compares two pictures
        shot = page.screenshot()
        if shot == last and len(shot) > 20_000:  # a blank canvas is a few kilobytes
            return
        last = shot
    raise AssertionError(f"the served app's canvas never settled on a painted picture within {timeout:g} s")


@pytest.mark.slow
def test_serve_in_chromium_queues_a_proposed_task(served: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run ./scripts/setup-browser"
    url, codex = served
    assert _checklist_line(codex, "daylight-saving").startswith("- [ ]")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.wait_for_selector("canvas", timeout=30_000)
            _settled(page)  # the app process starts and paints its first screen
            page.mouse.click(640, 400)
            page.keyboard.press("3")
            _settled(page)  # keys sent before the new tab has focus would go to the log
            for key in [*["ArrowDown"] * 6, "q"]:  # in order over one websocket: no pause needed between them
                page.keyboard.press(key)
            deadline = time.monotonic() + 20
            while not _checklist_line(codex, "daylight-saving").startswith("- [>]"):  # polls what the app wrote
                assert time.monotonic() < deadline, "PROPOSED-TASKS.md never showed the queued item"
                time.sleep(0.2)
            shot = tmp_path / "techcat-serve.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()

"""`techcat serve` in a real browser: Debian's Chromium under Playwright (nothing is downloaded).

textual-serve draws the app on a canvas, so the test asserts through side effects (the checklist on
disk) and a saved screenshot, not through the DOM.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitutil import GIT_ENV

CHROMIUM = os.environ.get("TECHCAT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"techcat serve exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"techcat serve did not listen on {port} within {timeout} s")


@pytest.fixture
def served(sample: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "serve", "--workspace", str(sample),
                                "--port", str(port)], cwd=sample.parent, env={**GIT_ENV, "NO_COLOR": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/", sample
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _checklist_line(codex: Path, text: str) -> str:
    return next(line for line in (codex / "PROPOSED-TASKS.md").read_text(encoding="utf-8").splitlines()
                if text in line)


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
            time.sleep(4)  # the app process starts and paints its first screen
            page.mouse.click(640, 400)
            for key in ["3", *["ArrowDown"] * 6, "q"]:
                page.keyboard.press(key)
                time.sleep(0.2)
            deadline = time.monotonic() + 20
            while not _checklist_line(codex, "daylight-saving").startswith("- [>]"):
                assert time.monotonic() < deadline, "PROPOSED-TASKS.md never showed the queued item"
                time.sleep(0.2)
            time.sleep(1)
            shot = tmp_path / "techcat-serve.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()

"""Starting the app: without a terminal it says so; `techcat demo` is a git repository with a history and is
removed on exit; `techcat serve` loads no web fonts from the internet."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.request
from pathlib import Path

import pytest

from techcat_core.engine import check_path
from techcat_tui.demo import UNLOGGED_MESSAGE, new_demo_copy, remove_demo_copy
from tests.gitutil import GIT_ENV, git
from tests.tui.helpers import make_app, screen_text, wait_for, wait_ready

SAMPLE_CODES = ["TC106", "TC108", "TC111", "TC113", "TC114", "TC204", "TC301", "TC302", "TC401", "TC402"]


def _techcat(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real CLI with stdin and stdout that are not a terminal, as in a script or CI."""
    try:
        return subprocess.run([sys.executable, "-m", "techcat_cli.main", *args], cwd=cwd, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`techcat {' '.join(args)}` without a terminal did not return within 90 s (it hung)")


@pytest.fixture
def private_tmp(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("args", [(), ("tui",), ("demo",)], ids=["bare", "tui", "demo"])
def test_without_a_terminal_the_app_says_so_and_exits_2(args: tuple[str, ...], sample: Path,
                                                       private_tmp: Path) -> None:
    env = {**GIT_ENV, "TMPDIR": str(private_tmp)}
    env.pop("TEXTUAL_DRIVER", None)
    result = _techcat(*args, cwd=sample.parent, env=env)
    assert result.returncode == 2
    assert "the full-screen app needs a terminal, and stdin and stdout are not one" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(private_tmp.iterdir()) == []  # `techcat demo` removed its copy


def test_demo_check_only_reports_the_sample_and_removes_its_copy(tmp_path: Path, private_tmp: Path) -> None:
    result = _techcat("demo", "--check-only", cwd=tmp_path, env={**GIT_ENV, "TMPDIR": str(private_tmp)})
    assert result.returncode == 0, result.stderr
    codes = sorted(line.split(": ")[1].split(" ")[0] for line in result.stdout.splitlines()
                   if "/.codex/" in line.split(":")[0] or line.startswith(".codex/"))
    assert codes == SAMPLE_CODES
    assert "(removed on exit)" in result.stderr
    assert list(private_tmp.iterdir()) == []


@pytest.fixture
def demo_copy(private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    codex, problem = new_demo_copy()
    assert problem is None
    yield codex
    remove_demo_copy(codex)
    assert not codex.parent.exists()


def test_the_demo_copy_is_a_repository_whose_history_tells_the_log(demo_copy: Path) -> None:
    root = demo_copy.parent
    subjects = git(root, "log", "--format=%ad %s", "--date=short").splitlines()
    assert subjects == [f"2025-07-28 {UNLOGGED_MESSAGE}", "2025-07-25 task-028…task-035: 9 logged tasks",
                        "2025-07-14 task-019…task-027: 9 logged tasks", "2025-07-07 task-010…task-018: 9 logged tasks",
                        "2025-06-27 task-001…task-009: 9 logged tasks"]
    assert git(root, "status", "--porcelain") == ""  # the working tree is the sample, every file committed
    first_log = git(root, "show", "HEAD~4:.codex/TASK-LOG.json")
    assert first_log.count('"task_id"') == 9 and first_log.rstrip().endswith("]")
    codes = sorted(d.code for d in check_path(demo_copy, git=True).diagnostics)
    assert codes == sorted([*SAMPLE_CODES, "TC404"])  # one unlogged commit; nothing rewritten


async def test_the_demo_shows_its_history_in_the_git_view_and_problems(demo_copy: Path) -> None:
    app = make_app(demo_copy, git=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("6")
        await wait_for(pilot, lambda: UNLOGGED_MESSAGE in screen_text(app), what="the recent commits")
        assert "main" in screen_text(app)
        assert app.check_result is not None
        assert "TC404" in {d.code for d in app.check_result.diagnostics}


def _read_until(fd: int, needle: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never appeared; last output: {seen[-500:]!r}")
        if select.select([fd], [], [], min(remaining, 0.2))[0]:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_techcat_demo_in_a_terminal_quits_with_q_and_removes_its_copy(tmp_path: Path, private_tmp: Path) -> None:
    env = {**GIT_ENV, "TERM": "xterm-256color", "TMPDIR": str(private_tmp),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "TECHCAT_TUI_CONFIG": str(tmp_path / "t.toml")}
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "demo"], cwd=tmp_path, env=env,
                               stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    try:
        _read_until(main, b"press 5 to see them")  # the first check is done
        copies = list(private_tmp.iterdir())
        assert len(copies) == 1 and (copies[0] / ".git").is_dir()
        os.write(main, b"q")
        deadline = time.monotonic() + 30
        while process.poll() is None:  # keep reading: a full terminal buffer would block the app
            assert time.monotonic() < deadline, "q did not quit the app"
            if select.select([main], [], [], 0.1)[0]:
                try:
                    os.read(main, 65536)
                except OSError:
                    break
        assert process.wait(timeout=10) == 0
        assert list(private_tmp.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)


def test_serve_loads_no_web_fonts_from_the_internet(served: tuple[str, Path]) -> None:
    url, _ = served
    with urllib.request.urlopen(url, timeout=30) as page:
        html = page.read().decode("utf-8")
    assert "googleapis" not in html and "gstatic" not in html
    loaded = re.findall(r'(?:href|src)="([^"]+)"|url\("([^"]+)"\)', html)
    addresses = [a or b for a, b in loaded]
    assert addresses, "the page loads nothing?"
    host = url.rstrip("/")
    assert all(a.startswith(host + "/") for a in addresses), addresses
    fonts = [a for a in addresses if a.endswith(".ttf")]
    assert len(fonts) == 2
    with urllib.request.urlopen(fonts[0], timeout=30) as font:
        assert font.status == 200 and font.read(4) == b"\x00\x01\x00\x00"  # a TrueType font, served locally


def test_the_demo_history_ignores_a_git_dir_set_around_it(private_tmp: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere.git"
    monkeypatch.setenv("GIT_DIR", str(elsewhere))  # as inside a git hook
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    codex, problem = new_demo_copy()
    try:
        assert problem is None and (codex.parent / ".git").is_dir() and not elsewhere.exists()
    finally:
        remove_demo_copy(codex)

"""tests/waiting.py: the waits tests use instead of fixed sleeps return what they waited for and fail naming it."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.waiting import async_wait_until, inotify_watches, wait_for_file_watch, wait_until

needs_proc = pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="no /proc fdinfo on this system")

# One change under the folder, as a watcher sees it: printed, then the process waits for its stdin to close.
WATCHER = textwrap.dedent("""
    import sys
    from watchfiles import watch
    for changes in watch(sys.argv[1], debounce=50, rust_timeout=60_000):
        print(sorted(path for _action, path in changes), flush=True)
        break
    sys.stdin.read()
""")


def test_wait_until_returns_the_first_truthy_value() -> None:
    calls: list[int] = []

    def third_time() -> list[int]:
        calls.append(1)
        return calls if len(calls) == 3 else []

    assert wait_until(third_time, "the third call", interval=0) == [1, 1, 1]


def test_wait_until_fails_naming_what_never_happened() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"^waited 0\.2 s for the moon to turn blue; it never happened$"):
        wait_until(lambda: False, "the moon to turn blue", timeout=0.2)
    assert time.monotonic() - started >= 0.2


async def test_async_wait_until_lets_the_loop_run_meanwhile() -> None:
    import asyncio

    done = asyncio.Event()
    asyncio.get_running_loop().call_soon(done.set)
    assert await async_wait_until(done.is_set, "the callback") is True
    with pytest.raises(AssertionError, match=r"waited 0\.1 s for nothing at all"):
        await async_wait_until(lambda: None, "nothing at all", timeout=0.1)


@needs_proc
def test_a_process_watching_the_folder_is_seen_and_sees_the_next_change(tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    child = subprocess.Popen([sys.executable, "-c", WATCHER, str(folder)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        wait_for_file_watch(child, folder)
        (folder / "new.txt").write_text("made once the watch was seen\n")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == repr([str(folder / "new.txt")])
    finally:
        child.communicate(timeout=60)


@needs_proc
def test_a_process_that_does_not_watch_the_folder_fails_the_wait(tmp_path: Path) -> None:
    idle = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        never = re.escape(f"waited 0.3 s for process {idle.pid} to watch {tmp_path}; it never happened")
        with pytest.raises(AssertionError, match=never):
            wait_for_file_watch(idle, tmp_path, timeout=0.3)
        assert inotify_watches(idle.pid) == set()
    finally:
        idle.communicate(timeout=60)
    ended = re.escape(f"process {idle.pid} ended (exit 0) before it watched {tmp_path}")
    with pytest.raises(AssertionError, match=ended):
        wait_for_file_watch(idle, tmp_path)

"""`techcat tui` in a real pseudo-terminal: it starts, hands over to $EDITOR at the right line, and quits."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.gitutil import GIT_ENV


def _read_until(fd: int, needle: bytes, timeout: float = 30.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never appeared; last output: {seen[-500:]!r}")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_techcat_tui_runs_in_a_terminal_and_opens_the_editor_at_the_entry(sample: Path, tmp_path: Path) -> None:
    calls = tmp_path / "editor-calls.txt"
    editor = tmp_path / "bin" / "vi"  # named like vi, so it gets `+LINE PATH`
    editor.parent.mkdir()
    editor.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n", encoding="utf-8")
    editor.chmod(0o755)
    env = {**GIT_ENV, "EDITOR": str(editor), "VISUAL": "", "TERM": "xterm-256color",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "TECHCAT_TUI_CONFIG": str(tmp_path / "t.toml")}
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a 120x40 terminal
    process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "tui"], cwd=sample.parent, env=env,
                               stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    try:
        _read_until(main, b"press 5 to see them")  # the first check is done: the app is fully up
        os.write(main, b"e")  # the selected entry, task-035, in $EDITOR
        deadline = time.monotonic() + 20
        while not calls.exists():
            assert time.monotonic() < deadline, "the editor was never started"
            time.sleep(0.1)
        assert calls.read_text(encoding="utf-8").split() == ["+335", str(sample / "TASK-LOG.json")]
        # Back in the app: the driver turns bracketed paste on only after it has set the terminal raw again and
        # started reading keys; a ctrl+q sent before that would be taken by the terminal as XON and lost.
        resumed = _read_until(main, b"\x1b[?2004h")
        if b"task-035" not in resumed:
            _read_until(main, b"task-035")  # and it has painted the log again
        os.write(main, b"\x11")  # ctrl+q
        deadline = time.monotonic() + 20
        while process.poll() is None:  # keep reading: a full terminal buffer would block the app
            assert time.monotonic() < deadline, "ctrl+q did not quit the app"
            if select.select([main], [], [], 0.1)[0]:
                try:
                    os.read(main, 65536)
                except OSError:
                    break
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)

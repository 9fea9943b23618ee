"""Waiting for what a program reports, never for a fixed time (issue 15 §3).

A test that sleeps "so the other side gets going" passes on an idle machine and fails on a busy one.
These helpers poll something observable (a file, a recorded request, an event, the kernel's own
record of a process's file watches) until it holds, with a deadline generous enough for a loaded machine,
and fail naming what never happened.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DEADLINE = 60.0  # seconds: far beyond any healthy wait, short enough to end a hung test


def wait_until(predicate: Callable[[], T], what: str, timeout: float = DEADLINE, interval: float = 0.01) -> T:
    """Return `predicate()`'s first truthy value; fail naming `what` if none comes within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; it never happened")
        time.sleep(interval)


async def async_wait_until(predicate: Callable[[], T], what: str, timeout: float = DEADLINE,
                           interval: float = 0.01) -> T:
    """`wait_until` inside an event loop: the loop (and the runs on it) go on between the polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; it never happened")
        await asyncio.sleep(interval)


def _kernel_dev(status: os.stat_result) -> int:
    """`st_dev` as the kernel prints it in fdinfo (its own MAJOR << 20 | MINOR, not the user-space encoding)."""
    return (os.major(status.st_dev) << 20) | os.minor(status.st_dev)


def inotify_watches(pid: int) -> set[tuple[int, int]] | None:
    """The (device, inode) pairs process `pid` holds inotify watches on, from /proc; None where /proc cannot say."""
    fdinfo = Path(f"/proc/{pid}/fdinfo")
    try:
        names = os.listdir(fdinfo)
    except OSError:
        return None
    watches: set[tuple[int, int]] = set()
    for name in names:
        try:
            text = (fdinfo / name).read_text()
        except OSError:  # closed meanwhile
            continue
        for line in text.splitlines():
            if line.startswith("inotify "):
                fields = dict(part.split(":", 1) for part in line.split()[1:] if ":" in part)
                watches.add((int(fields["sdev"], 16), int(fields["ino"], 16)))
    return watches


def watches_folder(pid: int, folder: Path) -> bool | None:
    """Whether process `pid` holds an inotify watch on `folder` now; None where /proc cannot say."""
    watches = inotify_watches(pid)
    if watches is None or inotify_watches(os.getpid()) is None:
        return None
    status = folder.stat()
    return (_kernel_dev(status), status.st_ino) in watches


def wait_for_file_watch(process: subprocess.Popen[Any], folder: Path, timeout: float = DEADLINE) -> None:
    """Wait until `process` watches `folder` (inotify), so a change made from now on reaches its watcher.

    The kernel's record is what counts, not the program's own word: a watch placed is a change seen.
    Where /proc has no such record to read (not Linux), there is nothing to wait on."""
    status = folder.stat()
    wanted = (_kernel_dev(status), status.st_ino)
    if inotify_watches(os.getpid()) is None:
        return

    def watching() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"process {process.pid} ended (exit {process.returncode}) before it watched {folder}")
        return wanted in (inotify_watches(process.pid) or set())

    wait_until(watching, f"process {process.pid} to watch {folder}", timeout)

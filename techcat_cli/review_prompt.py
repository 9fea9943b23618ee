"""`techcat run --review`: the run's changes as a diff, then "Apply these changes? [y/N]" on the terminal.

The answer is read on a daemon thread, so Ctrl+C (which cancels the run) never leaves the process waiting for a
line nobody will type.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

QUESTION = "Apply these changes? [y/N] "
_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
_RESET, _BOLD = "\x1b[0m", "\x1b[1m"


def visible(text: str) -> str:
    """Control characters (but newline and tab) shown as escapes: a file's own escape sequences must not move the
    cursor or erase lines of the diff being reviewed (a hidden change would be approved unseen)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def coloured_diff(diff: str, colour: bool) -> str:
    """The unified diff, its added lines green, removed red, hunk headers cyan (when `colour`); control
    characters are always shown as escapes."""
    diff = visible(diff)
    if not colour:
        return diff
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(f"{_BOLD}{line.rstrip(chr(10))}{_RESET}\n")
        elif line[:1] in _COLOURS:
            out.append(f"{_COLOURS[line[:1]]}{line.rstrip(chr(10))}{_RESET}\n")
        else:
            out.append(line)
    return "".join(out)


async def _read_line(stream: TextIO) -> str | None:
    """One line from `stream` (None at end of input), read on a daemon thread."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def read() -> None:
        try:
            line: str | None = stream.readline()
        except (OSError, ValueError):
            line = None
        if not line:
            line = None
        loop.call_soon_threadsafe(_settle, future, line)

    threading.Thread(target=read, name="techcat-review-answer", daemon=True).start()
    return await future


def _settle(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


def terminal_reviewer(before_asking: Callable[[], None], assume_yes: bool, out: TextIO = sys.stdout,
                      stdin: TextIO = sys.stdin) -> Callable[[Any], Awaitable[str]]:
    """The CLI's reviewer: print the diff, ask, and answer "approve" only for y/yes (or at once with --yes)."""

    async def review(changes: Any) -> str:
        before_asking()
        out.write(f"\n{_summary(changes)}\n")
        out.write(coloured_diff(changes.diff(), out.isatty()))
        if assume_yes:
            out.write("Applying (--yes).\n")
            out.flush()
            return "approve"
        out.write(QUESTION)
        out.flush()
        answer = await _read_line(stdin)
        if answer is None:
            out.write("\n")
        approved = answer is not None and answer.strip().lower() in ("y", "yes")
        out.write("Applying.\n" if approved else "Discarded: nothing was written and nothing logged.\n")
        out.flush()
        return "approve" if approved else "discard"

    return review


def _summary(changes: Any) -> str:
    kinds = [f"{change.kind} {visible(change.path)}" for change in changes.changes]
    count = len(kinds)
    return f"The run changes {count} file{'s' if count != 1 else ''}: " + ", ".join(kinds)

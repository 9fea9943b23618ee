"""Run one executor as a process group: stream what it prints, stop it whole on cancel or timeout.

An external coding agent starts helpers of its own (shells, test runners, language servers); ending only the
process we started would leave them editing a worktree that is about to be removed. So the executor gets a
session of its own, and every way out of a run (success, failure, cancel, timeout, a consumer that stops
reading) ends with the whole group signalled: SIGTERM, a grace period, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Mapping
from pathlib import Path
from typing import Final

from techcat_core.runs.scrub import scrub

MAX_LINE_CHARS: Final = 4000  # a longer line is cut and marked
MAX_TOTAL_BYTES: Final = 2 * 1024 * 1024  # after this much, lines are still read but no longer passed on
TERM_GRACE: Final = 3.0  # seconds between SIGTERM and SIGKILL
STDERR_TAIL: Final = 5  # stderr lines quoted when an executor fails
DRAIN_GRACE: Final = 5.0  # seconds its pipes may stay open after it exited and its group was ended
QUEUE_LINES: Final = 256
_READ_CHUNK: Final = 65536


class ExecutorFailed(Exception):
    """The executor could not start, exited non-zero or ran out of time; the message is one sentence."""


class ExecutorUnavailable(ExecutorFailed):
    """The executor's program is not installed; the message names how to install it."""


_EOF: Final = object()
_EXITED: Final = object()
_CANCEL: Final = object()
_TIMEOUT: Final = object()


async def stream_process(argv: list[str], *, cwd: Path, env: Mapping[str, str], stdin: bytes | None, label: str,
                         secrets: Iterable[str], cancel: asyncio.Event | None, timeout: float | None,
                         timeout_setting: str) -> AsyncGenerator[str, None]:
    """Yield the lines `argv` prints (stdout and stderr, as they come), scrubbed of `secrets` and capped.

    Returns when it exits 0; raises ExecutorFailed when it fails or times out, asyncio.CancelledError on `cancel`.
    """
    secrets = list(secrets)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=dict(env), start_new_session=True,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExecutorFailed(scrub(f"the {label} executor could not start {argv[0]!r}: {reason}", secrets)) from None
    except ValueError:  # a NUL, or a lone surrogate, in an argument or the environment (UnicodeEncodeError too)
        raise ExecutorFailed(f"the {label} executor could not start: its command line or environment holds a NUL "
                             "character or text that is not valid Unicode") from None
    queue: asyncio.Queue[object] = asyncio.Queue(QUEUE_LINES)  # bounded: a flood waits for the reader
    tail: deque[str] = deque(maxlen=STDERR_TAIL)
    assert proc.stdout is not None and proc.stderr is not None
    tasks = [asyncio.create_task(_read_lines(proc.stdout, "stdout", queue)),
             asyncio.create_task(_read_lines(proc.stderr, "stderr", queue)),
             asyncio.create_task(_reap(proc, queue)),
             asyncio.create_task(_watch(cancel, timeout, queue))]
    if stdin is not None:
        tasks.append(asyncio.create_task(_feed(proc, stdin)))
    shown = 0
    pending = 3  # two pipes at end of file, and the process gone
    drain_until: float | None = None  # once it has exited: how long its pipes may take to close
    loop = asyncio.get_running_loop()
    try:
        while pending:
            try:
                item = await asyncio.wait_for(queue.get(), None if drain_until is None else
                                              max(0.0, drain_until - loop.time()))
            except TimeoutError:
                break  # something that left its process group still holds a pipe: stop listening to it
            if item is _EXITED:
                drain_until = loop.time() + DRAIN_GRACE
            if item is _EOF or item is _EXITED:
                pending -= 1
                continue
            if item is _CANCEL:
                await terminate_group(proc)
                raise asyncio.CancelledError(f"the {label} executor was cancelled")
            if item is _TIMEOUT:
                await terminate_group(proc)
                raise ExecutorFailed(f"the {label} executor did not finish within {timeout:g} s "
                                     f"({timeout_setting}); it was stopped with everything it started")
            assert isinstance(item, tuple)
            stream, line = item
            if stream == "stderr":
                tail.append(line)  # scrubbed with the failure sentence, if it comes to that
            if shown <= MAX_TOTAL_BYTES:
                shown += len(line.encode("utf-8", "replace")) + 1
                yield scrub(line, secrets) if shown <= MAX_TOTAL_BYTES else \
                    f"[… TechCat shows no more of the executor's output: over {MAX_TOTAL_BYTES} bytes]"
    finally:
        for task in tasks:
            task.cancel()
        try:
            if proc.returncode is None or _group_alive(proc.pid):
                await terminate_group(proc)
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        finally:  # also when cancelled again while ending the group
            transport = getattr(proc, "_transport", None)  # our ends of the pipes, whoever else holds theirs
            if transport is not None:
                transport.close()
    code = proc.returncode
    if code != 0:
        raise ExecutorFailed(failure_sentence(label, code, list(tail), secrets))


def failure_sentence(label: str, code: int | None, tail: list[str], secrets: Iterable[str]) -> str:
    """One sentence: how it ended, and the last lines of its stderr (scrubbed, shortened)."""
    if code is not None and code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with status {code}"
    said = " / ".join(line.strip() for line in tail if line.strip())
    if len(said) > 600:
        said = "…" + said[-599:]
    text = f"the {label} executor {how}" + (f"; the end of its stderr: {said}" if said else " and printed nothing "
                                            "on stderr")
    return scrub(text, secrets)


async def terminate_group(proc: asyncio.subprocess.Process, grace: float = TERM_GRACE) -> None:
    """SIGTERM the process's whole group, SIGKILL it after `grace` seconds, and reap the process."""
    _signal_group(proc.pid, signal.SIGTERM)
    if proc.returncode is None:
        try:
            await asyncio.wait_for(exited(proc), grace)
        except TimeoutError:
            pass
        except asyncio.CancelledError:  # cancelled again while waiting (a second Ctrl+C): no more grace
            _signal_group(proc.pid, signal.SIGKILL)
            raise
    _signal_group(proc.pid, signal.SIGKILL)  # whatever ignored SIGTERM, or outlived its parent
    await exited(proc)


async def exited(proc: asyncio.subprocess.Process) -> int:
    """Its exit status, as soon as it exits. Not `proc.wait()`: that also waits for every holder of its pipes
    to close them, and a helper that escaped the process group could hold them for ever."""
    if proc.returncode is None:
        await _pid_exit(proc.pid)
    while proc.returncode is None:  # asyncio's child watcher reaps it a moment later
        await asyncio.sleep(0.005)
    return proc.returncode


async def _pid_exit(pid: int) -> None:
    """Return when `pid` exits: a pidfd becomes readable (Linux), else a light poll."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):  # not Linux, or too old a kernel
        while _pid_alive(pid):
            await asyncio.sleep(0.05)
        return
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


async def _reap(proc: asyncio.subprocess.Process, queue: asyncio.Queue[object]) -> None:
    """Wait for the executor, then end what it left behind (their open pipes would keep the run waiting)."""
    await exited(proc)
    _signal_group(proc.pid, signal.SIGKILL)
    await queue.put(_EXITED)


async def _watch(cancel: asyncio.Event | None, timeout: float | None, queue: asyncio.Queue[object]) -> None:
    never: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    try:
        await asyncio.wait_for(cancel.wait() if cancel is not None else never, timeout)
    except TimeoutError:
        await queue.put(_TIMEOUT)
    else:
        await queue.put(_CANCEL)


async def _feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.close()


async def _read_lines(reader: asyncio.StreamReader, stream: str, queue: asyncio.Queue[object]) -> None:
    """Put each line as it arrives; a line longer than MAX_LINE_CHARS is cut and the rest skipped."""
    limit = MAX_LINE_CHARS * 4  # bytes: the worst case of UTF-8
    buffer = b""
    skipping = False
    while chunk := await reader.read(_READ_CHUNK):
        buffer += chunk
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                break
            line, buffer = buffer[:end], buffer[end + 1:]
            if skipping:
                skipping = False
                continue
            await queue.put((stream, _text(line)))
        if len(buffer) > limit and not skipping:
            await queue.put((stream, _text(buffer[:limit], cut=True)))
            skipping, buffer = True, b""
        elif skipping:
            buffer = b""
    if buffer and not skipping:
        await queue.put((stream, _text(buffer)))
    await queue.put(_EOF)


def _text(data: bytes, cut: bool = False) -> str:
    text = data.decode("utf-8", "replace").rstrip("\r")
    return text[:MAX_LINE_CHARS] + " […]" if cut or len(text) > MAX_LINE_CHARS else text

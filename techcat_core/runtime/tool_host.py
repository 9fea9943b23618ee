"""Where a run's tools read and write: one checkout, the confinement rule, and staged writes (issue 13 §1).

Every read goes through `techcat_core.confine.read_bounded` and every write through `confine.writable` with
the run's checkout standing for the repository, so a worktree is held to exactly the rule the user's
repository is. In a worktree (`write_through=True`) writes land on its disk at once: the worktree is the
staging area and commands see them. In place (`write_through=False`) nothing touches disk: writes are kept
in an overlay that later reads, listings and searches see, and `staged()` hands them to the runner, which
applies them all or nothing as it does a single reply's files.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.confine import (
    DEFAULT_MAX_FILE_BYTES,
    BoundedRead,
    Refused,
    glob_match,
    is_git_path,
    is_literal,
    normalise,
    path_problem,
    read_bounded,
    writable,
)
from techcat_core.runtime.changes import ChangeSet, FileChange
from techcat_core.runtime.settings import CommandSpec

__all__ = ["CommandOutcome", "CommandSpec", "ToolHost"]

MAX_WALK = 200_000  # entries a listing looks at, however large the tree
MAX_FILE_BYTES = 4 * 1024 * 1024  # the most of one file a tool reads or edits
MAX_BEFORE_BYTES = DEFAULT_MAX_FILE_BYTES  # a file a write replaces is kept whole for the diff and the landing
MAX_COMMAND_OUTPUT = 24 * 1024  # bytes of a command's output kept (its start and its end), within a tool result
SEARCH_SECONDS = 5.0  # a search whose pattern backtracks catastrophically is stopped here
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL for a command's process group
SECRET_ENV = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")
_SKIPPED_FOLDERS = (".codex/.techcat",)  # TechCat's own state: run records, claims, caches


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What a named command did: its exit code (None when killed), its capped output, and why it was stopped."""

    name: str
    exit_code: int | None
    output: str
    truncated: bool
    timed_out: bool
    seconds: float


class ToolHost:
    """The files and commands one run's tools may use; see the module docstring for the two modes."""

    def __init__(self, root: Path, repo_root: Path, outputs: Sequence[str], *, write_through: bool,
                 commands: Mapping[str, CommandSpec] | Sequence[CommandSpec] = (), hooks: tuple[str, ...] = (),
                 secrets: Sequence[str] = (), search_seconds: float = SEARCH_SECONDS,
                 env: Mapping[str, str] | None = None, max_before_bytes: int = MAX_BEFORE_BYTES) -> None:
        self.root = root
        self.repo_root = repo_root
        self.outputs = [normalise(o) for o in outputs]
        self.write_through = write_through
        specs = commands.values() if isinstance(commands, Mapping) else commands
        self.commands: dict[str, CommandSpec] = {spec.name: spec for spec in specs}
        self.hooks = hooks
        self.secrets = tuple(s for s in secrets if s and len(s) >= 6)
        self.search_seconds = search_seconds  # how long one search may run (a backtracking pattern is stopped)
        self.env = env  # the environment commands start from (None: this process's), keys taken out
        self.max_before_bytes = max_before_bytes
        self._overlay: dict[str, bytes | None] = {}  # in place: path -> content (None: deleted)
        self._before: dict[str, bytes | None] = {}  # every written path -> its content before the first write

    # -- what the run changed ---------------------------------------------------------------------------------

    def staged(self) -> dict[str, bytes | None]:
        """Every path the tools wrote (repository-relative) and its content now (None: deleted)."""
        if not self.write_through:
            return dict(self._overlay)
        return {path: self._disk(path) for path in self._before}

    def changes(self) -> ChangeSet:
        """The staged writes against what each file held before the run wrote it; unchanged files left out."""
        now = self.staged()
        return ChangeSet(tuple(FileChange(path, self._before[path], now[path]) for path in sorted(now)
                               if now[path] != self._before[path]))

    # -- reading ----------------------------------------------------------------------------------------------

    def read(self, path: str, limit: int = MAX_FILE_BYTES) -> BoundedRead:
        """At most `limit` bytes of `path`, the overlay first; `Refused`, FileNotFoundError, IsADirectoryError."""
        normal = self._checked(path)
        if normal in self._overlay:
            data = self._overlay[normal]
            if data is None:
                raise FileNotFoundError(path)
            return BoundedRead(self.root / normal, data[:limit], len(data), len(data) > limit)
        if self._is_overlay_folder(normal):
            raise IsADirectoryError(path)
        return read_bounded(self.root, normal, limit)

    def files(self) -> Iterator[str]:
        """Every file of the checkout (git's view, ignored files left out, when it is a git checkout), with the
        overlay applied, in path order; at most MAX_WALK are looked at."""
        found = set(self._git_files() or self._walked_files())
        for path, data in self._overlay.items():
            if data is None:
                found.discard(path)
            else:
                found.add(path)
        yield from sorted(p for p in found if not self._skipped(p))

    def listing(self, pattern: str, limit: int) -> tuple[list[str], bool]:
        """The files matching the glob, at most `limit`, and whether more matched."""
        matched: list[str] = []
        every = pattern in ("", "**", "**/*")
        folder = normalise(pattern).rstrip("/") + "/" if is_literal(pattern) and not every else None
        for path in self.files():  # a plain folder name lists what is in it, as `ls` would
            if every or glob_match(pattern, path) or (folder is not None and path.startswith(folder)):
                if len(matched) == limit:
                    return matched, True
                matched.append(path)
        return matched, False

    # -- writing ----------------------------------------------------------------------------------------------

    def write(self, path: str, data: bytes) -> str:
        """Stage `data` as the content of `path` if this agent may write it (else `Refused`); its normal form."""
        target = writable(self.root, path, self.outputs, self.hooks)
        normal = target.relative_to(self.root).as_posix()
        if not self.write_through:
            self._check_overlay_shape(normal)
        if normal not in self._before:
            self._before[normal] = self._current(normal)
        if self.write_through:
            write_atomic(target, data, root=self.root)
        else:
            self._overlay[normal] = data
        return normal

    def _current(self, normal: str) -> bytes | None:
        if normal in self._overlay:
            return self._overlay[normal]
        return self._disk(normal)

    def _disk(self, normal: str) -> bytes | None:
        """The whole file as it is on disk (None: there is none); a file over `max_before_bytes` is an OSError, so a
        change is never recorded against the first part of a file only."""
        try:
            read = read_bounded(self.root, normal, self.max_before_bytes)
        except (FileNotFoundError, IsADirectoryError, Refused):
            return None
        except OSError:
            return None
        if read.truncated:
            raise OSError(errno.EFBIG, f"{normal} is over {self.max_before_bytes:,} bytes, too large for a run to "
                          "change")
        return read.data

    # -- commands ---------------------------------------------------------------------------------------------

    async def run_command(self, name: str, cancel: asyncio.Event | None = None) -> CommandOutcome:
        """Run the named command in the checkout, in its own process group, killed whole on timeout or cancel.

        The model names a command; it cannot add arguments. The child gets no API key in its environment
        and its output is capped (start and end kept) with any key that still shows redacted.
        """
        spec = self.commands[name]
        base = os.environ if self.env is None else self.env
        env = {k: v for k, v in base.items() if k not in SECRET_ENV and v not in self.secrets}
        loop = asyncio.get_running_loop()
        started = loop.time()
        process = await asyncio.create_subprocess_exec(
            *spec.argv, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        capture = _Capture(MAX_COMMAND_OUTPUT)
        assert process.stdout is not None
        reading = asyncio.ensure_future(capture.drain(process.stdout))
        waiting = asyncio.ensure_future(process.wait())
        cancelled = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
        timed_out = False
        try:
            done, _ = await asyncio.wait({waiting} | ({cancelled} if cancelled else set()), timeout=spec.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if waiting not in done:
                timed_out = cancelled is None or cancelled not in done
                await _stop_group(process)
        except asyncio.CancelledError:
            await _stop_group(process)
            raise
        finally:
            if cancelled is not None:
                cancelled.cancel()
            _kill_group(process.pid, signal.SIGKILL)  # what it left running in the background
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(reading, timeout=KILL_GRACE)
            reading.cancel()
            waiting.cancel()
        if cancel is not None and cancel.is_set():
            raise asyncio.CancelledError
        text = capture.text()
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return CommandOutcome(name, None if timed_out else process.returncode, text, capture.truncated, timed_out,
                              loop.time() - started)

    # -- helpers ----------------------------------------------------------------------------------------------

    def _checked(self, path: str) -> str:
        problem = path_problem(path)
        if problem:
            raise Refused(path, problem, "name a file inside the repository, relative to its top")
        normal = normalise(path)
        if ".." in normal.split("/"):
            raise Refused(path, "has a `..` part", "name the file directly, relative to the repository's top")
        if is_git_path(normal):
            raise Refused(path, "lies inside .git/", "TechCat never reads git's own files")
        return normal

    def _check_overlay_shape(self, normal: str) -> None:
        """In place, a staged file and a staged folder may not share a name (the disk could not hold both)."""
        parts = normal.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if self._overlay.get(parent) is not None:
                raise NotADirectoryError(f"{parent} is a file this run wrote, so {normal} cannot be inside it")
        if self._is_overlay_folder(normal):
            raise IsADirectoryError(f"{normal} is a folder of files this run wrote")

    def _is_overlay_folder(self, normal: str) -> bool:
        prefix = normal + "/"
        return any(p.startswith(prefix) and data is not None for p, data in self._overlay.items())

    def _skipped(self, path: str) -> bool:
        return is_git_path(path) or any(path == f or path.startswith(f + "/") for f in _SKIPPED_FOLDERS)

    def _git_files(self) -> list[str] | None:
        """`git ls-files` (tracked and untracked, ignored ones left out) that still exist; None outside git."""
        if not os.path.lexists(self.root / ".git"):
            return None
        try:
            done = subprocess.run(
                ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=self.root, capture_output=True, timeout=30, check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0:
            return None
        names = [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n][:MAX_WALK]
        return [n for n in dict.fromkeys(names) if os.path.lexists(self.root / n)]

    def _walked_files(self) -> list[str]:
        found: list[str] = []
        seen = 0
        for folder, dirs, names in os.walk(self.root):
            relative = Path(folder).relative_to(self.root).as_posix()
            dirs[:] = sorted(d for d in dirs if not self._skipped(d if relative == "." else f"{relative}/{d}"))
            for name in names:
                seen += 1
                if seen > MAX_WALK:
                    return found
                found.append(name if relative == "." else f"{relative}/{name}")
        return found


class _Capture:
    """A command's output: its first half-cap and its last half-cap of bytes, however much it prints."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    async def drain(self, stream: asyncio.StreamReader) -> None:
        half = self.cap // 2
        while True:
            chunk = await stream.read(64 * 1024)
            if not chunk:
                return
            room = half - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            self.tail += chunk
            if len(self.tail) > half:
                self.dropped += len(self.tail) - half
                del self.tail[:len(self.tail) - half]

    def text(self) -> str:
        middle = f"\n[… {self.dropped:,} bytes of output left out …]\n" if self.dropped else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle + bytes(self.tail).decode("utf-8", "replace"))


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    """SIGTERM to the whole group, SIGKILL after a grace period; returns once the leader has exited."""
    _kill_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), timeout=KILL_GRACE)
    except TimeoutError:
        _kill_group(process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            await process.wait()

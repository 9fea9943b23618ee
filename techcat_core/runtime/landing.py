"""Landing a run's changes in the user's working tree: confined, three-way, all or nothing (issue 13 §2-§3).

Every path is checked with the core's one confinement rule (`techcat_core.confine.writable`) against the agent's
outputs first: one stray path refuses the whole run and nothing is applied. Each file is then merged three ways
(base: the file where the run started; ours: the user's file now; theirs: the run's), with `git merge-file`, so
the user's uncommitted edits survive; a conflict refuses the run and names every conflicting file. All merged
contents are computed before anything is written; then the files and the task-log entry are written in one
synchronous step that puts every file back if any write or the append fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techcat_core.atomic import write_atomic
from techcat_core.confine import Refused, shown_path, writable
from techcat_core.runtime.changes import ChangeSet, FileChange

MAX_SHOWN_CONFLICTS = 10


class LandingRefused(Exception):
    """The run's changes cannot land; the message is one sentence naming the path(s) and saying nothing was
    applied. `paths` are the files at fault."""

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.paths = tuple(paths)


@dataclass(frozen=True, slots=True)
class Landing:
    """One file as it will be written: its merged content (None: removed) and the mode to give it."""

    relative: str
    path: Path  # absolute, inside the repository, through the confinement rule
    content: bytes | None
    mode: int | None  # git's mode (0o100755 executable, 0o100644 not), None: keep the file's own
    merged: bool  # the user's own edits were kept alongside the run's


def foreign_codex(root: Path, codex_dir: Path | None, relative: str) -> str | None:
    """Why `relative` (repository-relative) lies in a `.codex` folder other than the workspace's own, or None.

    Paths are relative to the repository root (its git top level). A workspace whose `.codex` is not at that top
    (a nested workspace, or a stray `.git` in a parent folder such as /tmp) would otherwise have `.codex/X` land
    in the top's `.codex`: another workspace, or a folder outside its own."""
    if codex_dir is None:
        return None
    parts = relative.split("/")
    folded = [part.casefold() for part in parts]
    if ".codex" not in folded:
        return None
    at = folded.index(".codex")
    try:
        own = Path(os.path.realpath(codex_dir)).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return None  # a .codex outside the root is refused where the workspace is located
    if "/".join(folded[:at + 1]) == own.casefold():
        return None
    rest = "/".join(parts[at + 1:])
    return (f"lies in {root / '/'.join(parts[:at + 1])}, not in this workspace's {codex_dir} (paths are relative to "
            f"the repository root {root}; name it {own}/{rest} in Output:)")


def confined(root: Path, changes: ChangeSet, outputs: list[str], hooks: tuple[str, ...] = (),
             codex_dir: Path | None = None) -> dict[str, Path]:
    """Every changed path through the confinement rule, and inside no `.codex` but the workspace's own
    (`codex_dir`); the first stray path refuses the whole run."""
    paths: dict[str, Path] = {}
    for change in changes.changes:
        foreign = foreign_codex(root, codex_dir, change.path)
        if foreign is not None:
            raise LandingRefused(f'the run changed "{shown_path(change.path)}", which {foreign}; the whole run was '
                                 "refused and nothing was applied", [change.path])
        try:
            paths[change.path] = writable(root, change.path, outputs, hooks)
        except Refused as error:
            raise LandingRefused(f'the run changed "{error.shown}", which {error.reason}; the whole run was refused '
                                 "and nothing was applied", [change.path]) from None
    return paths


def plan_landing(root: Path, changes: ChangeSet, outputs: list[str], hooks: tuple[str, ...] = (),
                 codex_dir: Path | None = None) -> list[Landing]:
    """What landing `changes` writes, every file merged with the user's current one; nothing is written here."""
    paths = confined(root, changes, outputs, hooks, codex_dir)
    landings: list[Landing] = []
    conflicts: list[str] = []
    for change in changes.changes:
        path = paths[change.path]
        ours = _current(path, change.path)
        merged = merge3(change.before, ours, change.after)
        if merged is _CONFLICT:
            conflicts.append(change.path)
            continue
        content = merged if isinstance(merged, bytes) or merged is None else None
        landings.append(Landing(change.path, path, content, change.mode, ours not in (change.before, change.after)))
    if conflicts:
        shown = ", ".join(shown_path(p) for p in conflicts[:MAX_SHOWN_CONFLICTS])
        more = f" and {len(conflicts) - MAX_SHOWN_CONFLICTS} more" if len(conflicts) > MAX_SHOWN_CONFLICTS else ""
        raise LandingRefused(f"the run's changes conflict with what changed in {shown}{more} since it started "
                             "(your edits or another run's); nothing was applied: settle those files and run it "
                             "again", conflicts)
    return landings


class _Conflict:
    pass


_CONFLICT = _Conflict()


def merge3(base: bytes | None, ours: bytes | None, theirs: bytes | None) -> bytes | _Conflict | None:
    """The three-way merge of one file (None: absent); `_CONFLICT` when both sides changed it incompatibly."""
    if ours == base:
        return theirs
    if theirs == base or ours == theirs:
        return ours
    if base is None or ours is None or theirs is None:
        return _CONFLICT  # added on both sides differently, or removed on one side and changed on the other
    if b"\0" in base or b"\0" in ours or b"\0" in theirs:
        return _CONFLICT  # binary files are not merged line by line
    return _merge_file(base, ours, theirs)


def _merge_file(base: bytes, ours: bytes, theirs: bytes) -> bytes | _Conflict:
    if shutil.which("git") is None:
        return _CONFLICT
    folder = Path(tempfile.mkdtemp(prefix="techcat-merge-"))
    try:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            (folder / name).write_bytes(data)
            names.append(str(folder / name))
        done = subprocess.run(["git", "merge-file", "-p", "-L", "yours", "-L", "start", "-L", "run", *names],
                              capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return _CONFLICT
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return done.stdout if done.returncode == 0 else _CONFLICT


def _current(path: Path, relative: str) -> bytes | None:
    """The user's file now (None: absent); `writable` has already refused anything but a regular file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise LandingRefused(f'"{shown_path(relative)}" is a folder in your working tree; nothing was applied',
                             [relative]) from None
    except OSError as error:
        raise LandingRefused(f'"{shown_path(relative)}" cannot be read ({error.strerror or error}); nothing was '
                             "applied", [relative]) from None


def land(codex_dir: Path, agent: str, landings: list[Landing], summary: str, today: dt.date,
         files: Sequence[str] | None = None) -> dict[str, Any]:
    """Write every landing and append the task-log entry: one synchronous step, all or nothing for the files.

    `files` are the entry's output files (default: the landed paths)."""
    from techcat_core.tasklog.store import append_entry

    originals: list[tuple[Path, bytes | None, int | None]] = []
    try:
        for landing in landings:
            originals.append(_original(landing.path))
            _write(landing)
        listed = list(files) if files is not None else [landing.relative for landing in landings]
        entry = append_entry(codex_dir, agent, summary, listed, today=today)
    except BaseException:
        for path, data, mode in reversed(originals):  # put every file back as it was
            with contextlib.suppress(OSError):
                if data is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomic(path, data)
                    if mode is not None:
                        os.chmod(path, mode)
        raise
    return entry


def _original(path: Path) -> tuple[Path, bytes | None, int | None]:
    try:
        return path, path.read_bytes(), stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return path, None, None


def _write(landing: Landing) -> None:
    if landing.content is None:
        landing.path.unlink(missing_ok=True)
        return
    write_atomic(landing.path, landing.content)
    if landing.mode is not None:
        current = stat.S_IMODE(os.stat(landing.path).st_mode)
        wanted = current | ((current & 0o444) >> 2) if landing.mode & 0o111 else current & ~0o111
        if wanted != current:
            os.chmod(landing.path, wanted)


def changes_of_writes(root: Path, writes: Sequence[tuple[str, bytes | None]],
                      before: dict[str, bytes | None] | None = None, keep_unchanged: bool = False) -> ChangeSet:
    """A ChangeSet for files staged in memory (a single reply's): `before` holds the start content where it was
    taken; otherwise the file as it is now is the start. `keep_unchanged` keeps files written as they were."""
    changes = []
    for relative, after in writes:
        if before is not None and relative in before:
            start = before[relative]
        else:
            try:
                start = (root / relative).read_bytes()
            except OSError:
                start = None
        if start != after or keep_unchanged:
            changes.append(FileChange(relative, start, after))
    return ChangeSet(tuple(sorted(changes, key=lambda change: change.path)))

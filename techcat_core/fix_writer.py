"""Writing fixes to disk without losing anything someone else wrote meanwhile.

A fix is computed from the text that was checked. Between that check and the write, an agent may
append to the task log or an editor may save a file; writing the fixed text then would silently drop
their change. So every file is re-read inside the task-log store's lock (the lock every append takes)
and written only if it is still exactly the text that was checked; otherwise nothing is written and
the caller checks again. A file that is not valid UTF-8 is never rewritten, since its undecodable
bytes would be replaced.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.diagnostics import Fix
from techcat_core.edits import FixConflict, apply_fixes


class FixNotApplied(Exception):
    """Nothing was written; the message says why and what to do next."""


class StaleFile(FixNotApplied):
    """A file changed on disk since it was checked: check again, then fix."""


def write_fixes(codex_dir: Path, fixes: Iterable[Fix], checked_texts: dict[Path, str],
                locked: bool = False) -> list[Path]:
    """Apply `fixes` to the files on disk as one step; returns the files changed.

    Raises StaleFile when a file no longer holds the checked text, FixNotApplied for anything else
    (conflicting edits, an unreadable or non-UTF-8 file, a failed write). Files are replaced atomically.
    `locked`: the caller already holds the task-log lock (see `engine.fix_workspace`).
    """
    fixes = list(fixes)
    paths = sorted({edit.path for fix in fixes for edit in fix.edits})
    if not paths:
        return []
    if locked:
        return _write(fixes, paths, checked_texts)
    with held_log_lock(codex_dir):
        return _write(fixes, paths, checked_texts)


@contextlib.contextmanager
def held_log_lock(codex_dir: Path) -> Iterator[None]:
    """The task-log store's lock, with its failures as FixNotApplied sentences."""
    from filelock import Timeout

    from techcat_core.tasklog.store import LOCK_TIMEOUT, log_lock

    lock = log_lock(codex_dir, LOCK_TIMEOUT)
    try:
        lock.acquire()
    except Timeout:
        raise FixNotApplied(f"another process has held the task-log lock for {LOCK_TIMEOUT:.0f} s; "
                            "try again when it has finished") from None
    except OSError as error:
        raise FixNotApplied(f"cannot take the task-log lock: {error}") from None
    try:
        yield
    finally:
        lock.release()


def _write(fixes: list[Fix], paths: list[Path], checked_texts: dict[Path, str]) -> list[Path]:
    current: dict[Path, str] = {}
    for path in paths:
        current[path] = _read_strict(path)
        if path in checked_texts and current[path] != checked_texts[path]:
            raise StaleFile(f"{path.name} changed since it was checked; check again, then fix")
    try:
        new_texts = apply_fixes(fixes, current)
    except FixConflict as error:
        raise FixNotApplied(str(error)) from None
    written: list[Path] = []
    for path, text in new_texts.items():
        if text == current.get(path):
            continue
        try:
            write_atomic(path, text)
        except OSError as error:
            raise FixNotApplied(f"cannot write {path}: {error.strerror or error}") from None
        written.append(path)
    return written


def _read_strict(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""  # a fix may create a file (an empty prompt, say)
    except OSError as error:
        raise FixNotApplied(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FixNotApplied(f"{path.name} is not valid UTF-8 (byte {error.start}); save it as UTF-8 first, "
                            "so that no byte of it is lost") from None

"""One `git worktree` bookkeeping command at a time per repository, across threads and processes.

`git worktree add` makes the new worktree's admin folder (`.git/worktrees/<name>/`) first and fills it a moment
later; any other `git worktree` command of the same repository that runs meanwhile (another run's `add`, a `remove`,
`prune` or `list`) reads that half-made folder and dies ("failed to read .git/worktrees/…/commondir"). Two runs
started at once (`max_concurrent_runs`, the TUI and an editor together) did exactly that, and one of them failed
before its executor started. So every such command of TechCat's takes this lock: an in-process lock for the runs of
one process, and a file lock for the runs of other processes, in the temporary folder, named by the user and the
repository's common git folder (never inside `.git/`: TechCat adds nothing to git's own files). Nested use in one
thread (pruning removes worktrees) takes it once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_PREFIX = "techcat-worktrees-"
LOCK_SECONDS = 120.0  # a git worktree command takes well under a second; a holder this long is stuck

_mutex = threading.RLock()
_depth = 0  # how deep the thread that holds `_mutex` is nested; guarded by `_mutex`


def lock_path(common_dir: Path) -> Path:
    """The file lock of the repository whose common git folder is `common_dir`, for this user."""
    digest = hashlib.sha1(os.fsencode(os.path.realpath(common_dir))).hexdigest()[:16]
    uid = getattr(os, "getuid", lambda: 0)()
    return Path(tempfile.gettempdir()) / f"{LOCK_PREFIX}{uid}-{digest}.lock"


class AdminLockTimeout(Exception):
    """Another process held the repository's worktree lock past LOCK_SECONDS; the message is one sentence."""


@contextlib.contextmanager
def worktree_admin(common_dir: Path | None, required: bool = True) -> Iterator[None]:
    """Hold the worktree lock of the repository whose common git folder is `common_dir` (None: this process only).

    `required=False` (removing, pruning: things that must never fail) goes ahead without the file lock when it
    cannot be had; otherwise that is AdminLockTimeout."""
    global _depth
    with _mutex:
        if _depth:
            _depth += 1
            try:
                yield
            finally:
                _depth -= 1
            return
        where = lock_path(common_dir) if common_dir is not None else None
        lock = FileLock(str(where)) if where is not None else None
        held = False
        if lock is not None:
            try:
                lock.acquire(timeout=LOCK_SECONDS)
                held = True
            except (Timeout, OSError) as error:
                if required:
                    reason = f"was held by another process for {LOCK_SECONDS:g} s" if isinstance(error, Timeout) \
                        else f"cannot be opened ({getattr(error, 'strerror', None) or error})"
                    raise AdminLockTimeout(f"the repository's worktree lock {where} {reason}") \
                        from None
        _depth = 1
        try:
            yield
        finally:
            _depth = 0
            if held and lock is not None:
                lock.release()

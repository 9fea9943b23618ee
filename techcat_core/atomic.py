"""Atomic file writes: a temp file beside the target, fsync, then rename over it.

What a plain `os.replace` would get wrong, and this gets right:

- a new file follows the umask (the temp file is created with mode 0666 and the kernel applies the
  umask, as `open()` would), and an existing file keeps its mode (and its owner, where allowed);
- a symbolic link is written through: the file it points to is replaced and the link stays a link,
  provided the target lies inside the same repository; a link out of it is refused;
- a read-only file (no write bit at all, or one this user may not write) is refused instead of
  being replaced behind the user's back, which a rename in a writable folder would allow.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

TEMP_PREFIX = ".techcat-tmp-"
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class WriteRefused(OSError):
    """TechCat will not write this file; the message is one sentence saying which file, why and what to do."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(errno.EPERM, message)
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)


def temp_prefix(path: Path) -> str:
    """Temp files name their target, so that whoever holds the target's lock knows a leftover is stale."""
    return f"{TEMP_PREFIX}{path.name}-"


def repository_of(path: Path) -> Path | None:
    """The repository a file belongs to: the nearest folder above it holding `.git`, else the folder that
    holds its `.codex/`; None for a file in neither (a user's own settings)."""
    workspace: Path | None = None
    for folder in Path(os.path.abspath(path)).parents:
        if os.path.lexists(folder / ".git"):
            return folder
        if workspace is None and folder.name == ".codex":
            workspace = folder.parent
    return workspace


def write_target(path: Path, root: Path | None = None) -> Path:
    """The file a write to `path` really replaces: `path` itself, or where its symbolic links lead.

    A link must stay inside `root` (by default the repository `path` lies in); else `WriteRefused`.
    """
    absolute = Path(os.path.abspath(path))
    real = Path(os.path.realpath(absolute))
    if real == absolute:
        return absolute
    top = root if root is not None else repository_of(absolute)
    if top is not None:
        real_top = Path(os.path.realpath(top))
        if real != real_top and real_top not in real.parents:
            raise WriteRefused(f"{path} is a symbolic link to {real}, outside the repository {real_top}; TechCat "
                               "writes only inside the repository, so nothing was written (point the link inside "
                               "it, or replace the link by the file)", absolute)
    return real


def _refuse_unwritable(path: Path, target: Path, status: os.stat_result) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise WriteRefused(f"{path} is a folder, not a file; nothing was written", target)
    if not stat.S_ISREG(status.st_mode):
        raise WriteRefused(f"{path} is not a regular file (a FIFO, socket or device); nothing was written", target)
    # Checked on the mode bits as well as with access(): root may write anything, but a file its owner
    # made read-only is a request not to change it, even by root.
    if not status.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteRefused(f"{path} is read-only (mode {stat.S_IMODE(status.st_mode):04o}); TechCat does not "
                           "replace a file you protected: make it writable (chmod u+w) and try again", target)


def _create_temp(target: Path) -> tuple[int, Path]:
    """A new, exclusive temp file beside `target`, created 0666 so that the umask decides its mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC | _BINARY
    for _ in range(100):
        candidate = target.parent / f"{temp_prefix(target)}{secrets.token_hex(4)}"
        try:
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a temp file", str(target.parent))


def write_atomic(path: Path, data: str | bytes | Sequence[bytes | memoryview], durable: bool = True,
                 root: Path | None = None) -> None:
    """Replace `path` so readers see the old or the new content, never a mix.

    `data` may be pieces written one after another (the store's append passes the old log's two halves as
    views around the new entry, so a 24 MB log is not copied into one new buffer first). `durable=False`
    skips the fsyncs, for caches that are checked before they are trusted. `root` is the folder a symbolic
    link must stay inside (default: the repository `path` lies in).
    """
    pieces: Sequence[bytes | memoryview] = (data.encode("utf-8"),) if isinstance(data, str) else \
        (data,) if isinstance(data, bytes) else data
    target = write_target(path, root)
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    if status is not None:
        _refuse_unwritable(path, target, status)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            if status is not None:
                _keep_mode_and_owner(handle.fileno(), status)
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(target.parent)


def _keep_mode_and_owner(fd: int, status: os.stat_result) -> None:
    os.fchmod(fd, stat.S_IMODE(status.st_mode))
    if hasattr(os, "fchown") and (os.fstat(fd).st_uid, os.fstat(fd).st_gid) != (status.st_uid, status.st_gid):
        with contextlib.suppress(OSError):  # only root may give a file away; others keep their own
            os.fchown(fd, status.st_uid, status.st_gid)
            os.fchmod(fd, stat.S_IMODE(status.st_mode))  # chown clears set-id bits


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

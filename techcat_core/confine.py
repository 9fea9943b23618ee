"""The one rule for which paths TechCat may read or write, and bounded, non-blocking reads.

Every front end and the runtime go through here: agent outputs, prompt parts, previews, hovers,
MCP resources and tools, and `check`'s own reads. Paths are normalised first and globs match the
normalised path, so `apps/web/../../.git/config` never passes as `apps/web/**`. A refusal is one
`Refused` exception whose message names the path, the reason and the way out.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PureWindowsPath

DEFAULT_MAX_READ_BYTES = 1024 * 1024  # a preview or one prompt part
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024  # a workspace file `check` parses (a 100k-entry log is ~43 MB)
MAX_PATH_CHARS = 4096  # PATH_MAX on Linux: a longer argument names no file
CODEX = ".codex"
TASK_LOG = "TASK-LOG.json"
_DRIVE = re.compile(r"^[A-Za-z]:")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class Refused(Exception):
    """A path TechCat will not read or write; the message is one sentence: which path, why, what to do."""

    def __init__(self, path: str, reason: str, hint: str = "", doing: str = "") -> None:
        self.path = path
        self.reason = reason
        self.hint = hint
        subject = f'{doing} "{shown_path(path)}", which' if doing else f'"{shown_path(path)}"' if path else ""
        super().__init__(" ".join(filter(None, (subject, reason))) + (f"; {hint}" if hint else ""))

    @property
    def shown(self) -> str:
        """The path as it can be quoted in a message: control characters escaped, long paths cut."""
        return shown_path(self.path)


def shown_path(path: str) -> str:
    """The path as it can be printed: control characters escaped, long paths cut."""
    text = path.encode("unicode_escape", errors="backslashreplace").decode("ascii") if not path.isprintable() \
        else path
    return text if len(text) <= 200 else text[:200] + "…"


def normalise(path: str) -> str:
    """Posix form with `.` parts, `./` and doubled or trailing slashes gone; `..` parts are kept, not resolved."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    lead = "/" if path.startswith("/") else ""
    return lead + "/".join(parts)


def _casefold_parts(path: str) -> list[str]:
    return [part.casefold() for part in path.split("/")]


# What HFS+ (macOS) ignores in a name, as git's is_hfs_dotgit lists them: `.g\u200cit` is `.git` there.
_HFS_IGNORED = dict.fromkeys([0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070),
                              0xFEFF])


def _is_git_part(part: str) -> bool:
    """`.git` in any letter case, also as Windows reads it (trailing dots and spaces, a `::$DATA`-style stream
    suffix and the 8.3 short name `GIT~1` all name the same folder there) and as macOS reads it (HFS+ skips
    zero-width and direction marks)."""
    name = part.translate(_HFS_IGNORED).split(":", 1)[0].rstrip(". ")
    return name == ".git" or name == "git~1"


def is_git_path(path: str) -> bool:
    """True when any part of the (normalised) path is `.git` in any letter case, folder or worktree file."""
    return any(_is_git_part(part) for part in _casefold_parts(path))


def is_codex_path(path: str) -> bool:
    return CODEX in _casefold_parts(path)


def is_task_log(path: str) -> bool:
    parts = _casefold_parts(path)
    return len(parts) >= 2 and parts[-1] == TASK_LOG.casefold() and parts[-2] == CODEX


def path_problem(path: str) -> str | None:
    """Why `path` cannot name a file inside the repository at all (absolute, drive, `~`, NUL, backslash, escape)."""
    if not path:
        return "is empty"
    if len(path) > MAX_PATH_CHARS:
        return f"is longer than {MAX_PATH_CHARS:,} characters"
    if "\x00" in path:
        return "contains a NUL character"
    if any("\ud800" <= char <= "\udfff" for char in path):  # a lone surrogate: no UTF-8 name (issue 11 §3)
        return "contains a lone surrogate (a `\\ud800`-style escape), which no file name can hold"
    if "\\" in path:
        return "contains a backslash (write paths with forward slashes)"
    if path.startswith("/") or _DRIVE.match(path) or PureWindowsPath(path).is_absolute():
        return "is absolute"
    if path.startswith("~"):
        return "starts with ~ (a home folder)"
    depth = 0
    for part in normalise(path).split("/"):
        depth += -1 if part == ".." else 1
        if depth < 0:
            return "escapes the repository"
    return None


def write_problem(path: str) -> str | None:
    """Why an agent may not write `path`, judged on its text alone (no file system)."""
    problem = path_problem(path)
    if problem:
        return problem
    normal = normalise(path)
    if ".." in normal.split("/"):
        return "has a `..` part (a written path names its file directly)"
    if is_git_path(normal):
        return "lies inside .git/ (git's own files are never written)"
    if is_task_log(normal):
        return "is the task log, which only the store appends to"
    return None


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """`**` spans whole folders, `*` and `?` stay within one name; no part may be `.` or `..`."""
    part = r"(?!\.\.?(?:/|\Z))"  # a path part that is not . or ..
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += rf"(?:{part}[^/]+/)*"
            i += 3
        elif pattern.startswith("**", i):
            out += rf"(?:{part}[^/]+(?:/{part}[^/]+)*)?"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def glob_match(pattern: str, path: str) -> bool:
    """Whether the normalised `path` matches the normalised glob; a path with a `..` part matches nothing."""
    normal = normalise(path)
    if not normal or ".." in normal.split("/") or normal.startswith("/"):
        return False
    return _glob_regex(normalise(pattern)).match(normal) is not None


def is_literal(pattern: str) -> bool:
    return not any(ch in pattern for ch in "*?[")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(real_root: Path, target: Path) -> str | None:
    """`target` (already resolved) relative to `real_root` in posix form, or None when it lies outside."""
    if target == real_root:
        return ""
    try:
        return target.relative_to(real_root).as_posix()
    except ValueError:
        return None


def _granted(normal: str, literals: set[str], outputs: list[str]) -> bool:
    return normal in literals or any(glob_match(g, normal) for g in outputs if not is_literal(g))


def _within(path: str, folders: tuple[str, ...]) -> str | None:
    """The folder of `folders` (repository-relative) that `path` lies in, letter case ignored, or None."""
    folded = path.casefold()
    for folder in folders:
        name = normalise(folder).casefold()
        if name and (folded == name or folded.startswith(name + "/")):
            return normalise(folder)
    return None


def writable(root: Path, path: str, outputs: list[str], hooks: tuple[str, ...] = ()) -> Path:
    """The absolute file an agent whose `Output:` is `outputs` may write for `path`, or `Refused`.

    Inside `.codex/` only a file its `Output:` names literally; never the task log, never `.git/`,
    never through a symbolic link that leads out of the repository, into `.git/` or into `.codex/`;
    a link's target must match the agent's `Output:` as well as the path the reply named. `hooks` are
    repository-relative folders git runs hooks from (`core.hooksPath`, such as `.githooks`): never written.
    """
    how = "nothing was written"
    problem = write_problem(path)
    if problem:
        raise Refused(path, problem, how)
    normal = normalise(path)
    literals = {normalise(o) for o in outputs if is_literal(o)}
    if is_codex_path(normal) and normal not in literals:
        raise Refused(path, "lies inside .codex/, which an agent writes only where its Output: names the file",
                      f"name it in the roster's Output: line to allow it; {how}")
    hooks_folder = _within(normal, hooks)
    if hooks_folder is not None:
        raise Refused(path, f"lies in {hooks_folder}/, the folder git runs hooks from (core.hooksPath)", how)
    if not _granted(normal, literals, outputs):
        raise Refused(path, f"is not among this agent's outputs ({', '.join(outputs) or 'none'})", how)
    real_root = _real(root)
    target = _real(root / normal)
    relative = _inside(real_root, target)
    if relative is None:
        raise Refused(path, "leads outside the repository through a symbolic link", how)
    if relative != normal and (is_git_path(relative) or is_codex_path(relative) or is_task_log(relative)):
        raise Refused(path, f"leads to {relative} through a symbolic link", how)
    if relative != normal and _within(relative, hooks) is not None:
        raise Refused(path, f"leads to {relative} through a symbolic link, in the folder git runs hooks from", how)
    if relative != normal and not _granted(relative, literals, outputs):  # the link's target must be granted too
        raise Refused(path, f"leads to {relative} through a symbolic link, which is not among this agent's "
                      f"outputs ({', '.join(outputs)})", how)
    try:
        kind = _kind(os.stat(target).st_mode)
    except OSError:
        kind = None  # a new file
    if kind is not None:  # a FIFO would block the backup read, a device would be written to
        raise Refused(path, f"is {kind}, not a regular file", how)
    return root / normal


@dataclass(frozen=True, slots=True)
class BoundedRead:
    """At most `limit` bytes of a regular file; `truncated` says the file went on, `size` how long it is."""

    path: Path
    data: bytes
    size: int
    truncated: bool

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def readable(root: Path, path: Path | str) -> Path:
    """The resolved file `path` names (relative to `root`, or absolute), if TechCat may read it at all.

    Refused: a path that resolves outside the repository (a symbolic link out included) or into
    `.git/`. The file type is judged when it is opened (`read_bounded`), so no check here can block.
    """
    shown = str(path)
    if isinstance(path, str):
        problem = path_problem(path)
        if problem:
            raise Refused(path, problem, "name a file inside the repository")
        path = root / normalise(path)
    elif not path.is_absolute():
        path = root / path
    real_root = _real(root)
    target = _real(path)
    relative = _inside(real_root, target)
    if relative is None:
        linked = _inside(real_root, Path(os.path.abspath(path))) is not None
        raise Refused(shown, "leads outside the repository through a symbolic link" if linked
                      else "lies outside the repository", "TechCat reads only files inside it")
    if is_git_path(relative):
        raise Refused(shown, "lies inside .git/", "TechCat never reads git's own files")
    return target


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def probe(root: Path, path: Path | str) -> Refused | None:
    """Why `path` may not be read (outside, in `.git/`, not a regular file), judged without opening it."""
    try:
        target = readable(root, path)
        mode = os.stat(target).st_mode
    except Refused as error:
        return error
    except OSError:
        return None  # missing or unreadable: the read itself says so
    kind = _kind(mode)
    if kind is not None and not stat.S_ISDIR(mode):
        return Refused(str(path), f"is {kind}", "TechCat reads only regular files")
    return None


def _opened_where_resolved(fd: int, target: Path) -> bool:
    """Where the kernel says `fd` lies, where available (Linux): a folder swapped for a symbolic link between
    resolving and opening shows up here, which O_NOFOLLOW (last part only) cannot catch."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == str(target)
    except OSError:
        return True  # no /proc: the dev/inode comparison stands alone


def read_bounded(root: Path, path: Path | str, limit: int = DEFAULT_MAX_READ_BYTES) -> BoundedRead:
    """Read at most `limit` bytes of a regular file inside the repository, never blocking on a FIFO.

    The type is checked with stat before opening, the file is opened non-blocking without following
    a last symbolic link (it was resolved already), and fstat checks it is still that same regular file.
    FileNotFoundError passes through (a missing file is the caller's ordinary case); the rest is `Refused`.
    """
    shown = str(path)
    target = readable(root, path)
    try:
        before = os.stat(target)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise Refused(shown, f"cannot be read: {error.strerror or error}", "check its permissions") from None
    kind = _kind(before.st_mode)
    if kind is not None:
        if stat.S_ISDIR(before.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(target))
        raise Refused(shown, f"is {kind}", "TechCat reads only regular files")
    try:
        fd = os.open(target, os.O_RDONLY | _NONBLOCK | _NOFOLLOW | _BINARY)
    except FileNotFoundError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Refused(shown, "was replaced by a symbolic link while being read", "try again") from None
        raise Refused(shown, f"cannot be read: {error.strerror or error}", "check its permissions") from None
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino) \
                or not _opened_where_resolved(fd, target):
            raise Refused(shown, "changed into something else while being opened", "try again")
        chunks: list[bytes] = []
        wanted = max(0, limit) + 1
        while wanted > 0:
            # one read for most files; then a small one to see the end (a second file-sized buffer costs ms)
            chunk = os.read(fd, min(wanted, max(before.st_size + 1, 64 * 1024) if not chunks else 64 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
    except OSError as error:
        raise Refused(shown, f"cannot be read: {error.strerror or error}", "check its permissions") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    truncated = len(data) > limit
    return BoundedRead(target, data[:limit] if truncated else data, max(after.st_size, len(data)), truncated)


def read_text_bounded(root: Path, path: Path | str, limit: int = DEFAULT_MAX_READ_BYTES) -> tuple[str, bool]:
    """The file's text (undecodable bytes replaced) and whether it was cut at `limit` bytes."""
    read = read_bounded(root, path, limit)
    return read.text(), read.truncated


def truncation_note(limit: int) -> str:
    return f"[… cut at {limit:,} bytes, the read limit ([limits] max_read_bytes) …]"

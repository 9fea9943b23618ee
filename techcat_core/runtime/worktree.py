"""A run's own checkout: a `git worktree` of HEAD outside the repository, so parallel runs never see each
other's half-made files (issue 13 §3).

The worktree is detached at HEAD, locked with a reason naming TechCat, the run, the pid and the host (so `git
worktree prune` leaves it alone while the run lives), and removed afterwards, on success, failure, cancel or
exception. A TechCat killed mid-run leaves a locked worktree whose pid is dead, or a lock whose folder is gone:
`prune_stale` removes those at the start of every run. Without git, or without a commit, an executor works in a
temporary copy of the tree instead (a private git repository, so its changes are read the same way), and the
built-in runtime stages its writes in memory; `isolation_problem` says why, for the `Isolated` event.
`Checkout.changes()` is what the run changed since its start: untracked files included (ignored ones not), `.git`
never, binary-safe, executable bits kept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.runtime.changes import ChangeSet, FileChange
from techcat_core.runtime.worktree_lock import AdminLockTimeout, worktree_admin

LOCK_PREFIX = "techcat run "
HOST = socket.gethostname()
MAX_CHANGED_FILE_BYTES = 64 * 1024 * 1024  # one changed file read back from a checkout
_GIT_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES")
_SKIPPED_COPY = {".git"}  # never copied into a temporary copy (nor is TechCat's own state)
_COPY_OWNER = "owner"  # the file in a temporary copy's parent folder naming the pid and host that made it


class WorktreeProblem(Exception):
    """A checkout could not be made or read; the message is one sentence."""


def _env() -> dict[str, str]:
    """The environment for git: none of a caller's GIT_DIR-style variables (a hook's), no prompts."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_VARIABLES}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _git(cwd: Path, *args: str, git_dir: Path | None = None, work_tree: Path | None = None,
         check: bool = True, hooks_off: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run git with hooks off (a worktree's checkout must not run the repository's post-checkout hook)."""
    argv = ["git", *(("-c", f"core.hooksPath={os.devnull}") if hooks_off else ()), "-c", "core.quotePath=false"]
    if git_dir is not None:
        argv += [f"--git-dir={git_dir}", f"--work-tree={work_tree or cwd}"]
    try:
        done = subprocess.run([*argv, *args], cwd=cwd, env=_env(), capture_output=True, check=False, timeout=300)
    except FileNotFoundError:
        if shutil.which("git") is None:
            raise WorktreeProblem("git is not installed (no `git` on PATH)") from None
        raise WorktreeProblem(f"{cwd} does not exist") from None
    except subprocess.TimeoutExpired:
        raise WorktreeProblem(f"`git {args[0]}` took more than 300 s") from None
    if check and done.returncode != 0:
        detail = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git failed"])[-1]
        raise WorktreeProblem(f"`git {args[0]}` failed: {detail.removeprefix('fatal: ').removeprefix('error: ')}")
    return done


def head_commit(repository: Path) -> str | None:
    """HEAD's commit, or None when the repository has no commit yet; WorktreeProblem when git cannot read the
    repository at all (dubious ownership, a damaged HEAD), which is not the same as having no commits."""
    done = _git(repository, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if said:  # -q keeps "no such revision" quiet: anything said is another problem
            raise WorktreeProblem(said[-1].removeprefix("fatal: ").removeprefix("error: "))
        if _git(repository, "rev-parse", "-q", "--verify", "HEAD", check=False).returncode == 0:
            raise WorktreeProblem("HEAD names a commit git cannot read; the repository looks damaged (`git fsck` "
                                  "says more)")
        return None
    return done.stdout.decode().strip() or None


_common_dirs: dict[str, Path] = {}


def common_dir(repository: Path) -> Path | None:
    """The repository's common git folder (where its worktrees are listed), None when git cannot say."""
    key = os.path.realpath(repository)
    if key not in _common_dirs:
        try:
            done = _git(repository, "rev-parse", "--git-common-dir", check=False)
        except WorktreeProblem:
            return None
        text = done.stdout.decode("utf-8", "surrogateescape").strip()
        if done.returncode != 0 or not text:
            return None
        _common_dirs[key] = Path(os.path.realpath(Path(repository) / text))  # relative to the repository's top
    return _common_dirs[key]


def isolation_problem(git_root: Path | None) -> str | None:
    """Why a run of this workspace cannot have a worktree (None: it can)."""
    if git_root is None:
        return "the workspace is not in a git repository"
    if shutil.which("git") is None:
        return "git is not installed"
    try:
        if head_commit(git_root) is None:
            return "the repository has no commits yet"
    except WorktreeProblem as error:
        return f"git cannot use the repository ({error})"
    return None


def hooks_folders(repository: Path) -> tuple[str, ...]:
    """`core.hooksPath` when it names a folder inside the repository (a tracked `.githooks`): never written."""
    try:
        done = _git(repository, "config", "--get", "core.hooksPath", check=False, hooks_off=False) \
            if shutil.which("git") else None
    except WorktreeProblem:
        return ()
    value = done.stdout.decode("utf-8", "replace").strip() if done is not None and done.returncode == 0 else ""
    if not value:
        return ()
    target = Path(os.path.realpath(repository / os.path.expanduser(value)))
    try:
        return (target.relative_to(os.path.realpath(repository)).as_posix(),)
    except ValueError:
        return ()


def _temp_base(repository: Path) -> Path:
    """A temporary folder outside the repository (a TMPDIR pointing into it is not used)."""
    real_repo = Path(os.path.realpath(repository))
    for candidate in (tempfile.gettempdir(), "/tmp", str(real_repo.parent)):
        base = Path(os.path.realpath(candidate))
        if base.is_dir() and base != real_repo and real_repo not in base.parents:
            return base
    raise WorktreeProblem("there is no temporary folder outside the repository (set TMPDIR)")


def lock_reason(run_id: str, pid: int | None = None) -> str:
    return f"{LOCK_PREFIX}{run_id}, pid {pid or os.getpid()} on {HOST}"


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where one run works: `root`; `start` is the commit its changes are measured from."""

    root: Path
    repository: Path  # the user's repository (or workspace) root, where the changes land
    start: str
    git_dir: Path  # the checkout's own git folder (a worktree's admin folder, a copy's private .git)
    kind: str  # "worktree" or "copy"
    # files written over `start` before the run began (what its chain landed, `chain_start`): their start content
    seeded: Mapping[str, bytes | None] = field(default_factory=dict, compare=False)

    def changes(self) -> ChangeSet:
        """Every file changed since `start` (a seeded file: since its seed), tracked or new (ignored files are not
        changes), in path order."""
        return ChangeSet(tuple(sorted(seeded_changes(self, _changes(self)), key=lambda change: change.path)))

    def remove(self) -> None:
        """Remove the checkout; never raises (a worktree git cannot remove is deleted and pruned)."""
        if self.kind == "worktree":
            with worktree_admin(common_dir(self.repository), required=False):
                with contextlib.suppress(WorktreeProblem):
                    _git(self.repository, "worktree", "remove", "--force", "--force", str(self.root), check=False)
                if os.path.lexists(self.root):
                    shutil.rmtree(self.root, ignore_errors=True)
                with contextlib.suppress(WorktreeProblem):
                    _git(self.repository, "worktree", "unlock", str(self.root), check=False)
                    _git(self.repository, "worktree", "prune", check=False)
        else:
            shutil.rmtree(self.root.parent, ignore_errors=True)


def create_worktree(repository: Path, run_id: str) -> Checkout:
    """A detached, locked worktree of HEAD in a new temporary folder outside the repository."""
    start = head_commit(repository)
    if start is None:
        raise WorktreeProblem("the repository has no commits yet")
    folder = Path(tempfile.mkdtemp(prefix=f"techcat-run-{run_id}-", dir=_temp_base(repository)))
    try:
        try:
            with worktree_admin(common_dir(repository)):  # another run's add, remove or prune would fail on ours
                _git(repository, "worktree", "add", "--detach", "--lock", "--reason", lock_reason(run_id), "-q",
                     str(folder), start)
        except AdminLockTimeout as error:
            raise WorktreeProblem(str(error)) from None
        git_dir = _git(folder, "rev-parse", "--absolute-git-dir").stdout.decode().strip()
    except BaseException:
        Checkout(folder, repository, start, folder, "worktree").remove()
        raise
    return Checkout(folder, repository, start, Path(git_dir), "worktree")


def create_copy(workspace_root: Path, run_id: str) -> Checkout:
    """A temporary copy of the tree (no `.git`) made a private repository with one commit: an executor's place
    where there is no git history to make a worktree from."""
    parent = Path(tempfile.mkdtemp(prefix=f"techcat-copy-{run_id}-", dir=_temp_base(workspace_root)))
    try:
        (parent / _COPY_OWNER).write_text(f"{os.getpid()} {HOST}\n", encoding="utf-8")
        tree = parent / "tree"
        shutil.copytree(workspace_root, tree, symlinks=True, ignore=_copy_ignore(workspace_root))
        _git(tree, "init", "-q")
        for key, value in (("user.name", "TechCat"), ("user.email", "techcat@localhost"),
                           ("commit.gpgsign", "false"), ("core.autocrlf", "false")):
            _git(tree, "config", key, value)
        _git(tree, "add", "-A")
        _git(tree, "commit", "-q", "--no-verify", "--allow-empty", "-m", f"techcat run {run_id}: start")
        start = _git(tree, "rev-parse", "HEAD").stdout.decode().strip()
    except BaseException:
        shutil.rmtree(parent, ignore_errors=True)
        raise
    return Checkout(tree, workspace_root, start, tree / ".git", "copy")


def _copy_ignore(root: Path) -> Callable[[str, list[str]], set[str]]:
    state = os.path.realpath(root / ".codex" / ".techcat")

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if name in _SKIPPED_COPY}
        return skipped | {name for name in names if os.path.realpath(os.path.join(folder, name)) == state}

    return ignore


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_dead(reason: str) -> bool:
    """Whether a lock reason of ours names a process on this host that is no longer running."""
    try:
        _, _, rest = reason.partition(", pid ")
        pid_text, _, host = rest.partition(" on ")
        pid = int(pid_text)
    except ValueError:
        return False
    return host.strip() == HOST and pid != os.getpid() and not _alive(pid)


def prune_stale(repository: Path | None) -> list[Path]:
    """Remove TechCat worktrees (and temporary copies) left by a run that died: its pid is gone on this host, or
    its folder is. Returns the folders removed; never raises."""
    removed: list[Path] = []
    with contextlib.suppress(OSError, WorktreeProblem):
        removed += _prune_copies()
    if repository is None or shutil.which("git") is None:
        return removed
    with worktree_admin(common_dir(repository), required=False):  # never while another run adds its worktree
        return removed + _prune_worktrees(repository)


def _prune_worktrees(repository: Path) -> list[Path]:
    removed: list[Path] = []
    try:
        listing = _git(repository, "worktree", "list", "--porcelain", check=False).stdout.decode("utf-8", "replace")
    except WorktreeProblem:
        return removed
    pruned = False
    for block in listing.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines() if line)
        path, reason = fields.get("worktree", ""), fields.get("locked", "")
        if not path or not reason.startswith(LOCK_PREFIX):
            continue
        gone = not os.path.isdir(path)
        if gone or _owner_dead(reason):
            checkout = Checkout(Path(path), repository, "", Path(path), "worktree")
            checkout.remove()
            removed.append(Path(path))
            pruned = True
    if pruned:
        with contextlib.suppress(WorktreeProblem):
            _git(repository, "worktree", "prune", check=False)
    return removed


def _prune_copies() -> list[Path]:
    removed: list[Path] = []
    base = Path(tempfile.gettempdir())
    for folder in base.glob("techcat-copy-*"):
        try:
            pid_text, host = (folder / _COPY_OWNER).read_text(encoding="utf-8").split()
            dead = host == HOST and int(pid_text) != os.getpid() and not _alive(int(pid_text))
        except (OSError, ValueError):
            continue
        if dead:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


# -- reading a checkout's changes ------------------------------------------------------------------------------


def _changes(checkout: Checkout) -> list[FileChange]:
    git_dir, tree = checkout.git_dir, checkout.root
    raw = _git(tree, "diff", checkout.start, "--raw", "-z", "--no-renames", "--no-ext-diff",
               "--ignore-submodules=all", git_dir=git_dir, work_tree=tree).stdout
    entries: dict[str, tuple[str, str]] = {}  # path -> (old mode, old blob)
    parts = raw.split(b"\0")
    i = 0
    while i + 1 < len(parts):
        meta, name = parts[i], parts[i + 1]
        i += 2
        if not meta.startswith(b":"):
            continue
        old_mode, _new_mode, old_blob, _new_blob, _status = meta[1:].decode().split(" ")
        entries[os.fsdecode(name)] = (old_mode, old_blob)
    untracked = _git(tree, "ls-files", "-z", "--others", "--exclude-standard", git_dir=git_dir, work_tree=tree).stdout
    for name in untracked.split(b"\0"):
        path = os.fsdecode(name)
        if path and not path.endswith("/"):  # a nested repository is listed as its folder: not a file change
            entries.setdefault(path, ("000000", "0" * 40))
    changes = []
    for path, (old_mode, old_blob) in entries.items():
        change = _change(checkout, path, old_mode, old_blob)
        if change is not None:
            changes.append(change)
    return changes


def _change(checkout: Checkout, path: str, old_mode: str, old_blob: str) -> FileChange | None:
    if old_mode == "120000":
        raise WorktreeProblem(f'the run changed "{path}", a symbolic link; TechCat lands only regular files, '
                              "so nothing was applied")
    if old_mode == "160000":
        return None  # a submodule's commit: not a file
    before = None if old_mode == "000000" else _blob(checkout, path, old_blob)
    after, mode = read_after(checkout.root, path)
    if after == before and (mode is None or old_mode == f"{mode:o}"):
        return None
    new_mode = mode if mode is not None and (before is None or old_mode != f"{mode:o}") else None
    return FileChange(path, before, after, new_mode)


def _blob(checkout: Checkout, path: str, blob: str) -> bytes:
    """The file's start content as the checkout holds it (smudge and end-of-line filters applied)."""
    return _git(checkout.root, "cat-file", "--filters", f"--path={path}", blob, git_dir=checkout.git_dir,
                work_tree=checkout.root).stdout


def read_after(root: Path, path: str) -> tuple[bytes | None, int | None]:
    """The file's content now and its git mode (None, None: it is gone)."""
    full = root / path
    try:
        status = os.lstat(full)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except OSError as error:
        raise WorktreeProblem(f'the run left "{path}", which cannot be read ({error.strerror or error}); nothing '
                              "was applied") from None
    if stat.S_ISLNK(status.st_mode):
        raise WorktreeProblem(f'the run made "{path}" a symbolic link; TechCat lands only regular files, so '
                              "nothing was applied")
    if stat.S_ISDIR(status.st_mode):
        return None, None  # a folder where a file was: the file is gone (what is in the folder is listed on its own)
    if not stat.S_ISREG(status.st_mode):
        raise WorktreeProblem(f'the run made "{path}" a FIFO, socket or device; TechCat lands only regular files, '
                              "so nothing was applied")
    if status.st_size > MAX_CHANGED_FILE_BYTES:
        raise WorktreeProblem(f'the run wrote "{path}", {status.st_size:,} bytes, more than the '
                              f"{MAX_CHANGED_FILE_BYTES:,} a run may land; nothing was applied")
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_CHANGED_FILE_BYTES + 1)
    except OSError as error:
        raise WorktreeProblem(f'the run left "{path}", which cannot be read ({error.strerror or error}); nothing '
                              "was applied") from None
    return data, 0o100755 if status.st_mode & 0o111 else 0o100644


def seeded_changes(checkout: Checkout, changes: list[FileChange]) -> list[FileChange]:
    """`changes` (measured from the checkout's commit) with every seeded file measured from its seed instead."""
    seeded = checkout.seeded
    if not seeded:
        return changes
    kept = [change for change in changes if change.path not in seeded]
    for relative, start in seeded.items():
        after, mode = read_after(checkout.root, relative)
        if after == start:
            continue
        kept.append(FileChange(relative, start, after, mode if start is None and after is not None else None))
    return kept

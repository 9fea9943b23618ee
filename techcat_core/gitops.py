"""Git helpers over gitpython: every failure becomes a `GitProblem` sentence, never a traceback.

gitpython is imported lazily (it costs ~90 ms) and repositories are opened per call and closed, as
long-running processes otherwise leak its helper processes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from git import Repo


class GitProblem(Exception):
    """A git operation failed for a reason the user can act on."""


SHALLOW_ADVICE = "run `git fetch --unshallow` to fetch the rest of the history"
DAMAGED = "the repository looks damaged (`git fsck` says more)"


def _explain(error: BaseException) -> str:
    text = str(error)
    lowered = text.lower()
    if "index.lock" in lowered:
        return "git's index is locked by another git process (.git/index.lock); wait for it or remove the stale lock"
    if "shallow" in lowered:
        return f"this is a shallow clone and the needed history is missing; {SHALLOW_ADVICE}"
    if "unknown revision" in lowered or "bad revision" in lowered or "ambiguous argument" in lowered:
        return "git does not know that revision"
    if "does not have any commits" in lowered or "bad default revision 'head'" in lowered:
        return "the repository has no commits yet"
    stderr = getattr(error, "stderr", "") or ""
    detail = stderr.strip().splitlines()[-1] if stderr.strip() else text.strip().splitlines()[-1] if text else ""
    detail = detail.replace("stderr: ", "").strip(" '")
    return detail.removeprefix("fatal: ").removeprefix("error: ") or "git failed"


@contextlib.contextmanager
def open_repo(path: Path) -> Iterator[Repo]:
    """The repository containing `path`, closed afterwards."""
    try:
        import git
    except ImportError as error:  # the git executable is missing
        raise GitProblem(f"git is not available: {error}") from None
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise GitProblem(f"{path} is not inside a git repository") from None
    except git.NoSuchPathError:
        raise GitProblem(f"{path} does not exist") from None
    except git.GitError as error:
        raise GitProblem(_explain(error)) from None
    try:
        yield repo
    except git.GitError as error:
        raise GitProblem(_explain(error)) from None
    finally:
        repo.close()


def repo_root(path: Path) -> Path:
    with open_repo(path) as repo:
        if repo.working_tree_dir is None:
            raise GitProblem("a bare repository has no working tree")
        return Path(repo.working_tree_dir)


def _rel(repo: Repo, path: Path) -> str:
    root = Path(repo.working_tree_dir or ".").resolve()
    return path.resolve().relative_to(root).as_posix()


def has_head(repo: Repo) -> bool:
    """Whether HEAD has a commit: False on a branch with no commits yet; a HEAD that names a commit git
    cannot read (a damaged repository) is a `GitProblem`, not "no commits"."""
    try:
        repo.head.commit  # noqa: B018 - raises when there is no commit
    except ValueError as error:
        if "does not exist" in str(error):  # gitpython's words for an unborn branch
            return False
        raise GitProblem(f"git cannot read HEAD's commit (its branch or commit is broken); {DAMAGED}") from None
    return True


def is_shallow(repo: Repo) -> bool:
    return str(repo.git.rev_parse("--is-shallow-repository")).strip() == "true"


def shallow_commits(root: Path) -> frozenset[str]:
    """The commits at a shallow clone's boundary (their parents were not fetched); empty for a full clone."""
    with open_repo(root) as repo:
        if not is_shallow(repo):
            return frozenset()
        where = Path(str(repo.git.rev_parse("--git-path", "shallow")).strip())
        if not where.is_absolute():
            where = Path(repo.working_dir) / where
        try:
            return frozenset(line.strip() for line in where.read_text(encoding="ascii").split() if line.strip())
        except OSError:
            return frozenset()


def file_at_head(path: Path) -> str | None:
    """The content of `path` at HEAD, or None when HEAD does not have it (or there is no HEAD).
    A HEAD git cannot read is a `GitProblem`."""
    import git

    with open_repo(path.parent) as repo:
        if not has_head(repo):
            return None
        try:
            data: Any = repo.git.show(f"HEAD:{_rel(repo, path)}", strip_newline_in_stdout=False)
        except git.GitCommandError as error:
            stderr = str(error.stderr or "")
            if "does not exist in 'HEAD'" in stderr or "exists on disk, but not in 'HEAD'" in stderr:
                return None
            raise GitProblem(f"git cannot read {_rel(repo, path)} at HEAD ({_explain(error)}); {DAMAGED}") from None
        return str(data)


def changed_since(root: Path, revision: str, include_untracked: bool = True) -> list[str]:
    """Files changed since `revision`: committed after it, staged, modified, and (optionally) new."""
    with open_repo(root) as repo:
        try:
            repo.git.rev_parse("--verify", f"{revision}^{{commit}}")
        except Exception:
            if is_shallow(repo):
                raise GitProblem(f"git does not know the revision {revision!r}: this is a shallow clone, so it may "
                                 f"be in the history that was not fetched; {SHALLOW_ADVICE}") from None
            raise GitProblem(f"git does not know the revision {revision!r}") from None
        names = set(repo.git.diff("--name-only", "--no-renames", revision, "--").splitlines())
        if include_untracked:
            names.update(repo.untracked_files)
        return sorted(n for n in names if n)


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    summary: str
    date: str  # YYYY-MM-DD


def commits_after(root: Path, revision: str | None, path_filter: str | None = None,
                  limit: int = 500) -> list[CommitInfo]:
    """Commits on HEAD after `revision` (all of HEAD's when None), newest first."""
    with open_repo(root) as repo:
        if not has_head(repo):
            return []
        spec = f"{revision}..HEAD" if revision else "HEAD"
        args: list[str] = [spec, f"--max-count={limit}", "--format=%H%x1f%s%x1f%cs"]
        if path_filter:
            args += ["--", path_filter]
        out = repo.git.log(*args)
        result = []
        for line in out.splitlines():
            parts = line.split("\x1f")
            if len(parts) == 3:
                result.append(CommitInfo(parts[0], parts[1], parts[2]))
        return result


def last_commit_touching(root: Path, relpath: str) -> str | None:
    with open_repo(root) as repo:
        if not has_head(repo):
            return None
        out = repo.git.log("-1", "--format=%H", "--", relpath).strip()
        return out or None


def current_branch(root: Path) -> str:
    with open_repo(root) as repo:
        if repo.head.is_detached:
            return f"detached at {repo.head.commit.hexsha[:8]}" if has_head(repo) else "detached"
        return repo.active_branch.name


GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                          "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES")
"""What a git hook (or a caller inside one) exports to say where the repository is: inherited by a run's git or
executor, they would point it at the user's repository and index instead of the run's worktree."""


def without_git_location(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the variables that name a repository, so git finds the one of the folder it runs in."""
    return {key: value for key, value in env.items() if key not in GIT_LOCATION_VARIABLES}


NO_HOOKS = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath", "GIT_CONFIG_VALUE_0": os.devnull}


def commit_paths(root: Path, paths: Sequence[Path | str], message: str,
                 contents: Mapping[Path | str, bytes] | None = None) -> str:
    """Commit exactly `paths` (added if new, removed if gone); `contents` gives some of them other content than
    the working tree's (a checklist with only the run's tick), and the working tree keeps its own.

    The commit is built in a temporary index from HEAD, so whatever else is staged stays staged and
    uncommitted; the real index then takes the committed entries of `paths`, nothing else.
    """
    if not paths:
        raise GitProblem("nothing to commit: no files were given")
    with open_repo(root) as repo:
        top = Path(repo.working_tree_dir or root).resolve()
        rels = [_relative(top, path) for path in paths]
        blobs = {_relative(top, path): data for path, data in (contents or {}).items()}
        rels += [rel for rel in blobs if rel not in rels]
        if (Path(repo.git_dir) / "index.lock").exists():  # another git is changing the index: do not race it
            raise GitProblem(_explain(GitProblem("index.lock exists")))
        index = Path(repo.git_dir) / f"techcat-index-{uuid.uuid4().hex}"
        # no hooks: a run may just have written them (a hooks path inside the working tree, .husky/), and
        # committing must never execute what a model wrote
        env = {"GIT_INDEX_FILE": str(index), **NO_HOOKS}
        try:
            if has_head(repo):
                repo.git.read_tree("HEAD", env=env)
            present = [rel for rel in rels if rel not in blobs and (top / rel).exists()]
            gone = [rel for rel in rels if rel not in blobs and not (top / rel).exists()]
            if present:
                repo.git.add("--", *present, env=env)
            if gone:
                repo.git.update_index("--force-remove", "--", *gone, env=env)
            for rel, data in blobs.items():
                blob = _store_blob(repo, rel, data)
                repo.git.update_index("--add", "--cacheinfo", f"{_mode(top / rel)},{blob},{rel}", env=env)
            repo.git.commit("--no-verify", "-m", message, "--no-edit", env=env)
        finally:
            index.unlink(missing_ok=True)
        for rel in rels:  # the real index: the committed entries of these paths, the rest as it was
            entry = str(repo.git.ls_tree("HEAD", "--", rel)).strip()
            if entry:
                mode, _kind, rest = entry.split(" ", 2)
                repo.git.update_index("--add", "--cacheinfo", f"{mode},{rest.split(chr(9), 1)[0]},{rel}")
            else:
                repo.git.update_index("--force-remove", "--", rel)
        return str(repo.head.commit.hexsha)


def _relative(top: Path, path: Path | str) -> str:
    absolute = (top / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        raise GitProblem(f"{path} is outside the repository {top}") from None


def _mode(path: Path) -> str:
    return "100755" if path.exists() and os.access(path, os.X_OK) and path.is_file() else "100644"


def _store_blob(repo: Repo, rel: str, data: bytes) -> str:
    """Write `data` as a blob with the same clean filters as `git add` of `rel`; its id."""
    with tempfile.NamedTemporaryFile(dir=repo.git_dir, prefix="techcat-blob-", delete=False) as handle:
        handle.write(data)
    try:
        return str(repo.git.hash_object("-w", "--path", rel, handle.name)).strip()
    finally:
        Path(handle.name).unlink(missing_ok=True)


def git_config_set(root: Path, key: str, value: str) -> None:
    with open_repo(root) as repo:
        repo.git.config(key, value)

"""What git says about the workspace: branch, changed `.codex/` files and changed files the log names.

Runs in a worker thread: gitpython is imported only here (about 90 ms) and each call opens and
closes its own repository object, as long-lived ones leak helper processes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from techcat_tui.paths import display_path


@dataclass(frozen=True, slots=True)
class RecentCommit:
    sha: str
    summary: str
    date: str


@dataclass(frozen=True, slots=True)
class GitStatus:
    root: Path | None
    branch: str | None = None
    problem: str | None = None
    codex_changes: tuple[str, ...] = ()
    logged_changes: tuple[str, ...] = ()
    other_changes: int = 0
    recent: tuple[RecentCommit, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> tuple[str, ...]:
        return (*self.codex_changes, *self.logged_changes)


def read_git_status(root: Path | None, codex_dir: Path, logged_files: Collection[str]) -> GitStatus:
    """Never raises: a missing repository or a git failure becomes `problem`, a sentence."""
    if root is None:
        return GitStatus(None, problem=f"{display_path(codex_dir.parent)} is not in a git repository; run "
                                       "`git init` there to keep the history of .codex/")
    from techcat_core.gitops import GitProblem, changed_since, commits_after, current_branch

    try:
        branch = current_branch(root)
    except GitProblem as error:
        return GitStatus(root, problem=str(error))
    try:
        recent = tuple(RecentCommit(c.sha, c.summary, c.date) for c in commits_after(root, None, limit=8))
    except GitProblem:
        recent = ()
    try:
        changed = changed_since(root, "HEAD") if recent else _untracked_and_staged(root)
    except GitProblem as error:
        return GitStatus(root, branch, problem=str(error), recent=recent)
    codex_prefix = codex_dir.resolve().relative_to(root.resolve()).as_posix() + "/"
    logged = set(logged_files)
    codex_changes = tuple(name for name in changed if name.startswith(codex_prefix))
    logged_changes = tuple(name for name in changed if name in logged and not name.startswith(codex_prefix))
    other = len(changed) - len(codex_changes) - len(logged_changes)
    return GitStatus(root, branch, None, codex_changes, logged_changes, other, recent)


def _untracked_and_staged(root: Path) -> list[str]:
    """A repository without commits: everything is new."""
    from techcat_core.gitops import open_repo

    with open_repo(root) as repo:
        return sorted(repo.untracked_files)

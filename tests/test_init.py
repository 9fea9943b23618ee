"""`techcat init`: what it creates, and what it refuses before creating anything."""

from __future__ import annotations

from pathlib import Path

from tests.gitutil import git, init_repo, techcat


def test_init_git_outside_a_repository_creates_nothing(tmp_path: Path) -> None:
    result = techcat("init", "--git", cwd=tmp_path)
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr and "nothing was created" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_git_registers_the_merge_driver(tmp_path: Path) -> None:
    init_repo(tmp_path)
    result = techcat("init", "--git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ".codex/TASK-LOG.json merge=techcat-tasklog" in (tmp_path / ".gitattributes").read_text()
    assert "merge-driver %O %A %B %P" in git(tmp_path, "config", "merge.techcat-tasklog.driver")

"""Runs started at once make, remove and prune worktrees of one repository at once (issue 13 §3).

`git worktree add` fills a new worktree's admin folder a moment after making it, and any other `git worktree`
command of the repository that reads it meanwhile dies ("failed to read .git/worktrees/…/commondir"): one of two
runs started together failed before its executor said a word (tests/test_parallel_runs.py, under load). Real git,
real threads and real processes; each case failed before the worktree lock."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from techcat_core.runtime.worktree import Checkout, WorktreeProblem, create_worktree, prune_stale
from tests.gitutil import GIT_ENV, commit_all, git, init_repo

THREADS = 8
ROUNDS = 3


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    (repo / "a.txt").write_text("a\n")
    commit_all(repo, "start")
    return repo


def _linked(repo: Path) -> list[str]:
    listing = git(repo, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")][1:]


def _one_round(repo: Path, round_: int, failures: list[str]) -> list[Checkout]:
    """THREADS runs add their worktrees at once while another prunes; returns what was made."""
    made: list[Checkout] = []
    start = threading.Barrier(THREADS + 1)

    def add(i: int) -> None:
        start.wait()
        try:
            made.append(create_worktree(repo, f"r{round_}t{i}"))
        except WorktreeProblem as error:
            failures.append(str(error))

    def prune() -> None:
        start.wait()
        prune_stale(repo)

    _all([threading.Thread(target=add, args=(i,)) for i in range(THREADS)] + [threading.Thread(target=prune)])
    return made


def _all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()


def test_threads_that_add_remove_and_prune_at_once_all_succeed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    failures: list[str] = []
    for round_ in range(ROUNDS):
        made = _one_round(repo, round_, failures)
        _all([threading.Thread(target=checkout.remove) for checkout in made])  # removed at once too
    assert failures == []
    assert _linked(repo) == []


_MAKER = """
import sys
from pathlib import Path
from techcat_core.runtime.worktree import WorktreeProblem, create_worktree
repo, name = Path(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()  # the go signal: every maker starts at once
failed = 0
for i in range(6):
    try:
        create_worktree(repo, f"{name}{i}").remove()
    except WorktreeProblem as error:
        failed += 1
        print("failed:", error, flush=True)
print("done", failed, flush=True)
"""


def test_processes_that_add_and_remove_at_once_all_succeed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    makers = [subprocess.Popen([sys.executable, "-c", _MAKER, str(repo), f"p{n}x"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=GIT_ENV, cwd=Path(__file__).parent.parent)
              for n in range(4)]
    for maker in makers:
        assert maker.stdout is not None and maker.stdout.readline() == "ready\n"
    for maker in makers:
        assert maker.stdin is not None
        maker.stdin.write("go\n")
        maker.stdin.flush()
    outputs = [maker.communicate(timeout=300)[0] for maker in makers]
    assert [out.splitlines()[-1] for out in outputs] == ["done 0"] * 4, outputs
    assert _linked(repo) == []

"""A run whose tools or executor changed no file says so and logs nothing, as an empty single reply does: a task-log
entry claims work was done, and a run that did nothing must not leave one (with its last output line as the
summary). Real `command:` executors, the real tool loop against the local server, the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.test_worktree_runs import _env, _repo, _worktrees


def _log(codex: Path) -> list[Any]:
    entries: list[Any] = json.loads((codex / "TASK-LOG.json").read_text())
    return entries


async def test_an_executor_that_changed_no_file_fails_and_logs_nothing(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "echo 'Looked at the page, all good'")
    before = _log(codex)
    events = [e async for e in run_agent(codex, RunRequest("builder", "Check it", env=_env(), chain=False))]
    assert isinstance(events[-1], ev.RunFailed), events
    assert events[-1].message == "the executor changed no file (its outputs: apps/web/**); nothing was logged"
    assert not any(isinstance(e, ev.Logged | ev.ChangesProposed) for e in events)
    assert _log(codex) == before and _worktrees(tmp_path) == [str(tmp_path)]


async def test_a_tool_run_that_only_read_fails_and_logs_nothing(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _repo(tmp_path)
    before = _log(codex)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]),
                      "The README is fine as it is.")
    events = [e async for e in run_agent(codex, RunRequest("coder", "Check", env=_env(fake_openai), chain=False))]
    assert isinstance(events[-1], ev.RunFailed), events
    assert events[-1].message == ("the model used its tools but changed no file (its outputs: apps/web/**); nothing "
                                  "was logged")
    assert _log(codex) == before


def test_the_cli_says_so_and_exits_non_zero(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "echo 'Nothing to do'")
    before = _log(codex)
    done = subprocess.run([sys.executable, "-m", "techcat_cli.main", "run", "builder", "Check it", "--no-chain"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "✗ the executor changed no file (its outputs: apps/web/**); nothing was logged" in done.stderr
    assert "logged task-" not in done.stderr and _log(codex) == before

"""A chained agent's worktree has what the earlier runs of its chain landed ("the planner writes the plan, the
implementer reads it"), without `--commit`: the real `techcat run` against the local OpenAI-compatible server, in a
git repository with commits. The landed files are the chained run's starting content: its entry lists only its own
changes, and a change to the previous agent's file merges against what that agent landed, not against HEAD."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.gitutil import GIT_ENV, commit_all, git, init_repo
from tests.wsbuilder import make_workspace

PLAN = "# Plan\n\n1. Print hello from src/hello.py\n"


def _agents(implementer: str) -> str:
    return f"""# Agents

## Agent: `planner`

- **Role:** Plans the work
- **Output:** docs/plan.md

Once complete, invoke `implementer`.

## Agent: `implementer`

- **Role:** Implements the plan
- **Output:** src/**, docs/**
{implementer}
Once complete, invoke `task_logger`.

## Agent: `task_logger`

- **Role:** Task Tracker
"""


def _repo(tmp_path: Path, implementer: str = "") -> Path:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=_agents(implementer))
    (tmp_path / "README.md").write_text("# Hello\n")
    commit_all(tmp_path, "start")
    return codex


def _run(tmp_path: Path, fake: FakeOpenAI) -> subprocess.CompletedProcess[str]:
    env = {**GIT_ENV, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123",
           "TECHCAT_HISTORY_URL": ""}
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", "run", "planner", "Plan and build hello"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False)


def _log(tmp_path: Path) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads((tmp_path / ".codex/TASK-LOG.json").read_text())
    return entries


def _plan_written(fake: FakeOpenAI) -> None:
    fake.queue(Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/plan.md", content=PLAN)]),
               "Wrote the plan.")


def test_the_implementer_reads_the_plan_the_planner_just_landed(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    _repo(tmp_path)
    head = git(tmp_path, "rev-parse", "HEAD")
    _plan_written(fake_openai)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="docs/plan.md")]),
                      Behaviour(reply="", tool_calls=[tool_call("write_file", path="src/hello.py",
                                                                content="print('hello')\n")]),
                      "Implemented the plan.")
    done = _run(tmp_path, fake_openai)
    assert done.returncode == 0, done.stderr
    read = [m["content"] for m in fake_openai.requests[3].body["messages"] if m["role"] == "tool"]
    assert read == [PLAN], read  # the implementer's read_file saw the planner's plan, not "no such file"
    assert (tmp_path / "src/hello.py").read_text() == "print('hello')\n"
    assert (tmp_path / "docs/plan.md").read_text() == PLAN
    planner, implementer = _log(tmp_path)[-2:]
    assert (planner["agent"], planner["output_files"]) == ("planner", ["docs/plan.md"])
    assert (implementer["agent"], implementer["output_files"]) == ("implementer", ["src/hello.py"])
    assert git(tmp_path, "rev-parse", "HEAD") == head  # nothing was committed: no --commit
    assert git(tmp_path, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_chained_executor_sees_the_plan_and_its_edit_of_it_merges_against_what_landed(
        tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    command = ("- **Executor:** command: mkdir -p src; cp docs/plan.md src/plan-copy.md; "
               "echo '2. Done' >> docs/plan.md; echo 'Copied the plan and ticked it'\n")
    _repo(tmp_path, command)
    _plan_written(fake_openai)
    done = _run(tmp_path, fake_openai)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "src/plan-copy.md").read_text() == PLAN
    # measured from the landed plan, the executor's change is one added line, not a second "added" plan that
    # conflicts with the first
    assert (tmp_path / "docs/plan.md").read_text() == PLAN + "2. Done\n"
    implementer = _log(tmp_path)[-1]
    assert implementer["agent"] == "implementer"
    assert implementer["output_files"] == ["docs/plan.md", "src/plan-copy.md"]


def test_a_chained_run_that_leaves_the_landed_file_alone_does_not_list_it(tmp_path: Path,
                                                                          fake_openai: FakeOpenAI) -> None:
    _repo(tmp_path, "- **Executor:** command: mkdir -p src; echo made > src/made.txt; echo 'Made src/made.txt'\n")
    _plan_written(fake_openai)
    done = _run(tmp_path, fake_openai)
    assert done.returncode == 0, done.stderr
    assert _log(tmp_path)[-1]["output_files"] == ["src/made.txt"]
    assert (tmp_path / "docs/plan.md").read_text() == PLAN

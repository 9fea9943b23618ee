"""Runs in their own git worktree, end to end: a real `command:` executor and the real tool loop against the
local OpenAI-compatible server; the worktree is there while the run works and gone after success, failure,
cancel and a killed process (pruned at the next run); without git history the run says where it works instead."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.gitutil import GIT_ENV, commit_all, git, init_repo
from tests.wsbuilder import make_workspace


def _agents(command: str) -> str:
    return f"""# Agents

## Agent: `builder`

- **Role:** Builds pages
- **Output:** apps/web/**
- **Executor:** command: {command}

## Agent: `coder`

- **Role:** Writes code
- **Output:** apps/web/**

## Agent: `task_logger`

- **Role:** Task Tracker
"""


def _repo(tmp_path: Path, command: str = "true") -> Path:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=_agents(command))
    (tmp_path / "apps/web").mkdir(parents=True, exist_ok=True)
    (tmp_path / "apps/web/page.tsx").write_text("export const Page = 1\n")
    (tmp_path / "README.md").write_text("# Shop\n\nThe shop sells cats.\n")
    commit_all(tmp_path, "start")
    return codex


def _env(fake: FakeOpenAI | None = None, **extra: str) -> dict[str, str]:
    base = {**GIT_ENV, **extra}
    if fake is not None:
        base |= {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123"}
    return base


def _worktrees(root: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in git(root, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


async def _collect(codex: Path, request: RunRequest) -> list[Any]:
    return [event async for event in run_agent(codex, request)]


async def test_an_executor_works_in_its_own_worktree_which_is_gone_after_success(tmp_path: Path) -> None:
    codex = _repo(tmp_path, 'pwd > apps/web/where.txt; echo "Built it in the worktree"')
    events = await _collect(codex, RunRequest("builder", "Build it", env=_env(), chain=False))
    isolated = next(e for e in events if isinstance(e, ev.Isolated))
    assert isolated.worktree is not None and tmp_path not in isolated.worktree.parents
    where = (tmp_path / "apps/web/where.txt").read_text().strip()
    assert Path(where) == isolated.worktree  # the command ran there, not in the working tree
    assert not isolated.worktree.exists() and _worktrees(tmp_path) == [str(tmp_path)]
    assert [e.text for e in events if isinstance(e, ev.ExecutorOutput)] == ["Built it in the worktree"]
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    assert entry["output_files"] == ["apps/web/where.txt"] and entry["summary"] == "Built it in the worktree"
    started = next(e for e in events if isinstance(e, ev.RunStarted))
    assert started.executor == "command: pwd > apps/web/where.txt; echo \"Built it in the worktree\""


async def test_the_worktree_is_gone_after_a_failure_and_nothing_lands(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "echo half > apps/web/page.tsx; exit 3")
    log = (codex / "TASK-LOG.json").read_text()
    events = await _collect(codex, RunRequest("builder", "Build it", env=_env(), chain=False))
    assert isinstance(events[-1], ev.RunFailed) and "nothing was applied" in events[-1].message
    assert (tmp_path / "apps/web/page.tsx").read_text() == "export const Page = 1\n"
    assert (codex / "TASK-LOG.json").read_text() == log
    assert _worktrees(tmp_path) == [str(tmp_path)]


async def test_a_stray_path_refuses_the_whole_run_and_no_worktree_is_left(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "echo ok > apps/web/ok.tsx; echo evil > src.py")
    events = await _collect(codex, RunRequest("builder", "Build it", env=_env(), chain=False))
    failed = events[-1]
    assert isinstance(failed, ev.RunFailed)
    assert failed.message == ('the run changed "src.py", which is not among this agent\'s outputs (apps/web/**); '
                              "the whole run was refused and nothing was applied")
    assert not (tmp_path / "apps/web/ok.tsx").exists() and not (tmp_path / "src.py").exists()
    assert _worktrees(tmp_path) == [str(tmp_path)]


async def test_the_worktree_is_gone_after_a_cancel(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "echo started; echo half > apps/web/page.tsx; sleep 60")
    cancel = asyncio.Event()
    seen: list[Any] = []
    async for event in run_agent(codex, RunRequest("builder", "Build it", env=_env(), chain=False, cancel=cancel)):
        seen.append(event)
        if isinstance(event, ev.ExecutorOutput) and event.text == "started":
            assert len(_worktrees(tmp_path)) == 2  # it is there while the run works
            cancel.set()
    assert isinstance(seen[-1], ev.RunCancelled)
    assert (tmp_path / "apps/web/page.tsx").read_text() == "export const Page = 1\n"
    assert _worktrees(tmp_path) == [str(tmp_path)]


def test_a_killed_techcat_leaves_a_worktree_that_the_next_run_prunes(tmp_path: Path) -> None:
    codex = _repo(tmp_path, 'echo "started $$"; sleep 60')
    process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "run", "builder", "Build it", "--no-chain"],
                               cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # waits for what the executor says
    assert line.startswith("started "), line
    executor_group = int(line.split()[1])
    try:
        assert len(_worktrees(tmp_path)) == 2
        listing = git(tmp_path, "worktree", "list", "--porcelain")
        assert f"pid {process.pid} on" in listing and "locked techcat run " in listing
        process.kill()
        process.wait(timeout=30)
    finally:
        os.killpg(executor_group, signal.SIGKILL)
    stale = [w for w in _worktrees(tmp_path) if w != str(tmp_path)]
    assert len(stale) == 1 and Path(stale[0]).is_dir()  # a kill -9 leaves it behind…
    codex.joinpath("AGENTS.md").write_text(_agents("echo next > apps/web/next.tsx; echo next"))
    done = subprocess.run([sys.executable, "-m", "techcat_cli.main", "run", "builder", "Again", "--no-chain"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert _worktrees(tmp_path) == [str(tmp_path)] and not Path(stale[0]).exists()  # …and the next run prunes it


async def test_without_commits_an_executor_works_in_a_temporary_copy_and_says_so(tmp_path: Path) -> None:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=_agents("pwd > apps/web/where.txt"))
    events = await _collect(codex, RunRequest("builder", "Build it", env=_env(), chain=False))
    isolated = next(e for e in events if isinstance(e, ev.Isolated))
    assert isolated.worktree is None
    assert isolated.reason == ("the repository has no commits yet: the executor works in a temporary copy of the "
                               "tree and its changes land in place")
    where = Path((tmp_path / "apps/web/where.txt").read_text().strip())
    assert where != tmp_path and not where.exists()  # it ran in the copy, which is gone
    assert any(isinstance(e, ev.Logged) for e in events)


async def test_outside_git_the_tool_loop_works_in_place_and_says_so(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=_agents("true"))
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("write_file", path="apps/web/a.tsx",
                                                                content="export const A = 1\n")]),
                      "Wrote apps/web/a.tsx.")
    events = await _collect(codex, RunRequest("coder", "Write A", env=_env(fake_openai), chain=False))
    isolated = next(e for e in events if isinstance(e, ev.Isolated))
    assert isolated.worktree is None and isolated.reason == (
        "the workspace is not in a git repository: the run works in place, its writes held in memory until they land")
    assert (tmp_path / "apps/web/a.tsx").read_text() == "export const A = 1\n"


async def test_the_tool_loop_reads_and_writes_in_its_worktree(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _repo(tmp_path)
    (tmp_path / "README.md").write_text("# Shop\n\nUncommitted: the worktree starts at HEAD.\n")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]),
                      Behaviour(reply="", tool_calls=[tool_call("write_file", path="apps/web/about.tsx",
                                                                content="// The shop sells cats.\n")]),
                      "Wrote the about page from the README.")
    events = await _collect(codex, RunRequest("coder", "About page", env=_env(fake_openai), chain=False))
    isolated = next(e for e in events if isinstance(e, ev.Isolated))
    assert isolated.worktree is not None and not isolated.worktree.exists()
    read = next(e for e in events if isinstance(e, ev.ToolResult) and e.name == "read_file")
    assert read.ok
    tool_messages = [m for m in fake_openai.requests[1].body["messages"] if m["role"] == "tool"]
    assert "The shop sells cats." in json.dumps(tool_messages)  # HEAD's README, read in the worktree
    assert (tmp_path / "apps/web/about.tsx").read_text() == "// The shop sells cats.\n"
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    assert entry["output_files"] == ["apps/web/about.tsx"]
    assert entry["summary"] == "Wrote the about page from the README."
    assert _worktrees(tmp_path) == [str(tmp_path)]


async def test_the_record_keeps_tool_calls_and_executor_lines(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from techcat_core.runs.query import RunQuery
    from techcat_core.runs.store import open_history

    codex = _repo(tmp_path, "echo 'Reading the page'; echo built > apps/web/built.tsx; "
                            "echo 'Built it for sk-test-SECRET-123'")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]), "Read it.")
    env = _env(fake_openai, TECHCAT_HISTORY_URL="")
    await _collect(codex, RunRequest("coder", "Read", env=env, chain=False))
    await _collect(codex, RunRequest("builder", "Build", env=env, chain=False))
    history = open_history(codex, env=env)
    coder, builder = sorted(history.recent(RunQuery()), key=lambda r: r.started)
    tools = [m for m in history.get(coder.record_id).messages if m["role"] == "tool"]
    assert [m["name"] for m in tools] == ["read_file", "read_file"]
    assert tools[0]["content"] == 'called with {"path": "README.md"}' and tools[1]["content"].startswith("ok: ")
    assert coder.outcome == "failed" and "changed no file" in (coder.reason or "")  # it only read
    assert builder.executor.startswith("command: echo 'Reading the page'") and builder.outcome == "done"
    assert history.get(builder.record_id).reply == "Reading the page\nBuilt it for [redacted]"


def test_the_cli_prints_tool_calls_and_where_the_run_works(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]),
                      Behaviour(reply="", tool_calls=[tool_call("write_file", path="apps/web/a.tsx", content="a\n")]),
                      "Wrote apps/web/a.tsx.")
    done = subprocess.run([sys.executable, "-m", "techcat_cli.main", "run", "coder", "Write A", "--no-chain"],
                          cwd=tmp_path, env=_env(fake_openai), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith("  working in its own worktree /") for line in lines)
    calls = [line.strip() for line in lines if "⚙" in line]
    assert calls == ['⚙ read_file {"path": "README.md"}',
                     '⚙ write_file {"path": "apps/web/a.tsx", "content": "a\\n"}']
    order = [i for i, line in enumerate(lines) if "⚙" in line or line.strip().startswith(("✓", "±"))]
    assert [lines[i].strip()[0] for i in order][:4] == ["⚙", "✓", "⚙", "✓"]  # each result right after its call
    assert "± 1 file(s) changed: apps/web/a.tsx" in done.stderr and "✓ wrote apps/web/a.tsx" in done.stderr


async def test_an_executor_is_told_to_edit_in_place_not_to_reply_with_files(tmp_path: Path) -> None:
    codex = _repo(tmp_path, 'cat "$TECHCAT_PROMPT_FILE" > apps/web/prompt.txt')
    events = await _collect(codex, RunRequest("builder", "Build the page", env=_env(), chain=False))
    assert any(isinstance(e, ev.Logged) for e in events), events
    prompt = (tmp_path / "apps/web/prompt.txt").read_text()
    assert "edit the files in place. You may change only these paths (your outputs): apps/web/**" in prompt
    assert "Reply with the complete new content" not in prompt and "Build the page" in prompt

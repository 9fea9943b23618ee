"""Two runs of different agents started at once on overlapping files (issue 13, acceptance): both finish, neither
sees the other's partial files, and the second to land merges three ways — or, when both changed the same lines,
is refused naming the file with nothing applied. Real `command:` executors in real worktrees."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.gitutil import GIT_ENV, commit_all, init_repo
from tests.wsbuilder import make_workspace

SHARED = "".join(f"line {n}\n" for n in range(1, 9))

# Each agent: writes a partial file, says it started, waits until the other one has started too (polling for the
# other's word, never a fixed sleep), looks for the other's partial file, then edits its own line of shared.tsx.
_SCRIPT = ('echo partial > apps/web/{me}-partial.tsx; touch "$SYNC/{me}"; i=0; '
           'while [ ! -e "$SYNC/{other}" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; '
           '[ -e "$SYNC/{other}" ] || {{ echo "{other} never started"; exit 9; }}; '
           'if [ -e apps/web/{other}-partial.tsx ]; then echo "{me} saw {other}"; else echo "{me} saw nothing"; fi; '
           "sed -i 's/^line {line}$/line {line} by {me}/' apps/web/shared.tsx; rm apps/web/{me}-partial.tsx")


def _agents(line_a: int, line_b: int) -> str:
    return f"""# Agents

## Agent: `alpha`

- **Role:** Front end
- **Output:** apps/web/**
- **Executor:** command: {_SCRIPT.format(me="alpha", other="beta", line=line_a)}

## Agent: `beta`

- **Role:** Also front end
- **Output:** apps/web/**
- **Executor:** command: {_SCRIPT.format(me="beta", other="alpha", line=line_b)}

## Agent: `task_logger`

- **Role:** Task Tracker
"""


def _workspace(tmp_path: Path, line_a: int, line_b: int) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    codex = make_workspace(repo, agents=_agents(line_a, line_b))
    (repo / "apps/web").mkdir(parents=True, exist_ok=True)
    (repo / "apps/web/shared.tsx").write_text(SHARED)
    commit_all(repo, "start")
    sync = tmp_path / "sync"
    sync.mkdir()
    return repo, codex


async def _both(codex: Path, sync: Path) -> tuple[list[Any], list[Any]]:
    env = {**GIT_ENV, "SYNC": str(sync)}

    async def one(agent: str) -> list[Any]:
        return [e async for e in run_agent(codex, RunRequest(agent, "Edit the shared page", env=env, chain=False))]

    alpha, beta = await asyncio.wait_for(asyncio.gather(one("alpha"), one("beta")), 120)
    return alpha, beta


def _said(events: list[Any]) -> list[str]:
    return [e.text for e in events if isinstance(e, ev.ExecutorOutput)]


async def test_both_finish_unseen_by_each_other_and_the_second_merges(tmp_path: Path) -> None:
    repo, codex = _workspace(tmp_path, 2, 7)
    alpha, beta = await _both(codex, tmp_path / "sync")
    assert _said(alpha) == ["alpha saw nothing"] and _said(beta) == ["beta saw nothing"], (alpha, beta)
    assert isinstance(alpha[-1], ev.RunFinished) and alpha[-1].entry is not None
    assert isinstance(beta[-1], ev.RunFinished) and beta[-1].entry is not None
    assert (repo / "apps/web/shared.tsx").read_text() == SHARED.replace("line 2\n", "line 2 by alpha\n").replace(
        "line 7\n", "line 7 by beta\n")
    assert not list((repo / "apps/web").glob("*-partial.tsx"))
    log = json.loads((codex / "TASK-LOG.json").read_text())
    assert sorted(e["agent"] for e in log[-2:]) == ["alpha", "beta"]
    assert all(e["output_files"] == ["apps/web/shared.tsx"] for e in log[-2:])


async def test_the_same_lines_changed_twice_refuse_the_second_naming_the_file(tmp_path: Path) -> None:
    repo, codex = _workspace(tmp_path, 4, 4)
    log_before = len(json.loads((codex / "TASK-LOG.json").read_text()))
    alpha, beta = await _both(codex, tmp_path / "sync")
    ends = [alpha[-1], beta[-1]]
    finished = [e for e in ends if isinstance(e, ev.RunFinished)]
    refused = [e for e in ends if isinstance(e, ev.RunFailed)]
    assert len(finished) == 1 and len(refused) == 1
    assert refused[0].message == ("the run's changes conflict with what changed in apps/web/shared.tsx since it "
                                  "started (your edits or another run's); nothing was applied: settle those files "
                                  "and run it again")
    winner = finished[0].agent
    assert (repo / "apps/web/shared.tsx").read_text() == SHARED.replace("line 4\n", f"line 4 by {winner}\n")
    log = json.loads((codex / "TASK-LOG.json").read_text())
    assert len(log) == log_before + 1 and log[-1]["agent"] == winner

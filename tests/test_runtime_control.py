"""The runtime's controls: prompt cancels, settings that stop a run, ticking the right item, what a commit holds,
concurrency limits, chain limits, model precedence, the context budget, and non-streaming servers.

Every test drives the real `openai` client against the local server in tests/fake_openai.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runtime import events as ev
from techcat_core.runtime.prompt import prompt_budget
from techcat_core.runtime.runner import RunRequest, explain_run, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import commit_all, git, init_repo
from tests.waiting import async_wait_until
from tests.wsbuilder import AGENTS_MD, make_workspace


def _env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123", **extra}


async def _collect(codex: Path, request: RunRequest) -> list[Any]:
    return [event async for event in run_agent(codex, request)]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".techcat" not in p.parts and ".git" not in p.parts}


async def _cancel_when(codex: Path, request: RunRequest, cancel: asyncio.Event,
                       ready: Callable[[list[Any]], object], what: str) -> tuple[list[Any], float]:
    """Run `request`, set `cancel` once `ready(events so far)` holds; the events and how long the cancel took."""
    seen: list[Any] = []

    async def consume() -> None:
        async for event in run_agent(codex, request):
            seen.append(event)

    running = asyncio.ensure_future(consume())
    await async_wait_until(lambda: ready(seen) or running.done(), what)
    assert not running.done(), f"the run ended before {what}: {seen}"
    cancel.set()
    cancelled_at = time.monotonic()
    await asyncio.wait_for(running, 30)
    return seen, time.monotonic() - cancelled_at


@pytest.mark.parametrize("behaviour", [Behaviour(reply="late", delay=10.0), Behaviour(status=429, retry_after=10.0)],
                         ids=["waiting-for-the-first-byte", "sleeping-before-a-retry"])
async def test_a_cancel_takes_effect_at_once(tmp_path: Path, fake_openai: FakeOpenAI, behaviour: Behaviour) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    fake_openai.default = behaviour
    cancel = asyncio.Event()
    ready: Callable[[list[Any]], object]
    if behaviour.delay:  # the server holds the request it has recorded: the client waits for the first byte
        ready, what = (lambda seen: fake_openai.requests), "the server to receive the request"
    else:  # the run said it waits before the next attempt
        ready, what = (lambda seen: any(isinstance(e, ev.Retrying) for e in seen)), "the run to say it retries"
    events, took = await _cancel_when(codex, RunRequest("planner", "Plan", env=_env(fake_openai), cancel=cancel),
                                      cancel, ready, what)
    assert isinstance(events[-1], ev.RunCancelled), events
    assert took < 1.0, f"the cancel took {took:.2f} s to take effect"
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("toml, where", [
    ('[provider]\nkind = "openai-compatible"\nbase_url = "BASE"\nmax_retries = "two"\n', ":4:"),
    ('[provider]\nkind = "bogus"\n', ":2:"),
    ('[provider\nkind = "openai"\n', ":1:"),
])
async def test_a_broken_techcat_toml_stops_the_run_and_says_where(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                   toml: str, where: str) -> None:
    codex = make_workspace(tmp_path, extra={"techcat.toml": toml.replace("BASE", fake_openai.base_url)})
    events = await _collect(codex, RunRequest("planner", "Plan", env={"OPENAI_API_KEY": "sk-test-SECRET-123"}))
    failed = [e for e in events if isinstance(e, ev.RunFailed)]
    assert len(failed) == 1, events
    assert f"techcat.toml{where}" in failed[0].message and "techcat check" in failed[0].message
    assert fake_openai.requests == []
    assert "SECRET" not in failed[0].message


async def test_a_planner_that_rewrites_the_checklist_ticks_the_item_it_ran(tmp_path: Path,
                                                                           fake_openai: FakeOpenAI) -> None:
    proposed = "# Proposed\n\n- [ ] @frontend_specialist Build the settings page\n- [>] @planner Replan the week\n"
    codex = make_workspace(tmp_path, proposed=proposed)
    new_list = ("# Proposed\n\n- [>] @planner Replan the week\n- [ ] @frontend_specialist New one\n"
                "- [ ] @frontend_specialist New two\n- [ ] @frontend_specialist Build the settings page\n")
    fake_openai.queue(new_list)
    events = await _collect(codex, RunRequest("planner", "Replan the week", env=_env(fake_openai), proposed_item=2,
                                              chain=False))
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    text = (codex / "PROPOSED-TASKS.md").read_text()
    assert f"- [x] @planner Replan the week ({entry['task_id']})" in text
    assert "- [ ] @frontend_specialist New two\n" in text and text.count("[x]") == 1


async def test_an_item_that_vanished_is_not_ticked_and_the_run_says_so(tmp_path: Path,
                                                                       fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, proposed="# Proposed\n\n- [>] @planner Replan the week\n")
    fake_openai.queue("# Proposed\n\n- [ ] @frontend_specialist Something else entirely\n")
    events = await _collect(codex, RunRequest("planner", "Replan the week", env=_env(fake_openai), proposed_item=1,
                                              chain=False))
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    assert any("was not ticked" in n and "no longer in the checklist" in n for n in notices), events
    assert "[x]" not in (codex / "PROPOSED-TASKS.md").read_text()


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    codex = make_workspace(root)
    init_repo(root)
    commit_all(root, "start")
    return codex


async def test_commit_holds_only_the_runs_changes(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _repo(tmp_path)
    root = codex.parent
    mine = (codex / "PROPOSED-TASKS.md").read_text() + "- [ ] @planner MY UNCOMMITTED IDEA\n"
    (codex / "PROPOSED-TASKS.md").write_text(mine)
    fake_openai.queue("Built the home page.\n\n```tsx path=apps/web/home.tsx\nexport {}\n```\n")
    events = await _collect(codex, RunRequest("frontend_specialist", "Build home", env=_env(fake_openai), commit=True,
                                              chain=False))
    assert any(isinstance(e, ev.Committed) for e in events), events
    shown = git(root, "show", "--name-only", "--format=%s", "HEAD").split()
    assert "apps/web/home.tsx" in shown and ".codex/TASK-LOG.json" in shown
    assert ".codex/PROPOSED-TASKS.md" not in shown
    assert "MY UNCOMMITTED IDEA" in git(root, "diff", "--", ".codex/PROPOSED-TASKS.md")


async def test_task_logger_commits_and_ticks_when_asked(tmp_path: Path) -> None:
    codex = _repo(tmp_path)
    root = codex.parent
    events = await _collect(codex, RunRequest("task_logger", "Plan the next milestone", env={}, commit=True,
                                              proposed_item=2))
    committed = [e for e in events if isinstance(e, ev.Committed)]
    assert len(committed) == 1, events
    shown = git(root, "show", "--name-only", "--format=%s", "HEAD").split()
    assert ".codex/TASK-LOG.json" in shown and ".codex/PROPOSED-TASKS.md" in shown
    assert "- [x] @planner Plan the next milestone (task-003)" in (codex / "PROPOSED-TASKS.md").read_text()
    assert git(root, "status", "--porcelain") == ""


async def test_a_dry_run_of_task_logger_writes_nothing(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    events = await _collect(codex, RunRequest("task_logger", "Dry note", env={}, dry_run=True))
    assert any(isinstance(e, ev.Notice) and "nothing was written" in e.message for e in events)
    assert not any(isinstance(e, ev.Logged) for e in events)
    assert _snapshot(tmp_path) == before


def _asked(fake: FakeOpenAI, count: int, runs: asyncio.Future[Any]) -> bool:
    """The server has received `count` requests (or the runs ended, so none will come)."""
    return len(fake.requests) >= count or runs.done()


async def test_max_concurrent_runs_bounds_the_requests_in_flight(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.default = Behaviour(reply="Built it.\n\n```tsx path=apps/web/it.tsx\nx\n```\n")
    fake_openai.gate = threading.Semaphore(0)  # the server holds every request until the test lets it go
    wide = make_workspace(tmp_path / "wide", extra={"techcat.toml": "[provider]\nmax_concurrent_runs = 4\n"})
    narrow = make_workspace(tmp_path / "narrow", extra={"techcat.toml": "[provider]\nmax_concurrent_runs = 2\n"})

    def runs(codex: Path, prefix: str, count: int) -> asyncio.Future[list[list[Any]]]:
        return asyncio.gather(*(_collect(codex, RunRequest("frontend_specialist", f"{prefix}{i}", chain=False,
                                                           env=_env(fake_openai))) for i in range(count)))

    wide_runs = runs(wide, "w", 4)
    await async_wait_until(lambda: fake_openai.in_flight == 4 or wide_runs.done(), "four requests at once")
    fake_openai.gate.release(4)
    await asyncio.wait_for(wide_runs, 60)
    assert fake_openai.max_in_flight == 4
    fake_openai.max_in_flight = 0
    asked = len(fake_openai.requests)
    narrow_runs = runs(narrow, "n", 6)
    for answered in range(6):  # let one request go at a time, once every run a free slot allows has asked
        arrived = min(answered + 2, 6)
        await async_wait_until(partial(_asked, fake_openai, asked + arrived, narrow_runs),
                               f"request {arrived} of the narrow runs")
        assert fake_openai.max_in_flight <= 2, f"{fake_openai.max_in_flight} requests in flight with 2 slots"
        fake_openai.gate.release()
    results = await asyncio.wait_for(narrow_runs, 60)
    assert fake_openai.max_in_flight == 2  # the same event loop, a new limit: it holds
    assert len(fake_openai.requests) - asked == 6
    assert all(isinstance(events[-1], ev.RunFinished) for events in results)


CHAIN_AGENTS = """# Agents

## Agent: `a`
- **Role:** First
- **Output:** notes/a.md

Once complete, invoke `b`.

## Agent: `b`
- **Role:** Second
- **Output:** notes/b.md

Once complete, invoke `a`.

## Agent: `c`
- **Role:** Deep one
- **Output:** notes/c.md

Once complete, invoke `d`.

## Agent: `d`
- **Role:** Deeper
- **Output:** notes/d.md

Once complete, invoke `e`.

## Agent: `e`
- **Role:** Too deep
- **Output:** notes/e.md
"""


async def test_a_chain_cycle_runs_each_agent_once_and_says_so(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, log=[])
    fake_openai.default = Behaviour(reply="Did my part.\n")
    events = await _collect(codex, RunRequest("a", "Go", env=_env(fake_openai)))
    assert [e.agent for e in events if isinstance(e, ev.RunStarted)] == ["a", "b"]
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    assert any("already ran in this chain" in n and "a → b → a" in n for n in notices), notices
    assert len(json.loads((codex / "TASK-LOG.json").read_text())) == 2


async def test_a_chain_stops_at_its_depth_limit_and_says_so(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, log=[])
    fake_openai.default = Behaviour(reply="Did my part.\n")
    events = await _collect(codex, RunRequest("c", "Go", env=_env(fake_openai), max_chain_depth=1))
    assert [e.agent for e in events if isinstance(e, ev.RunStarted)] == ["c", "d"]
    assert any(isinstance(e, ev.Notice) and "stops before `e`" in e.message for e in events)


MODEL_AGENTS = AGENTS_MD.replace("- **Role:** Task Forecaster", "- **Role:** Task Forecaster\n- **Model:** agent-model")


@pytest.mark.parametrize("env, toml, flag, expected", [
    ({}, "", None, "agent-model"),
    ({}, '[provider]\nmodel = "toml-model"\n', None, "toml-model"),
    ({"TECHCAT_MODEL": "env-model"}, '[provider]\nmodel = "toml-model"\n', None, "env-model"),
    ({"TECHCAT_MODEL": "env-model"}, "", "flag-model", "flag-model"),
])
def test_model_precedence(tmp_path: Path, fake_openai: FakeOpenAI, env: dict[str, str], toml: str,
                          flag: str | None, expected: str) -> None:
    codex = make_workspace(tmp_path, agents=MODEL_AGENTS, extra={"techcat.toml": toml} if toml else None)
    _, _, model = explain_run(codex, RunRequest("planner", "Plan", model=flag, env=_env(fake_openai, **env)))
    assert model == expected


async def test_model_flag_reaches_the_chained_agents(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, log=[])
    fake_openai.default = Behaviour(reply="Did my part.\n")
    await _collect(codex, RunRequest("a", "Go", model="flag-model", env=_env(fake_openai)))
    assert [r.body["model"] for r in fake_openai.requests] == ["flag-model", "flag-model"]


def test_a_small_context_window_keeps_room_for_the_reply(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    assert prompt_budget(128_000) == 128_000 - 4096
    assert prompt_budget(2000) == 1500
    codex = make_workspace(tmp_path, extra={"techcat.toml": "[provider]\ncontext_window = 2000\n"},
                           log=[{"task_id": f"task-{n:03d}", "agent": "planner", "date": "2025-07-01",
                                 "summary": "A long summary of the work done. " * 8, "output_files": []}
                                for n in range(1, 80)])
    prompt, settings, _ = explain_run(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    assert settings.context_window == 2000 and prompt.budget == 1500
    assert prompt.used <= prompt.budget
    assert prompt.entries_total == 79 and 0 < prompt.entries_included < 79


async def test_a_server_that_cannot_stream(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra={"techcat.toml": "[provider]\nstream = false\n"})
    fake_openai.queue("# Proposed\n\n- [ ] @frontend_specialist Next thing\n")
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert fake_openai.requests[0].body.get("stream") in (None, False)
    assert "".join(e.text for e in events if isinstance(e, ev.TextDelta)).startswith("# Proposed")
    assert any(isinstance(e, ev.Logged) for e in events)
    assert "Next thing" in (codex / "PROPOSED-TASKS.md").read_text()


async def test_azure_rate_limit_then_success(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(status=429, retry_after=0.1), Behaviour(status=500),
                      "# Proposed\n\n- [ ] @frontend_specialist From Azure\n")
    env = {"AZURE_OPENAI_ENDPOINT": fake_openai.azure_endpoint, "AZURE_OPENAI_API_KEY": "az-SECRET",
           "AZURE_OPENAI_DEPLOYMENT": "my-deployment"}
    events = await _collect(codex, RunRequest("planner", "Plan", env=env, chain=False))
    assert [e.reason for e in events if isinstance(e, ev.Retrying)] == ["HTTP 429", "HTTP 500"]
    assert all("/openai/deployments/my-deployment/" in r.path for r in fake_openai.requests)
    assert all(r.headers.get("api-key") == "az-SECRET" for r in fake_openai.requests)
    assert "From Azure" in (codex / "PROPOSED-TASKS.md").read_text()


async def test_credentials_in_a_base_url_are_never_shown(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    url = fake_openai.base_url.replace("http://", "http://alice:hunter2@")
    fake_openai.default = Behaviour(status=500)
    events = await _collect(codex, RunRequest("planner", "Plan", env={"OPENAI_BASE_URL": url}))
    shown = " ".join(str(e) for e in events if not isinstance(e, ev.DryRun))
    assert "hunter2" not in shown and "alice" not in shown
    assert "***@127.0.0.1" in shown


async def test_a_base_url_without_a_scheme_is_refused_up_front(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    events = await _collect(codex, RunRequest("planner", "Plan", env={"OPENAI_BASE_URL": "notaurl"}))
    assert isinstance(events[0], ev.RunFailed) and "must start with http://" in events[0].message


FAN_OUT_AGENTS = """# Agents

## Agent: `a`
- **Role:** First
- **Output:** notes/a.md

Once complete, invoke `b` and `c`.

## Agent: `b`
- **Role:** Second
- **Output:** notes/b.md

Once complete, invoke `c`. Do not invoke `d`; invoke the payments API for refunds.

## Agent: `c`
- **Role:** Third
- **Output:** notes/c.md

## Agent: `d`
- **Role:** Never chained
- **Output:** notes/d.md
"""


async def test_on_fan_out_an_agent_runs_once_per_chain(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=FAN_OUT_AGENTS, log=[])
    fake_openai.default = Behaviour(reply="Did my part.\n")
    events = await _collect(codex, RunRequest("a", "Go", env=_env(fake_openai)))
    assert [e.agent for e in events if isinstance(e, ev.RunStarted)] == ["a", "b", "c"]
    assert [(e.from_agent, e.to_agent) for e in events if isinstance(e, ev.Chained)] == [("a", "b"), ("b", "c")]
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    assert notices == ["`a` chains to `c`, which already ran in this chain (an agent runs once per chain); skipped"]
    assert len(fake_openai.requests) == 3
    assert len(json.loads((codex / "TASK-LOG.json").read_text())) == 3
    assert not any(isinstance(e, ev.RunFailed) for e in events)  # "the payments API" is no agent to chain to


def test_the_runtime_chains_exactly_the_rosters_hand_offs(tmp_path: Path) -> None:
    from techcat_core.runtime.runner import chain_targets, find_agent
    from techcat_core.workspace import load_workspace

    ws = load_workspace(make_workspace(tmp_path, agents=FAN_OUT_AGENTS, log=[]))
    for name in "abcd":
        agent = find_agent(ws, name)
        assert agent is not None
        assert chain_targets(agent) == [link.target for link in agent.chains]
    b = find_agent(ws, "b")
    assert b is not None and chain_targets(b) == ["c"]  # not `d` ("Do not invoke") nor "payments"


async def test_commit_holds_the_runs_tick_but_not_the_users_checklist_edits(tmp_path: Path,
                                                                           fake_openai: FakeOpenAI) -> None:
    codex = _repo(tmp_path)
    root = codex.parent
    checklist = codex / "PROPOSED-TASKS.md"
    committed = checklist.read_text()
    mine = committed.replace("- [>] @planner Plan the next milestone\n",
                             "- [>] @planner Plan the next milestone\n- [ ] @planner MY UNCOMMITTED IDEA\n")
    checklist.write_text(mine)
    (root / "staged.txt").write_text("staged by the user\n")
    git(root, "add", "staged.txt")
    fake_openai.queue("Built the settings page.\n\n```tsx path=apps/web/settings.tsx\nexport {}\n```\n")
    events = await _collect(codex, RunRequest("frontend_specialist", "Build the settings page", env=_env(fake_openai),
                                              commit=True, chain=False, proposed_item=1))
    assert any(isinstance(e, ev.Committed) for e in events), events
    tick = "- [x] @frontend_specialist Build the settings page (task-003)"
    at_head = git(root, "show", "HEAD:.codex/PROPOSED-TASKS.md")
    assert at_head.rstrip("\n") == committed.replace("- [ ] @frontend_specialist Build the settings page",
                                                     tick).rstrip("\n")
    assert "MY UNCOMMITTED IDEA" not in at_head
    assert checklist.read_text() == mine.replace("- [ ] @frontend_specialist Build the settings page", tick)
    shown = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(shown) == [".codex/PROPOSED-TASKS.md", ".codex/TASK-LOG.json", "apps/web/settings.tsx"]
    status = git(root, "status", "--porcelain").splitlines()
    assert sorted(status) == [" M .codex/PROPOSED-TASKS.md", "A  staged.txt"]  # the idea: unstaged, still there
    assert "+- [ ] @planner MY UNCOMMITTED IDEA" in git(root, "diff", "--", ".codex/PROPOSED-TASKS.md")


async def test_a_tick_on_an_item_head_does_not_have_stays_uncommitted(tmp_path: Path,
                                                                      fake_openai: FakeOpenAI) -> None:
    codex = _repo(tmp_path)
    root = codex.parent
    checklist = codex / "PROPOSED-TASKS.md"
    checklist.write_text(checklist.read_text() + "- [>] @frontend_specialist Build the new page\n")
    fake_openai.queue("Built the new page.\n\n```tsx path=apps/web/new.tsx\nexport {}\n```\n")
    events = await _collect(codex, RunRequest("frontend_specialist", "Build the new page", env=_env(fake_openai),
                                              commit=True, chain=False, proposed_item=4))
    notices = [e.message for e in events if isinstance(e, ev.Notice)]
    assert any("the tick is not in the commit" in n for n in notices), events
    assert any(isinstance(e, ev.Committed) for e in events)
    assert sorted(git(root, "show", "--name-only", "--format=", "HEAD").split()) == [".codex/TASK-LOG.json",
                                                                                      "apps/web/new.tsx"]
    assert "- [x] @frontend_specialist Build the new page (task-003)" in checklist.read_text()

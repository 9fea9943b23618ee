"""The agent runtime against a real OpenAI-compatible server on 127.0.0.1 (the client is never patched)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import GIT_ENV, commit_all, git, init_repo, techcat
from tests.waiting import wait_for_file_watch, wait_until, watches_folder
from tests.wsbuilder import AGENTS_MD, make_workspace

CODER_AGENTS = AGENTS_MD + """
## Agent: `coder`

- **Role:** Writes code
- **Output:** apps/web/**, docs/*.md

Once complete, invoke `task_logger`.

## Agent: `writer`

- **Role:** Writes notes
- **Output:** docs/notes.md
"""


def _env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123", **extra}


async def _collect(codex: Path, request: RunRequest) -> list[Any]:
    return [event async for event in run_agent(codex, request)]


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts and ".techcat" not in p.parts}


async def test_run_streams_writes_logs_and_chains(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    reply = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"
    fake_openai.queue(reply)
    events = await _collect(codex, RunRequest("planner", "Plan the next milestone", env=_env(fake_openai)))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert "".join(e.text for e in events if isinstance(e, ev.TextDelta)) == reply
    assert sum(isinstance(e, ev.TextDelta) for e in events) > 3  # really streamed, in pieces
    written = [e.path for e in events if isinstance(e, ev.FileWritten)]
    assert written == [tmp_path / ".codex" / "PROPOSED-TASKS.md"]
    assert (codex / "PROPOSED-TASKS.md").read_text() == reply
    logged = [e.entry for e in events if isinstance(e, ev.Logged)]
    assert len(logged) == 1 and logged[0]["task_id"] == "task-003" and logged[0]["agent"] == "planner"
    assert logged[0]["summary"] == "Planned the next milestone."
    assert logged[0]["output_files"] == [".codex/PROPOSED-TASKS.md"]
    chained = [e for e in events if isinstance(e, ev.Chained)]
    assert [(c.from_agent, c.to_agent) for c in chained] == [("planner", "task_logger")]
    assert json.loads((codex / "TASK-LOG.json").read_text())[-1] == logged[0]  # exactly one new entry
    assert len(json.loads((codex / "TASK-LOG.json").read_text())) == 3
    request = fake_openai.requests[-1]
    assert request.body["stream"] is True
    system, user = request.body["messages"][0], request.body["messages"][-1]  # the tools' guidance may stand between
    assert "Task Forecaster" in system["content"] and "Plan the next milestone" in user["content"]
    assert "Did task number 2." in user["content"]  # its memory: the task log
    assert "sk-test-SECRET-123" not in json.dumps(request.body)  # the key goes in a header, never the prompt


async def test_azure_url_form(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue("Planned via Azure.\n")
    env = {"AZURE_OPENAI_ENDPOINT": fake_openai.azure_endpoint, "AZURE_OPENAI_API_KEY": "azure-key",
           "AZURE_OPENAI_DEPLOYMENT": "gpt4o-deploy", "OPENAI_API_VERSION": "2024-10-21"}
    events = await _collect(codex, RunRequest("planner", "Plan", env=env, model="gpt4o-deploy"))
    assert any(isinstance(e, ev.Logged) for e in events), events
    path = fake_openai.requests[-1].path
    assert path.startswith("/openai/deployments/gpt4o-deploy/chat/completions") and "api-version=2024-10-21" in path
    assert fake_openai.requests[-1].headers.get("api-key") == "azure-key"


async def test_retries_on_429_and_500_then_succeeds(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(status=429, retry_after=0.05), Behaviour(status=500), "Planned after retries.\n")
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    retries = [e for e in events if isinstance(e, ev.Retrying)]
    assert [r.reason for r in retries] == ["HTTP 429", "HTTP 500"]
    assert retries[0].delay == pytest.approx(0.05)
    assert any(isinstance(e, ev.Logged) for e in events)


async def test_gives_up_with_a_clear_failure_and_writes_nothing(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    fake_openai.default = Behaviour(status=500)
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    failed = [e for e in events if isinstance(e, ev.RunFailed)]
    assert len(failed) == 1 and "failed 4 time(s), last: HTTP 500" in failed[0].message
    assert _snapshot(tmp_path) == before


async def test_server_dying_mid_stream_leaves_every_file_identical(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    fake_openai.default = Behaviour(reply="x" * 400, drop_after=5)
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    assert isinstance(events[-1], ev.RunFailed) and "connection closed mid-reply" in events[-1].message
    assert _snapshot(tmp_path) == before


async def test_cancelled_run_leaves_every_file_identical(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    fake_openai.queue(Behaviour(reply="slow reply " * 40, chunk_delay=0.05))
    cancel = asyncio.Event()
    seen: list[Any] = []

    async def consume() -> None:
        async for event in run_agent(codex, RunRequest("planner", "Plan", env=_env(fake_openai), cancel=cancel)):
            seen.append(event)
            if sum(isinstance(e, ev.TextDelta) for e in seen) == 3:
                cancel.set()

    await asyncio.wait_for(consume(), 30)
    assert isinstance(seen[-1], ev.RunCancelled)
    assert _snapshot(tmp_path) == before
    # a hard cancel of the consuming task also writes nothing
    fake_openai.queue(Behaviour(reply="slow reply " * 40, chunk_delay=0.05))
    streaming = asyncio.Event()

    async def consume_until_cut_off() -> None:
        async for event in run_agent(codex, RunRequest("planner", "Plan", env=_env(fake_openai))):
            if isinstance(event, ev.TextDelta):
                streaming.set()

    task = asyncio.ensure_future(consume_until_cut_off())
    await asyncio.wait_for(streaming.wait(), 60)  # mid-reply: the run has text it must not write
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("path, reason", [
    ("../outside.txt", "escapes the repository"),
    ("/tmp/evil.txt", "is absolute"),
    ("apps/web/link/evil.tsx", "symbolic link"),
    ("src/elsewhere.py", "not among this agent's outputs"),
])
async def test_reply_paths_are_confined(tmp_path: Path, fake_openai: FakeOpenAI, path: str, reason: str) -> None:
    repo = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    codex = make_workspace(repo, agents=CODER_AGENTS)
    (repo / "apps" / "web" / "link").symlink_to(outside, target_is_directory=True)
    before = _snapshot(repo)
    fake_openai.queue(f"Wrote files.\n\n```tsx path=apps/web/ok.tsx\nok\n```\n\n```text path={path}\npwned\n```\n")
    events = await _collect(codex, RunRequest("coder", "Write", env=_env(fake_openai)))
    failed = [e for e in events if isinstance(e, ev.RunFailed)]
    assert len(failed) == 1 and reason in failed[0].message and "nothing was written" in failed[0].message
    assert _snapshot(repo) == before
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "outside.txt").exists()


async def test_multi_file_reply(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CODER_AGENTS)
    fake_openai.queue("Built the profile page and documented it.\n\n```tsx path=apps/web/profile.tsx\nexport {}\n```\n"
                      "\nFile: docs/profile.md\n```markdown\n# Profile\n```\n")
    events = await _collect(codex, RunRequest("coder", "Build the profile page", env=_env(fake_openai)))
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    assert entry["output_files"] == ["apps/web/profile.tsx", "docs/profile.md"]
    assert (tmp_path / "apps/web/profile.tsx").read_text() == "export {}\n"
    assert (tmp_path / "docs/profile.md").read_text() == "# Profile\n"


async def test_fifty_runs_at_once(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CODER_AGENTS)
    fake_openai.default = Behaviour(reply="Did some work.\n", chunk_delay=0.001)

    async def one(i: int) -> list[Any]:
        agent = ("planner", "writer")[i % 2]
        return await _collect(codex, RunRequest(agent, f"Task number {i}", env=_env(fake_openai), chain=False))

    results = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(50))), 240)
    entries = [e.entry for events in results for e in events if isinstance(e, ev.Logged)]
    assert len(entries) == 50
    log = json.loads((codex / "TASK-LOG.json").read_text())
    assert len(log) == 52 and len({e["task_id"] for e in log}) == 52


async def test_dry_run_writes_nothing_and_says_how_to_configure(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    events = await _collect(codex, RunRequest("planner", "Plan", env={}))
    dry = [e for e in events if isinstance(e, ev.DryRun)]
    assert len(dry) == 1 and "OPENAI_API_KEY" in dry[0].hint and dry[0].messages[0]["role"] == "system"
    assert _snapshot(tmp_path) == before


async def test_unknown_agent_and_builtin_logger(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    events = await _collect(codex, RunRequest("nobody", "x", env={}))
    assert isinstance(events[0], ev.RunFailed) and "no agent named `nobody`" in events[0].message
    events = await _collect(codex, RunRequest("task_logger", "Reviewed the release notes", env={}))
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    assert entry["agent"] == "task_logger" and entry["summary"] == "Reviewed the release notes"


def test_cli_run_commit_on_a_git_repo(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=CODER_AGENTS)
    commit_all(tmp_path, "start")
    (tmp_path / "unrelated.txt").write_text("staged but not ours\n")
    git(tmp_path, "add", "unrelated.txt")
    fake_openai.queue("Built the about page.\n\n```tsx path=apps/web/about.tsx\nexport const About = 1\n```\n")
    result = techcat("run", "coder", "Build the about page", "--commit", cwd=tmp_path, env=_env(fake_openai))
    assert result.returncode == 0, result.stderr
    assert "Built the about page." in result.stdout  # the streamed reply
    assert "✓ wrote apps/web/about.tsx" in result.stderr and "✓ logged task-003" in result.stderr
    assert "→ coder chains to task_logger" in result.stderr
    files = git(tmp_path, "show", "--name-only", "--format=%s", "HEAD").split("\n")
    assert files[0] == "task-003 (coder): Built the about page."
    assert sorted(f for f in files[1:] if f) == [".codex/TASK-LOG.json", "apps/web/about.tsx"]
    assert "A  unrelated.txt" in git(tmp_path, "status", "--porcelain")
    assert "sk-test-SECRET-123" not in result.stdout + result.stderr + (codex / "TASK-LOG.json").read_text()


def test_cli_run_proposed_ticks_the_item(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue("Built the settings page.\n\n```tsx path=apps/web/settings.tsx\nexport {}\n```\n")
    result = techcat("run", "--proposed", "1", cwd=tmp_path, env=_env(fake_openai))
    assert result.returncode == 0, result.stderr
    first = (codex / "PROPOSED-TASKS.md").read_text().splitlines()[2]
    assert first == "- [x] @frontend_specialist Build the settings page (task-003)"
    body = fake_openai.requests[-1].body["messages"][-1]["content"]
    assert body.rstrip().endswith("Build the settings page")


def test_cli_explain_and_errors(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    make_workspace(tmp_path)
    explain = techcat("run", "planner", "Plan", "--explain", cwd=tmp_path, env=_env(fake_openai))
    assert explain.returncode == 0 and "--- system ---" in explain.stdout and "task-log entries" in explain.stdout
    assert fake_openai.requests == []  # nothing was sent
    unknown = techcat("run", "--provider", "openai", "planner", "x", cwd=tmp_path,
                      env={"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""})
    assert unknown.returncode == 1 and "needs OPENAI_API_KEY" in unknown.stderr and "Traceback" not in unknown.stderr


class _Lines:
    """A process's stderr lines as they come, read on a thread, so a test waits for what the program says."""

    def __init__(self, stream: Any) -> None:
        import queue
        import threading

        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        def pump() -> None:
            for line in stream:
                self._queue.put(line)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, *words: str, timeout: float = 30) -> str:
        import queue

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self._queue.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if any(word in line for word in words):
                return line
        raise AssertionError(f"no line with {words} in {timeout} s; saw {self.seen}")


def test_watch_runs_queued_items_and_survives_a_broken_file(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, proposed="# Proposed\n\n- [?] @planner broken mark\n- [>] @nobody Unknown agent\n")
    fake_openai.default = Behaviour(reply="Built the launch page.\n\n```tsx path=apps/web/launch.tsx\nx\n```\n")
    env = {**GIT_ENV, **_env(fake_openai), "PYTHONUNBUFFERED": "1"}
    daemon = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "watch"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proposed = codex / "PROPOSED-TASKS.md"
    try:
        lines = _Lines(daemon.stderr)
        lines.wait_for("TC3")  # the broken mark, as a diagnostic
        lines.wait_for("nobody")  # the unknown agent: the run fails, the daemon goes on
        lines.wait_for("watching ")
        assert daemon.poll() is None  # still alive
        wait_for_file_watch(daemon, codex)
        proposed.write_text("# Proposed\n\n- [>] @frontend_specialist Build the launch page\n")
        lines.wait_for("✓ logged task-003")
        wait_until(lambda: "(task-" in proposed.read_text(), "the item to be ticked")
        assert "- [x] @frontend_specialist Build the launch page (task-003)" in proposed.read_text()
        assert any("Build the launch page" in json.dumps(r.body) for r in fake_openai.requests)
    finally:
        daemon.terminate()
        _out, err = daemon.communicate(timeout=20)
    assert "Traceback" not in "".join(lines.seen) + err


def test_watch_picks_up_an_item_within_a_second(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, proposed="# Proposed\n\n- [ ] @frontend_specialist Build it\n")
    fake_openai.default = Behaviour(reply="Built it.\n\n```tsx path=apps/web/it.tsx\nx\n```\n")
    env = {**GIT_ENV, **_env(fake_openai)}
    daemon = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "watch"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert daemon.stderr is not None
        ready = daemon.stderr.readline()  # the daemon says so once it is warmed up and its watch is in place
        assert ready.startswith("watching "), ready
        assert watches_folder(daemon.pid, codex) is not False, "said 'watching' before its watch was in place"
        count = len(fake_openai.requests)
        (codex / "PROPOSED-TASKS.md").write_text("# Proposed\n\n- [>] @frontend_specialist Build it\n")
        marked = time.monotonic()
        while time.monotonic() - marked < 5 and len(fake_openai.requests) == count:
            time.sleep(0.01)
        assert len(fake_openai.requests) > count
        assert time.monotonic() - marked < 1.0
    finally:
        daemon.terminate()
        daemon.communicate(timeout=20)
    assert os.path.exists(codex / "TASK-LOG.json")


async def test_timeouts_are_retried_then_fail_clearly(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra={"techcat.toml": "[provider]\ntimeout = 0.3\nmax_retries = 1\n"})
    before = _snapshot(tmp_path)
    fake_openai.default = Behaviour(reply="late", delay=1.0)
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    assert [e.reason for e in events if isinstance(e, ev.Retrying)] == ["timed out"]
    assert isinstance(events[-1], ev.RunFailed) and "last: timed out" in events[-1].message
    assert _snapshot(tmp_path) == before


async def test_chain_runs_the_next_model_agent_with_the_previous_result(tmp_path: Path,
                                                                        fake_openai: FakeOpenAI) -> None:
    agents = AGENTS_MD.replace("Once complete, invoke `task_logger`.", "Once complete, invoke `writer`.", 1) + \
        "\n## Agent: `writer`\n\n- **Role:** Writes notes\n- **Output:** docs/notes.md\n\n" \
        "Once complete, invoke `task_logger`.\n"
    # the template names an agent too, but only the roster's hand-offs (Agent.chains) chain
    codex = make_workspace(tmp_path, agents=agents,
                           extra={"templates/task-template.md": "# {{TASK}}\n\nPass control to the "
                                                                "`frontend_specialist` agent when done.\n"})
    fake_openai.queue("Planned the release.\n", "Wrote the release notes.\n")
    events = await _collect(codex, RunRequest("planner", "Plan the release", env=_env(fake_openai)))
    chained = [(e.from_agent, e.to_agent) for e in events if isinstance(e, ev.Chained)]
    assert chained == [("planner", "writer"), ("writer", "task_logger")]
    logged = [e.entry["agent"] for e in events if isinstance(e, ev.Logged)]
    assert logged == ["planner", "writer"]
    assert "Planned the release." in fake_openai.requests[-1].body["messages"][-1]["content"]
    assert (tmp_path / "docs/notes.md").read_text() == "Wrote the release notes.\n"

"""A tool run's named commands start from the run's own environment (`RunRequest.env`), as executors do, not from
the process's: a front end that runs an agent with its own variables (the TUI, the language server, the MCP server)
gives them to the project's test command too. The key is still taken out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.gitutil import GIT_ENV, commit_all, init_repo
from tests.wsbuilder import make_workspace

KEY = "sk-test-SECRET-123"
PROBE = "TECHCAT_W2_ONLY_IN_THE_REQUEST"
AGENTS = """# Agents

## Agent: `coder`

- **Role:** Writes code
- **Output:** apps/web/**
"""
# the command prints the probe, and whether the key or a hook's GIT_DIR reached it
TOML = f"""[tools.commands]
probe = 'sh -c "echo probe=${{{PROBE}:-unset}} key=${{OPENAI_API_KEY:-unset}} git=${{GIT_DIR:-unset}}"'
"""


def _tool_contents(fake: FakeOpenAI, request: int) -> list[str]:
    return [m["content"] for m in fake.requests[request].body["messages"] if m["role"] == "tool"]


async def test_a_named_command_sees_a_variable_given_only_in_the_requests_env(tmp_path: Path,
                                                                             fake_openai: FakeOpenAI) -> None:
    assert PROBE not in os.environ
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=AGENTS, extra={"techcat.toml": TOML})
    commit_all(tmp_path, "start")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="probe")]),
                      Behaviour(reply="", tool_calls=[tool_call("write_file", path="apps/web/ran.txt",
                                                                content="ran\n")]),
                      "Ran the probe and wrote apps/web/ran.txt.")
    env = {**GIT_ENV, "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": KEY, "TECHCAT_HISTORY_URL": "",
           PROBE: "from-the-request", "GIT_DIR": str(tmp_path / ".git")}
    events: list[Any] = [e async for e in run_agent(codex, RunRequest("coder", "Probe", env=env, chain=False))]
    assert isinstance(events[-1], ev.RunFinished) and events[-1].entry is not None, events
    [output] = _tool_contents(fake_openai, 1)
    assert "probe=from-the-request key=unset git=unset" in output, output

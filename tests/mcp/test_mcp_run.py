"""`run_agent` over MCP, against the local OpenAI-compatible fake server (never a real model API)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from tests.fake_openai import FakeOpenAI
from tests.mcp.mcp_session import NO_USER_CONFIG, TIMEOUT, call, call_error, techcat_mcp
from tests.wsbuilder import AGENTS_MD, make_workspace

CODER = AGENTS_MD + """
## Agent: `coder`

- **Role:** Writes code
- **Output:** apps/web/**

Once complete, invoke `task_logger`.
"""


async def test_run_agent_writes_logs_ticks_and_reports_progress(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CODER,
                           proposed="# Proposed tasks\n\n- [ ] @coder Write the profile page\n")
    fake_openai.queue("Wrote the profile page.\n\n```tsx path=apps/web/profile.tsx\nexport {}\n```\n")
    progress_messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        progress_messages.append(message or "")

    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test", **NO_USER_CONFIG}
    params = StdioServerParameters(command=sys.executable, args=["-m", "techcat_cli.main", "mcp"], cwd=str(tmp_path),
                                   env=env)
    async with Client(params, read_timeout_seconds=TIMEOUT) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("run_agent", {"agent": "coder", "proposed_item": 1},
                                        progress_callback=on_progress)
        unknown = await call_error(client, "run_agent", agent="nobody", task="x")
    assert "run_agent" in names
    assert not result.is_error, result.content
    reply = json.loads(getattr(result.content[0], "text", ""))
    assert reply == {"outcome": "done", "summary": "coder wrote apps/web/profile.tsx; logged task-003; ticked item 1",
                     "runs": [{"agent": "coder", "outcome": "done", "files": ["apps/web/profile.tsx"],
                               "task_id": "task-003", "ticked_item": 1}]}
    assert (tmp_path / "apps/web/profile.tsx").read_text() == "export {}\n"
    assert json.loads((codex / "TASK-LOG.json").read_text())[-1]["task_id"] == "task-003"
    assert "- [x] @coder Write the profile page (task-003)" in (codex / "PROPOSED-TASKS.md").read_text()
    assert "Write the profile page" in fake_openai.requests[-1].body["messages"][-1]["content"]
    assert progress_messages[0].startswith("coder started") and "coder logged task-003" in progress_messages
    assert "no agent named `nobody`" in unknown


async def test_without_a_provider_run_agent_is_not_offered(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    async with techcat_mcp(tmp_path) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        missing = await client.call_tool("run_agent", {"agent": "planner", "task": "Plan"})
        still_alive = await call(client, "list_proposed")
    assert "run_agent" not in names
    assert missing.is_error
    assert len(still_alive["items"]) == 2

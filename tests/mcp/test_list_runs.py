"""`list_runs` over stdio: the run history as an MCP client (Codex, Claude Code) reads it."""

from __future__ import annotations

from pathlib import Path

from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import techcat
from tests.mcp.mcp_session import call, call_error, techcat_mcp
from tests.wsbuilder import AGENTS_MD, make_workspace

WRITER = AGENTS_MD + "\n## Agent: `writer`\n\n- **Role:** Writes notes\n- **Output:** docs/notes.md\n"


async def test_list_runs_reads_the_history_newest_first(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    make_workspace(tmp_path, agents=WRITER, extra={"techcat.toml": '[prices."gpt-4o-mini"]\ninput = 1\noutput = 2\n'})
    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123",
           "TECHCAT_HISTORY_URL": ""}
    fake_openai.queue(Behaviour(reply="Planned it.\n", usage=(300, 40)), Behaviour(status=400))
    assert techcat("run", "planner", "Plan it", "--no-chain", cwd=tmp_path, env=env).returncode == 0
    assert techcat("run", "writer", "Write it", "--no-chain", cwd=tmp_path, env=env).returncode == 1
    async with techcat_mcp(tmp_path) as client:
        everything = await call(client, "list_runs")
        planner = await call(client, "list_runs", agent="planner")
        failed = await call(client, "list_runs", outcome="failed", since="1d")
        one = await call(client, "list_runs", limit=1)
        bad_since = await call_error(client, "list_runs", since="last tuesday")
        bad_outcome = await call_error(client, "list_runs", outcome="meh")
        bad_limit = await call_error(client, "list_runs", limit=0)
    assert [r["agent"] for r in everything["runs"]] == ["writer", "planner"]
    [done] = planner["runs"]
    assert (done["outcome"], done["task_id"], done["prompt_tokens"], done["completion_tokens"]) == \
        ("done", "task-003", 300, 40)
    assert done["cost"] == (300 * 1 + 40 * 2) / 1_000_000 and "tokens_estimated" not in done  # as reported
    assert "record_id" not in done and "chain_id" not in done and "reason" not in done  # kept compact
    [writer] = failed["runs"]
    assert writer["agent"] == "writer" and "HTTP 400" in writer["reason"] and "task_id" not in writer
    assert [r["agent"] for r in one["runs"]] == ["writer"]
    assert "since 'last tuesday' is neither a date" in bad_since
    assert "outcome 'meh' is not one of done, failed, cancelled, dry-run" in bad_outcome
    assert "limit 0 is not between 1 and 200" in bad_limit

"""The MCP surface of the confinement review: a `.codex` linked out of its repository is refused by every call with a
sentence (nothing read, nothing written), and `log_task` on a FIFO log answers at once (the real `techcat mcp`)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.gitutil import init_repo
from tests.mcp.mcp_session import call, call_error, techcat_mcp
from tests.wsbuilder import make_workspace

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


async def test_a_codex_linked_out_is_refused_by_every_call(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    codex = make_workspace(outside, prd=f"# PRD\n\n{SECRET}\n")
    log_before = (codex / "TASK-LOG.json").read_bytes()
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    (repo / ".codex").symlink_to(codex)
    async with techcat_mcp(repo) as client:
        listed = (await client.list_resources()).resources
        checked = await asyncio.wait_for(call_error(client, "check_workspace"), 60)
        logged = await call_error(client, "log_task", agent="planner", summary="Planned")
        roster = await call_error(client, "read_roster")
    assert listed == []
    for message in (checked, logged, roster):
        assert f'"{repo.resolve()}/.codex" leads outside the repository through a symbolic link' in message
        assert "nothing was read" in message and SECRET not in message
    assert (codex / "TASK-LOG.json").read_bytes() == log_before and not (codex / ".techcat").exists()


async def test_log_task_on_a_fifo_log_answers_at_once(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (codex / "TASK-LOG.json").unlink()
    os.mkfifo(codex / "TASK-LOG.json")
    async with techcat_mcp(tmp_path) as client:
        logged = await asyncio.wait_for(call_error(client, "log_task", agent="planner", summary="Planned"), 60)
        roster = await call(client, "read_roster")  # the server still answers afterwards
    assert logged.endswith(f'"{codex.resolve()}/TASK-LOG.json" is a FIFO (named pipe); TechCat reads only regular '
                           "files; nothing was appended")
    assert "planner" in json.dumps(roster)

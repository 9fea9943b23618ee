"""The MCP surface of issue 11 §1: resources and tools never serve a link out of the repository, never block on a
FIFO, stop at the size cap, and refuse `file="/etc/passwd"` with a sentence (the real `techcat mcp` over stdio)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from techcat_mcp.agents_md import AgentsMdError, ensure_agents_paragraph
from tests.mcp.mcp_session import call, call_error, techcat_mcp
from tests.wsbuilder import make_workspace

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


def _hostile(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (tmp_path / "secret.md").write_text(SECRET + "\n")
    codex = make_workspace(repo, extra={"techcat.toml": "[limits]\nmax_file_bytes = 4096\n"})
    (codex / "PRD.md").unlink()
    (codex / "PRD.md").symlink_to(tmp_path / "secret.md")
    (codex / "prompts").mkdir()
    (codex / "prompts" / "planner.md").symlink_to(tmp_path / "secret.md")
    (codex / "ARCHITECTURE.md").unlink()
    os.mkfifo(codex / "ARCHITECTURE.md")
    (codex / "PROPOSED-TASKS.md").write_text("# Proposed\n\n" + "- [ ] @planner Plan the next step\n" * 500)
    return repo


async def _resource_error(client: Client, uri: str) -> str:
    with pytest.raises(MCPError) as caught:
        await asyncio.wait_for(client.read_resource(uri), 30)
    return str(caught.value)


async def test_resources_and_tools_are_confined(tmp_path: Path) -> None:
    repo = _hostile(tmp_path)
    async with techcat_mcp(repo) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        prd = await _resource_error(client, "techcat://codex/PRD.md")
        fifo = await _resource_error(client, "techcat://codex/ARCHITECTURE.md")
        huge = await _resource_error(client, "techcat://codex/PROPOSED-TASKS.md")
        prompt = (await client.read_resource("techcat://prompts/planner")).contents[0]
        roster = await call(client, "read_roster", agent="planner")
        report = await asyncio.wait_for(call(client, "check_workspace"), 60)
        passwd = await call_error(client, "check_workspace", file="/etc/passwd")
        escaping = await call_error(client, "check_workspace", file="../../etc/passwd")
        git = await call_error(client, "check_workspace", file=".git/config")
        nul = await call_error(client, "check_workspace", file="TASK-LOG.json\x00")
        long = await call_error(client, "check_workspace", file="a" * 1_000_000)
        still = await call(client, "check_workspace", file="TASK-LOG.json")
    assert "techcat://codex/PRD.md" not in listed and "techcat://codex/ARCHITECTURE.md" not in listed
    assert ".codex/PRD.md leads outside the repository through a symbolic link, so it is not served" in prd
    assert ".codex/ARCHITECTURE.md is a FIFO (named pipe), so it is not served" in fifo
    assert ".codex/PROPOSED-TASKS.md is over the 4,096-byte limit ([limits] max_file_bytes)" in huge
    assert SECRET not in str(prompt) + str(roster) + prd
    assert roster["prompt"] is None
    assert sorted(d["where"].split(":")[0] for d in report["diagnostics"] if d["code"] == "TC004") == [
        ".codex/ARCHITECTURE.md", ".codex/PRD.md", ".codex/PROPOSED-TASKS.md", ".codex/prompts/planner.md"]
    assert 'file "/etc/passwd" lies outside the repository, so it is not a workspace file; name it relative' in passwd
    assert 'file "../../etc/passwd" escapes the repository' in escaping
    assert 'file ".git/config" lies inside .git/' in git
    assert "contains a NUL character" in nul
    assert "is longer than 4,096 characters" in long and len(long) < 1_000
    assert still["errors"] == 0


def test_the_agents_md_paragraph_never_follows_a_link_out_nor_opens_a_fifo(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    outside = tmp_path / "elsewhere.md"
    outside.write_text("# Someone else's file\n")
    (repo / "AGENTS.md").symlink_to(outside)
    with pytest.raises(AgentsMdError, match="leads outside the repository through a symbolic link"):
        ensure_agents_paragraph(repo)
    assert outside.read_text() == "# Someone else's file\n"
    (repo / "AGENTS.md").unlink()
    os.mkfifo(repo / "AGENTS.md")
    with pytest.raises(AgentsMdError, match=r"is a FIFO \(named pipe\)"):
        ensure_agents_paragraph(repo)

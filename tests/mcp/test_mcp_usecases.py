"""The MCP tools a coding agent needs beyond logging (issue 15 §2), over stdio with the SDK's own client: warnings on
missing output files, applying the safe fixes, changing checklist items, "what next", adding an agent, reading the
PRD and architecture, tool-list change notifications and following the client's workspace roots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp.client.session import ClientRequestContext

from tests.mcp.mcp_session import TIMEOUT, call, call_error, techcat_mcp
from tests.wsbuilder import entry, make_workspace

PROPOSED = """# Proposed tasks

- [ ] @frontend_specialist Build the settings page
- [>] @planner Plan the next milestone
- [x] @frontend_specialist Build the home page (task-001)
- [ ] Decide on a hosting region
- [ ] @ghost Haunt the staging server
"""


class Notifications:
    """Every notification the server sends, and a way to wait for one kind (no fixed sleep)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._changed = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, Exception):
            return
        self.seen.append(message.method)
        self._changed.set()

    async def wait_for(self, method: str, count: int = 1) -> None:
        with anyio.fail_after(TIMEOUT):
            while self.seen.count(method) < count:
                self._changed = anyio.Event()
                await self._changed.wait()


async def test_log_task_warns_about_output_files_that_do_not_exist(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    async with techcat_mcp(tmp_path) as client:
        reply = await call(client, "log_task", agent="frontend_specialist", summary="Pages",
                           output_files=["apps/web/home.tsx", "apps/web/typo.tsx"])
        clean = await call(client, "log_task", agent="frontend_specialist", summary="Home",
                           output_files=["apps/web/home.tsx"])
    assert reply["warnings"] == [f"output file apps/web/typo.tsx does not exist in {tmp_path.resolve()}; logged as "
                                 "given (check the spelling)"]
    assert reply["logged"]["output_files"] == ["apps/web/home.tsx", "apps/web/typo.tsx"]
    assert "warnings" not in clean
    assert json.loads((codex / "TASK-LOG.json").read_text())[-2]["task_id"] == reply["logged"]["task_id"]


async def test_apply_fixes_applies_the_safe_fixes_check_workspace_suggests(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=[entry(1, date="2025/07/14"), entry(2, date="2025/06/31")])
    async with techcat_mcp(tmp_path) as client:
        before = await call(client, "check_workspace")
        fixed = await call(client, "apply_fixes")
        again = await call(client, "apply_fixes")
    assert before["hint"] == "apply_fixes (or `techcat check --fix`) applies the safe fixes"
    assert fixed["applied"] == 1 and fixed["errors"] == 1  # 2025/06/31 has no certain meaning: left for a person
    assert [d["code"] for d in fixed["left"]] == ["TC108"] and "2025/06/31" in fixed["left"][0]["message"]
    assert [e["date"] for e in json.loads((codex / "TASK-LOG.json").read_text())] == ["2025-07-14", "2025/06/31"]
    assert again["applied"] == 0


async def test_change_task_queues_unqueues_edits_and_removes_an_item(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, proposed=PROPOSED)
    proposed = codex / "PROPOSED-TASKS.md"
    async with techcat_mcp(tmp_path) as client:
        unqueued = await call(client, "change_task", number=2, action="unqueue")
        not_queued = await call_error(client, "change_task", number=2, action="unqueue")
        edited = await call(client, "change_task", number=1, action="edit",
                            text="@frontend_specialist Build the settings page, with dark mode")
        done = await call_error(client, "change_task", number=3, action="edit", text="Rewrite history")
        unknown = await call_error(client, "change_task", number=1, action="edit", text="@nobody Do it")
        no_text = await call_error(client, "change_task", number=1, action="edit")
        removed = await call(client, "change_task", number=4, action="remove")
        gone = await call_error(client, "change_task", number=5, action="remove")
        listed = await call(client, "list_proposed", include_done=True)
    assert unqueued["unqueued"] == {"number": 2, "state": "proposed", "text": "@planner Plan the next milestone",
                                    "agent": "planner"}
    assert not_queued.endswith("item 2 is proposed, not queued: @planner Plan the next milestone")
    assert edited["edited"]["text"] == "@frontend_specialist Build the settings page, with dark mode"
    assert "item 3 is done" in done and "agent `nobody` is not in the roster" in unknown
    assert no_text.endswith("edit needs text: the item's new one-line text")
    assert removed["removed"]["text"] == "Decide on a hosting region"
    assert gone.endswith("PROPOSED-TASKS.md has no item 5 (it has 4)")
    assert proposed.read_text(encoding="utf-8") == """# Proposed tasks

- [ ] @frontend_specialist Build the settings page, with dark mode
- [ ] @planner Plan the next milestone
- [x] @frontend_specialist Build the home page (task-001)
- [ ] @ghost Haunt the staging server
"""
    assert [item["number"] for item in listed["items"]] == [1, 2, 3, 4]


async def test_next_task_lists_the_open_items_whose_agent_exists_in_order(tmp_path: Path) -> None:
    make_workspace(tmp_path, proposed=PROPOSED)
    async with techcat_mcp(tmp_path) as client:
        found = await call(client, "next_task")
    assert found == {"items": [
        {"number": 1, "state": "proposed", "text": "@frontend_specialist Build the settings page",
         "agent": "frontend_specialist"},
        {"number": 2, "state": "queued", "text": "@planner Plan the next milestone", "agent": "planner"}]}


async def test_add_agent_appends_a_section_and_refuses_a_duplicate_or_bad_name(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = (codex / "AGENTS.md").read_text(encoding="utf-8")
    async with techcat_mcp(tmp_path) as client:
        added = await call(client, "add_agent", name="qa_engineer", role="Tests every page",
                           outputs=["apps/web/e2e/**"])
        twice = await call_error(client, "add_agent", name="qa_engineer", role="Again")
        bad = await call_error(client, "add_agent", name="9lives", role="Cat")
        escaping = await call_error(client, "add_agent", name="sneaky", role="x", outputs=["../outside/**"])
        roster = await call(client, "read_roster")
        logged = await call(client, "log_task", agent="qa_engineer", summary="Tested the home page")
    assert added["added"] == {"name": "qa_engineer", "role": "Tests every page", "outputs": ["apps/web/e2e/**"]}
    text = (codex / "AGENTS.md").read_text(encoding="utf-8")
    assert text == before + ("\n## Agent: `qa_engineer`\n\n- **Role:** Tests every page\n"
                             "- **Output:** apps/web/e2e/**\n")
    assert "agent `qa_engineer` is already in the roster (.codex/AGENTS.md:" in twice
    assert "`9lives` is not an agent name" in bad
    assert 'output "../outside/**" escapes the repository' in escaping
    assert "qa_engineer" in [agent["name"] for agent in roster["agents"]]
    assert logged["logged"]["agent"] == "qa_engineer"


async def test_read_doc_reads_the_prd_and_the_architecture(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    async with techcat_mcp(tmp_path) as client:
        prd = await client.call_tool("read_doc", {"name": "prd"})
        architecture = await client.call_tool("read_doc", {"name": "architecture"})
        (codex / "PRD.md").unlink()
        missing = await call_error(client, "read_doc", name="prd")
        wrong = await call_error(client, "read_doc", name="roadmap")
    assert [getattr(block, "text", None) for block in (*prd.content, *architecture.content)] == [
        "# PRD\n\nVision.\n", "# Architecture\n\nParts.\n"]
    assert f"{codex.resolve() / 'PRD.md'} does not exist" in missing
    assert "`name`" in wrong and "roadmap" in wrong


async def test_run_agent_appears_with_a_notification_once_a_provider_is_configured(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    notifications = Notifications()
    async with techcat_mcp(tmp_path, mode="legacy", message_handler=notifications) as client:
        assert client.server_capabilities.tools is not None and client.server_capabilities.tools.list_changed
        before = {tool.name for tool in (await client.list_tools()).tools}
        refused = await call_error(client, "run_agent", agent="planner", task="Plan")
        (codex / "techcat.toml").write_text('[provider]\nkind = "openai-compatible"\n'
                                            'base_url = "http://127.0.0.1:9/v1"\n', encoding="utf-8")
        await notifications.wait_for("notifications/tools/list_changed")
        after = {tool.name for tool in (await client.list_tools()).tools}
        (codex / "techcat.toml").unlink()
        await notifications.wait_for("notifications/tools/list_changed", count=2)
        again = {tool.name for tool in (await client.list_tools()).tools}
    assert "run_agent" not in before and after - before == {"run_agent"} and again == before
    assert "run_agent is offered once a provider is configured" in refused


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")  # roots: what clients send today
async def test_the_workspace_follows_the_clients_roots(tmp_path: Path) -> None:
    first, second, elsewhere = tmp_path / "first", tmp_path / "second", tmp_path / "elsewhere"
    make_workspace(first)
    make_workspace(second, log=[entry(1), entry(2), entry(3)])
    elsewhere.mkdir()
    roots = [first]
    notifications = Notifications()

    async def list_roots(context: ClientRequestContext) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=root.as_uri()) for root in roots])  # type: ignore[arg-type]

    async with techcat_mcp(elsewhere, mode="legacy", list_roots_callback=list_roots,
                           message_handler=notifications) as client:
        await notifications.wait_for("notifications/resources/list_changed")  # the roots were read
        in_first = await call(client, "search_log")
        roots = [second]
        await client.send_roots_list_changed()
        await notifications.wait_for("notifications/resources/list_changed", count=2)
        in_second = await call(client, "search_log")
        roots = [elsewhere]
        await client.send_roots_list_changed()
        await notifications.wait_for("notifications/resources/list_changed", count=3)
        nowhere = await call_error(client, "search_log")
    assert (in_first["matches"], in_second["matches"]) == (2, 3)
    assert f"none of the client's roots ({elsewhere}) holds one either" in nowhere

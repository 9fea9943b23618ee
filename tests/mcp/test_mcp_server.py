"""End to end: `techcat mcp` in a subprocess, driven over stdio by the MCP SDK's own client."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from techcat_cli.main import copy_sample
from techcat_core.engine import check_path
from techcat_core.tasklog.parse import parse_task_log
from tests.gitutil import commit_all, git, init_repo
from tests.mcp.mcp_session import call, call_error, techcat_mcp
from tests.wsbuilder import entry, make_workspace

WRITE_TOOLS = {"log_task", "propose_task", "change_task", "add_agent", "apply_fixes"}
READ_TOOLS = {"search_log", "read_roster", "read_doc", "check_workspace", "list_proposed", "next_task", "list_runs"}


async def test_lists_the_tools_with_schemas_and_hints(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    async with techcat_mcp(tmp_path) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) >= WRITE_TOOLS | READ_TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) < 200, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (tool.name in READ_TOOLS), tool.name
    log_schema = tools["log_task"].input_schema
    assert log_schema["required"] == ["agent", "summary"]
    assert log_schema["properties"]["output_files"] == {
        "type": "array", "items": {"type": "string"}, "description": "Files written, relative to the repo root."}
    assert '"title"' not in json.dumps(log_schema)  # pydantic's titles are dropped...
    assert tools["propose_task"].input_schema["properties"]["title"]["type"] == "string"  # ...not a "title" argument


async def test_read_only_set_offers_no_writes(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = {p: p.read_bytes() for p in codex.iterdir() if p.is_file()}
    async with techcat_mcp(tmp_path, "--tools", "read-only") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        message = await call_error(client, "log_task", agent="planner", summary="sneaky")
    assert names == READ_TOOLS
    assert "log_task" in message
    assert {p: p.read_bytes() for p in codex.iterdir() if p.is_file()} == before


async def test_the_workspace_setting_chooses_the_read_only_set(tmp_path: Path) -> None:
    make_workspace(tmp_path, extra={"techcat.toml": '[mcp]\ntools = "read-only"\n'})
    async with techcat_mcp(tmp_path) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == READ_TOOLS
    async with techcat_mcp(tmp_path, "--tools", "all") as client:  # the flag wins
        assert "log_task" in {tool.name for tool in (await client.list_tools()).tools}


async def test_several_clients_log_at_once_without_losing_or_reusing_ids(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)  # task-001 and task-002 already logged
    clients, per_client = 3, 8

    async def one_client(number: int) -> list[str]:
        async with techcat_mcp(tmp_path) as client:
            replies = await asyncio.gather(*(
                call(client, "log_task", agent="planner", summary=f"client {number} task {i}",
                     output_files=["apps/web/home.tsx"]) for i in range(per_client)))
        return [reply["logged"]["task_id"] for reply in replies]

    ids = [task_id for batch in await asyncio.gather(*(one_client(n) for n in range(clients))) for task_id in batch]

    assert len(ids) == len(set(ids)) == clients * per_client
    log = parse_task_log((codex / "TASK-LOG.json").read_text(encoding="utf-8"))
    assert log.valid
    assert [e.task_id for e in log.entries] == [f"task-{n:03d}" for n in range(1, 3 + clients * per_client)]
    summaries = {e.summary for e in log.entries}
    assert {f"client {n} task {i}" for n in range(clients) for i in range(per_client)} <= summaries
    assert [d.code for d in check_path(codex, git=False).diagnostics] == []


async def test_search_filters_by_agent_date_text_and_file(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[
        entry(1, agent="planner", date="2025-07-01", summary="Planned the booking flow",
              output_files=[".codex/PROPOSED-TASKS.md"]),
        entry(2, date="2025-07-03", summary="Built the booking page", output_files=["apps/web/home.tsx"]),
        entry(3, date="2025-07-05", summary="Styled the settings page", output_files=["apps/web/settings.tsx"]),
        entry(4, agent="planner", date="2025-07-09", summary="Replanned after review", output_files=[]),
    ])
    async with techcat_mcp(tmp_path) as client:
        newest = await call(client, "search_log", limit=2)
        by_agent = await call(client, "search_log", agent="planner")
        by_dates = await call(client, "search_log", since="2025-07-02", until="2025-07-05")
        by_text = await call(client, "search_log", text="BOOKING page")
        by_file = await call(client, "search_log", file="settings.tsx")
        by_folder = await call(client, "search_log", file="apps/web")
        by_glob = await call(client, "search_log", file="apps/**.tsx", agent="frontend_specialist")
        combined = await call(client, "search_log", agent="planner", since="2025-07-05")
        bad_date = await call_error(client, "search_log", since="2025/07/01")
        reversed_range = await call_error(client, "search_log", since="2025-07-09", until="2025-07-01")

    def ids(reply: dict[str, list[dict[str, str]]]) -> list[str]:
        return [e["task_id"] for e in reply["entries"]]

    assert newest["matches"] == 4 and ids(newest) == ["task-004", "task-003"]
    assert ids(by_agent) == ["task-004", "task-001"]
    assert ids(by_dates) == ["task-003", "task-002"]
    assert ids(by_text) == ["task-002"]
    assert ids(by_file) == ["task-003"]
    assert ids(by_folder) == ["task-003", "task-002"]
    assert ids(by_glob) == ["task-003", "task-002"]
    assert ids(combined) == ["task-004"]
    assert "since '2025/07/01' is not a calendar date in YYYY-MM-DD form" in bad_date
    assert "after until" in reversed_range


async def test_check_on_a_broken_workspace_reports_located_diagnostics(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    expected = {  # techcat_core/sample/MISTAKES.md
        (".codex/TASK-LOG.json", 290, "TC111"), (".codex/TASK-LOG.json", 255, "TC108"),
        (".codex/TASK-LOG.json", 275, "TC106"), (".codex/TASK-LOG.json", 245, "TC401"),
        (".codex/TASK-LOG.json", 313, "TC114"), (".codex/TASK-LOG.json", 323, "TC113"),
        (".codex/AGENTS.md", 68, "TC204"), (".codex/PROPOSED-TASKS.md", 21, "TC301"),
        (".codex/PROPOSED-TASKS.md", 10, "TC302"), (".codex/PRD.md", 10, "TC402"),
    }
    async with techcat_mcp(tmp_path) as client:
        everything = await call(client, "check_workspace")
        log_only = await call(client, "check_workspace", file="TASK-LOG.json")
        missing = await call_error(client, "check_workspace", file="NOPE.md")

    found = set()
    for item in everything["diagnostics"]:
        match = re.fullmatch(r"(.+):(\d+):(\d+)", item["where"])
        assert match, item
        found.add((match.group(1), int(match.group(2)), item["code"]))
    assert found == expected
    assert (everything["errors"], everything["warnings"], everything["notes"]) == (6, 4, 0)
    bad_date = next(d for d in everything["diagnostics"] if d["code"] == "TC108")
    assert bad_date["severity"] == "error" and "2025/07/14" in bad_date["message"] and "fix" in bad_date
    assert {d["where"].split(":")[0] for d in log_only["diagnostics"]} == {".codex/TASK-LOG.json"}
    assert len(log_only["diagnostics"]) == 6
    assert "no file 'NOPE.md' in the workspace" in missing


async def test_propose_queue_and_tick_change_the_checklist(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    proposed = codex / "PROPOSED-TASKS.md"
    async with techcat_mcp(tmp_path) as client:
        listed = await call(client, "list_proposed")
        queued = await call(client, "change_task", number=1, action="queue")
        after_queue = proposed.read_text(encoding="utf-8")
        two_lines = await call_error(client, "propose_task", title="Write the\n onboarding guide", agent="planner")
        added = await call(client, "propose_task", title=" Write the onboarding guide ", agent="planner")
        logged = await call(client, "log_task", agent="planner", summary="Wrote the onboarding guide",
                            done_item=added["added"]["number"])
        with_done = await call(client, "list_proposed", include_done=True)
        done_again = await call_error(client, "change_task", number=3, action="queue")
        out_of_range = await call_error(client, "change_task", number=42, action="queue")
        wrong_type = await call_error(client, "change_task", number="first", action="queue")

    assert [(i["number"], i["state"]) for i in listed["items"]] == [(1, "proposed"), (2, "queued")]
    assert listed["done_hidden"] == 1
    assert queued["queued"]["state"] == "queued"
    assert two_lines.endswith("the title has 2 lines; a checklist item is one line")
    assert "- [>] @frontend_specialist Build the settings page\n" in after_queue
    assert added["added"] == {"number": 4, "state": "proposed", "text": "@planner Write the onboarding guide",
                              "agent": "planner"}
    task_id = logged["logged"]["task_id"]
    assert logged["ticked_item"] == 4
    assert proposed.read_text(encoding="utf-8").endswith(f"- [x] @planner Write the onboarding guide ({task_id})\n")
    assert [i["state"] for i in with_done["items"]] == ["queued", "queued", "done", "done"]
    assert "already done" in done_again
    assert "has no item 42 (it has 4)" in out_of_range
    assert "number" in wrong_type and "integer" in wrong_type


async def test_bad_arguments_get_clear_tool_errors_and_the_server_keeps_serving(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = (codex / "TASK-LOG.json").read_bytes()
    async with techcat_mcp(tmp_path) as client:
        typo = await call_error(client, "log_task", agent="frontend_specialst", summary="x")
        absolute = await call_error(client, "log_task", agent="planner", summary="x", output_files=["/etc/passwd"])
        escaping = await call_error(client, "log_task", agent="planner", summary="x", output_files=["../up.txt"])
        bad_date = await call_error(client, "log_task", agent="planner", summary="x", date="2025-02-30")
        future = await call_error(client, "log_task", agent="planner", summary="x", date="2999-01-01")
        empty = await call_error(client, "log_task", agent="planner", summary="  \n ")
        missing = await call_error(client, "log_task", agent="planner")
        no_git = await call_error(client, "log_task", agent="planner", summary="x", changed_since="HEAD")
        unknown_agent = await call_error(client, "read_roster", agent="nobody")
        still_alive = await call(client, "search_log")
    assert typo.endswith("agent `frontend_specialst` is not in the roster; did you mean `frontend_specialist`? "
                         "known agents: frontend_specialist, planner, task_logger")
    assert 'output file "/etc/passwd" is absolute' in absolute
    assert 'output file "../up.txt" escapes the repository' in escaping
    assert "'2025-02-30' is not a calendar date" in bad_date
    assert "in the future" in future
    assert "summary is empty" in empty
    assert "summary" in missing and "required" in missing.lower()
    assert "need a git repository" in no_git
    assert "no agent 'nobody' in the roster" in unknown_agent
    assert still_alive["matches"] == 2
    assert (codex / "TASK-LOG.json").read_bytes() == before


async def test_a_log_with_broken_json_is_reported_with_its_place_and_left_alone(tmp_path: Path) -> None:
    broken = '[\n  {"task_id": "task-001", "agent": "planner",, "date": "2025-07-01"}\n]\n'
    codex = make_workspace(tmp_path, log=broken)
    async with techcat_mcp(tmp_path) as client:
        message = await call_error(client, "log_task", agent="planner", summary="x")
        found = await call(client, "search_log")
    assert re.search(r"TASK-LOG\.json:2:\d+: .*fix the JSON", message), message
    assert (codex / "TASK-LOG.json").read_text(encoding="utf-8") == broken
    assert "JSON problem" in found["warning"]


async def test_log_task_takes_output_files_from_git_changes(tmp_path: Path) -> None:
    init_repo(tmp_path)
    make_workspace(tmp_path)
    commit_all(tmp_path, "start")
    (tmp_path / "apps/web/settings.tsx").write_text("// changed\n")
    (tmp_path / "apps/web/profile.tsx").write_text("// new\n")
    git(tmp_path, "add", "apps/web/profile.tsx")
    (tmp_path / "notes.md").write_text("untracked\n")
    async with techcat_mcp(tmp_path / "apps") as client:  # found from a subfolder, no --workspace
        reply = await call(client, "log_task", agent="frontend_specialist", summary="Profile page",
                           output_files=["apps/web/home.tsx"], changed_since="HEAD")
        unknown_rev = await call_error(client, "log_task", agent="planner", summary="x", changed_since="nope")
    assert reply["logged"]["output_files"] == [
        "apps/web/home.tsx", "apps/web/profile.tsx", "apps/web/settings.tsx", "notes.md"]
    assert "nope" in unknown_rev


async def test_roster_and_resources(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, extra={"prompts/planner.md": "You plan. Be brief.\n"})
    async with techcat_mcp(tmp_path, "--workspace", str(tmp_path)) as client:
        roster = await call(client, "read_roster")
        planner = await call(client, "read_roster", agent="planner")
        resources = {str(r.uri): r for r in (await client.list_resources()).resources}
        log_text = (await client.read_resource("techcat://codex/TASK-LOG.json")).contents[0]
        prompt = (await client.read_resource("techcat://prompts/planner")).contents[0]
        section = (await client.read_resource("techcat://prompts/frontend_specialist")).contents[0]
    assert [a["name"] for a in roster["agents"]] == ["planner", "frontend_specialist", "task_logger"]
    assert roster["agents"][0] == {"name": "planner", "role": "Task Forecaster", "chains_to": ["task_logger"],
                                   "prompt": ".codex/prompts/planner.md"}
    assert planner["prompt"] == "You plan. Be brief.\n"
    assert planner["definition"].startswith("## Agent: `planner`") and "invoke `task_logger`" in planner["definition"]
    assert set(resources) == {f"techcat://codex/{name}" for name in
                              ("AGENTS.md", "PRD.md", "TASK-LOG.json", "PROPOSED-TASKS.md", "ARCHITECTURE.md")} | {
        f"techcat://prompts/{name}" for name in ("planner", "frontend_specialist", "task_logger")}
    assert log_text.mime_type == "application/json"
    assert getattr(log_text, "text", None) == (codex / "TASK-LOG.json").read_text(encoding="utf-8")
    assert getattr(prompt, "text", None) == "You plan. Be brief.\n"
    assert getattr(section, "text", "").startswith("## Agent: `frontend_specialist`")


async def test_without_a_workspace_every_tool_says_how_to_make_one(tmp_path: Path) -> None:
    async with techcat_mcp(tmp_path) as client:
        message = await call_error(client, "search_log")
        resources = (await client.list_resources()).resources
        make_workspace(tmp_path)  # `techcat init` later: the running server picks it up
        found = await call(client, "search_log")
    assert "no .codex/ folder" in message and "techcat init" in message
    assert resources == []
    assert found["matches"] == 2

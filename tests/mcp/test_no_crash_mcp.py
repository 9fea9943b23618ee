"""The real `techcat mcp` over stdio answers every call with its reason — a lone surrogate, a NUL, a
megabyte or a 5,000-digit number in any argument, a crash inside a tool — and never echoes a long
argument back; nothing is written to the workspace by a refused call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitutil import init_repo
from tests.mcp.mcp_session import call_error, techcat_mcp
from tests.mcp.raw_stdio import RawMcp, tool_text
from tests.wsbuilder import make_workspace

SURROGATE = ("contains a lone surrogate (\\{escape} at character {at}), which is not a character and cannot be "
             "written as UTF-8; send the character itself or a complete pair")
MEGABYTE = "x" * 1_000_000


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root)
    return root


@pytest.fixture
def server(repo: Path) -> Iterator[RawMcp]:
    raw = RawMcp(repo)
    try:
        raw.initialize()
        yield raw
    finally:
        assert raw.close() == 0
        assert "Traceback" not in raw.log, raw.log


@pytest.mark.parametrize(("tool", "arguments", "where", "escape", "at"), [
    ("check_workspace", '{"file": "\\ud800"}', "file", "ud800", 1),
    ("log_task", '{"agent": "planner", "summary": "half \\ud800 of it"}', "summary", "ud800", 6),
    ("log_task", '{"agent": "planner", "summary": "s", "output_files": ["ok.tsx", "a\\udc00"]}', "output_files[1]",
     "udc00", 2),
    ("read_roster", '{"agent": "\\udfff"}', "agent", "udfff", 1),
])
def test_a_lone_surrogate_in_any_argument_is_answered_with_where_it_is(server: RawMcp, repo: Path, tool: str,
                                                                      arguments: str, where: str, escape: str,
                                                                      at: int) -> None:
    log_before = (repo / ".codex" / "TASK-LOG.json").read_bytes()
    failed, text = tool_text(server.reply(server.call_line(tool, arguments)))
    assert failed
    assert text == f"Error executing tool {tool}: argument `{where}` " + SURROGATE.format(escape=escape, at=at)
    assert (repo / ".codex" / "TASK-LOG.json").read_bytes() == log_before


def test_a_lone_surrogate_in_an_argument_name_is_answered(server: RawMcp) -> None:
    failed, text = tool_text(server.reply(server.call_line("search_log", '{"query": "q", "\\ud800": 1}')))
    assert failed
    assert text.startswith("Error executing tool search_log: argument `\\ud800` has a name that contains a lone "
                           "surrogate"), text


def test_a_number_too_long_to_read_and_control_characters_are_answered(server: RawMcp) -> None:
    line = server.call_line("change_task", '{"action": "queue", "number": ' + "9" * 5000 + "}")
    failed, text = tool_text(server.reply(line))
    assert failed
    assert text == "Error executing tool change_task: argument `number` is a number of 5,000 digits, too long to read"
    failed, text = tool_text(server.reply(server.call_line("read_roster", '{"agent": "a\x00b"}')))  # a raw NUL byte
    assert failed and "argument `agent` contains a NUL character (at character 2)" in text
    answer = server.reply(server.request_line("resources/read", '{"uri": "techcat://codex/\\ud800"}'))
    assert answer["error"]["code"] == -32602 and "`params.uri` contains a lone surrogate" in answer["error"]["message"]
    server.write_line(b"this is not JSON")
    assert server.reply(None)["error"]["code"] == -32700
    number = server.request_line("tools/list", "{}")  # and it still works
    assert "tools" in server.reply(number)["result"]


def test_a_nul_or_a_megabyte_in_an_argument_gets_a_short_reason(server: RawMcp, repo: Path) -> None:
    log_before = (repo / ".codex" / "TASK-LOG.json").read_bytes()
    failed, text = tool_text(server.call("log_task", {"agent": "planner", "summary": MEGABYTE}))
    assert failed and text == ("Error executing tool log_task: argument `summary` is 1,000,000 characters long, "
                               "more than the 100,000 a tool takes; pass a shorter value (name a file instead of "
                               "pasting it)")
    failed, text = tool_text(server.call("log_task", {"agent": "planner", "summary": "s", "output_files": ["a\0b"]}))
    assert failed and "argument `output_files[0]` contains a NUL character (at character 2)" in text
    assert (repo / ".codex" / "TASK-LOG.json").read_bytes() == log_before
    for tool, arguments in [("read_roster", {"agent": MEGABYTE}), ("check_workspace", {"file": MEGABYTE}),
                            ("search_log", {"agent": MEGABYTE}), ("list_proposed", {"include_done": MEGABYTE}),
                            ("change_task", {"action": "queue", "number": MEGABYTE})]:
        failed, text = tool_text(server.call(tool, arguments))
        assert failed or tool == "search_log", (tool, text[:300])  # (a read-only search just finds nothing)
        assert len(text) < 1_000, (tool, text[:300])  # the argument is never echoed back whole
        assert "x" * 201 not in text


def test_invalid_arguments_name_the_argument_with_the_value_cut_short(server: RawMcp) -> None:
    failed, text = tool_text(server.call("change_task", {"action": "queue", "number": "seven"}))
    assert failed and text == ("Error executing tool change_task: invalid arguments: `number`: Input should be a valid "
                               "integer, unable to parse string as an integer (got seven)")
    failed, text = tool_text(server.call("log_task", {"agent": "planner"}))
    assert failed and "`summary`: Field required" in text
    failed, text = tool_text(server.call("list_proposed", {"status": "open"}))
    assert failed and text == ("Error executing tool list_proposed: unknown argument `status`; list_proposed takes "
                               "include_done")


async def test_the_sdk_client_gets_the_same_reasons(repo: Path) -> None:
    async with techcat_mcp(repo) as client:
        nul = await call_error(client, "log_task", agent="planner\0", summary="s")
        roster = await call_error(client, "read_roster", agent="y" * 500_000)
    assert "argument `agent` contains a NUL character (at character 8)" in nul
    assert roster.startswith("Error executing tool read_roster: no agent 'yyyy") and len(roster) < 1_000
    assert "…(500,000 characters)" in roster


def test_every_answer_is_utf8_json_even_for_surrogate_pairs(server: RawMcp, repo: Path) -> None:
    """A valid pair (an emoji as two escapes) is text like any other and is logged as such."""
    failed, text = tool_text(server.reply(server.call_line(
        "log_task", '{"agent": "planner", "summary": "Shipped \\ud83d\\ude00"}')))
    assert not failed, text
    assert json.loads(text)["logged"]["summary"] == "Shipped \U0001f600"
    log = json.loads((repo / ".codex" / "TASK-LOG.json").read_text(encoding="utf-8"))
    assert log[-1]["summary"] == "Shipped \U0001f600"


async def test_a_crash_inside_a_tool_says_what_kind_of_failure_it_was(repo: Path) -> None:
    from mcp.server.mcpserver.exceptions import ToolError

    from techcat_mcp.server import build_server

    server = build_server(repo / ".codex")

    def explode(text: str) -> str:
        """A tool with a bug."""
        return str(1 // len(text[:0]))

    server.add_tool(explode)
    with pytest.raises(ToolError) as caught:
        await server.call_tool("explode", {"text": "z" * 5_000})
    message = str(caught.value)
    assert message.startswith("Error executing tool explode: internal error, please report it (ZeroDivisionError: ")
    assert len(message) < 500


def test_an_argument_nested_thousands_deep_or_a_cut_line_still_gets_its_answer(server: RawMcp) -> None:
    """Found by the fuzz suite: no parser reads 5,000 levels, so the request went unanswered."""
    failed, text = tool_text(server.reply(server.call_line(
        "search_log", '{"since": "2025-01-01", "until": ' + "[" * 5000 + "]" * 5000 + "}")))
    assert failed and text == ("Error executing tool search_log: argument `until` is nested too deeply to read "
                               "(thousands of levels of brackets)")
    server.write_line('{"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {"name": "search_log", "argu')
    answer = server.reply(77)
    assert answer["error"]["code"] == -32700 and answer["error"]["message"].startswith("the message is not JSON")

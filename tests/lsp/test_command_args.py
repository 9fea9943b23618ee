"""Commands read their one object argument into a dataclass: a wrong type or a missing required field is an
`InvalidParams` error naming the command and the field (never a guess, never a silent `{"ok": false}`)."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from techcat_lsp.command_args import OpenFilesArgs, QueueItemArgs, RunAgentArgs, parse
from tests.lsp.helpers import Session

INVALID_PARAMS = -32602


@pytest.mark.parametrize(("command", "arguments", "reason"), [
    ("techcat.queueItem", [{"number": "1"}], "techcat.queueItem: `number` must be a whole number, not '1'"),
    ("techcat.queueItem", [{"number": True}], "techcat.queueItem: `number` must be a whole number, not True"),
    ("techcat.queueItem", [{}], "techcat.queueItem needs `number`"),
    ("techcat.runAgent", [{"agent": 3}], "techcat.runAgent: `agent` must be a string, not 3"),
    ("techcat.runAgent", [{"agent": "planner", "proposedItem": 1.5}],
     "techcat.runAgent: `proposedItem` must be a whole number, not 1.5"),
    ("techcat.openFiles", [{"files": ["a", 2]}], "techcat.openFiles: `files` must be a list of strings"),
    ("techcat.fixAll", ["file:///x"], "techcat.fixAll takes one JSON object, not ['file:///x']"),
    ("techcat.cancelRun", [{"runId": None}, {}], "techcat.cancelRun takes one JSON object"),
])
async def test_bad_command_arguments_are_invalid_params(session: Session, command: str, arguments: list[Any],
                                                        reason: str) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(command, arguments))
    assert raised.value.code == INVALID_PARAMS
    assert reason in raised.value.message


async def test_good_arguments_still_run_and_unknown_fields_are_ignored(session: Session) -> None:
    result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "techcat.cancelRun", [{"runId": "none-such", "fromANewerClient": 1}]))
    assert result == {"ok": False, "cancelled": []}
    queued = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "techcat.queueItem", [{"workspace": str(session.codex), "number": 99}]))
    assert isinstance(queued, dict) and not queued["ok"] and "no item 99" in queued["message"]


def test_parse_reads_camel_case_into_the_dataclass() -> None:
    args = parse("techcat.runAgent", RunAgentArgs, [{"agent": "planner", "proposedItem": 2, "review": True,
                                                     "workspace": "/w"}])
    assert args == RunAgentArgs(workspace="/w", agent="planner", proposed_item=2, review=True)
    assert parse("techcat.queueItem", QueueItemArgs, [{"uri": "file:///w/.codex/PROPOSED-TASKS.md", "number": 1}]
                 ).location == "file:///w/.codex/PROPOSED-TASKS.md"
    assert parse("techcat.openFiles", OpenFilesArgs, [{"files": []}]).files == []

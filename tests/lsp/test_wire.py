"""The real server over a raw pipe: every request is answered — an `InvalidParams` error naming the field
where a position is negative, huge or not a whole number — and a frame with a bad `Content-Length` is
logged, after which the server is back in step (or, at end of input, exits cleanly)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.helpers import uri
from tests.lsp.wire import WireClient, frame

INVALID_PARAMS = -32602
POSITION_METHODS = ["textDocument/hover", "textDocument/completion", "textDocument/definition",
                    "textDocument/references", "textDocument/documentHighlight", "textDocument/prepareRename"]
BAD_POSITIONS: list[tuple[Any, str]] = [
    ({"line": -1, "character": 0}, "params.position: `line` must be from 0 to 2,147,483,647, not -1"),
    ({"line": 0, "character": -7}, "params.position: `character` must be from 0 to 2,147,483,647, not -7"),
    ({"line": 2**31, "character": 0}, "params.position: `line` must be from 0 to 2,147,483,647, not 2147483648"),
    ({"line": 10**40, "character": 0}, "params.position: `line` must be from 0 to 2,147,483,647, not 1"),
    ({"line": 1.5, "character": 0}, "params.position: `line` must be a whole number, not 1.5"),
    ({"line": "3", "character": 0}, "params.position: `line` must be a whole number, not '3'"),
    ({"line": 0, "character": True}, "params.position: `character` must be a whole number, not True"),
    ({"line": 0}, "params.position: `character` is missing"),
    (None, "params.position: a position must be an object with `line` and `character`, not None"),
    ([0, 0], "params.position: a position must be an object with `line` and `character`, not [0, 0]"),
]


@pytest.fixture
def server(repo: Path) -> Iterator[tuple[WireClient, str]]:
    client = WireClient(repo)
    try:
        client.initialize(repo)
        log = repo / ".codex" / "TASK-LOG.json"
        target = uri(log)
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": target, "languageId": "json", "version": 1, "text": log.read_text(encoding="utf-8")}})
        yield client, target
        assert client.close() == 0
        assert "Traceback" not in client.log, client.log
    finally:
        if client.process.poll() is None:
            client.process.kill()
            client.process.wait()


def params(method: str, target: str, position: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"textDocument": {"uri": target}, "position": position}
    if method == "textDocument/references":
        found["context"] = {"includeDeclaration": True}
    return found


@pytest.mark.parametrize(("position", "reason"), BAD_POSITIONS)
def test_a_bad_position_is_an_invalid_params_error_for_every_request(server: tuple[WireClient, str], position: Any,
                                                                     reason: str) -> None:
    client, target = server
    for method in POSITION_METHODS:
        answer = client.reply(client.request(method, params(method, target, position)))
        assert answer["error"]["code"] == INVALID_PARAMS, answer
        assert answer["error"]["message"].startswith(f"invalid params for {method}: {reason}"), answer
        assert len(answer["error"]["message"]) < 400


def test_the_largest_valid_position_is_answered_normally(server: tuple[WireClient, str]) -> None:
    client, target = server
    end = {"line": 2**31 - 1, "character": 2**31 - 1}
    for method in POSITION_METHODS:
        answer = client.reply(client.request(method, params(method, target, end)))
        assert "error" not in answer or answer["error"]["code"] == -32601, answer  # -32601: not offered


def test_a_bad_range_in_a_change_is_logged_and_the_document_is_kept(server: tuple[WireClient, str]) -> None:
    client, target = server
    client.notify("textDocument/didChange", {"textDocument": {"uri": target, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": -3, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "junk"}]})
    answer = client.reply(client.request("textDocument/hover", params("textDocument/hover", target,
                                                                      {"line": 2, "character": 6})))
    assert "result" in answer
    assert client.logged("contentChanges[0].range.start: `line` must be from 0"), client.log


def test_requests_that_are_not_requests_get_an_error_each(server: tuple[WireClient, str]) -> None:
    client, _ = server
    client.send({"jsonrpc": "1.0", "id": 70, "method": "textDocument/hover", "params": {}})
    assert client.reply(70)["error"]["code"] == -32600
    client.send({"jsonrpc": "2.0", "id": 71, "method": 5})
    assert "method must be a string" in client.reply(71)["error"]["message"]
    client.send({"jsonrpc": "2.0", "id": {"nested": 1}, "method": "shutdown"})
    assert "id must be a number or a string" in client.reply(None)["error"]["message"]
    client.write(frame(b"[1, 2]"))
    assert "batch" in client.reply(None)["error"]["message"]
    client.write(frame(b'{"jsonrpc": "2.0", "id": 72, "method": "textDocument/hover", "params": {"position": {"line": '
                       + b"9" * 5000 + b', "character": 0}, "textDocument": {"uri": "file:///x"}}}'))
    assert "`line` must be a whole number, not 999999999999…(5,000 digits)" in client.reply(72)["error"]["message"]


def test_a_request_after_shutdown_is_refused_not_ignored(repo: Path) -> None:
    client = WireClient(repo)
    try:
        client.initialize(repo)
        assert client.reply(client.request("shutdown"))["result"] is None
        answer = client.reply(client.request("textDocument/hover", {"textDocument": {"uri": "file:///x"},
                                                                    "position": {"line": 0, "character": 0}}))
        assert answer["error"]["code"] == -32600 and "after shutdown" in answer["error"]["message"]
        client.notify("exit")
        assert client.process.wait(20) == 0
    finally:
        if client.process.poll() is None:
            client.process.kill()
            client.process.wait()


def hover_body(client: WireClient, target: str) -> tuple[int, bytes]:
    number = client.request("textDocument/hover", send=False)
    message = {"jsonrpc": "2.0", "id": number, "method": "textDocument/hover",
               "params": params("textDocument/hover", target, {"line": 2, "character": 6})}
    return number, json.dumps(message).encode()


@pytest.mark.parametrize("header", [b"Content-Length: abc", b"Content-Length: -12", b"Content-Type: x/y",
                                    b"Content-Length: 100000", b"Content-Length: 9", b""])
def test_a_frame_with_a_bad_content_length_is_logged_and_answered(server: tuple[WireClient, str],
                                                                  header: bytes) -> None:
    """The bad frame alone (the client then waits for its answer), and then followed by a good one."""
    client, target = server
    number, data = hover_body(client, target)
    client.write(header + b"\r\n\r\n" + data if header else data)
    assert "result" in client.reply(number), client.log  # no fixed wait: the server gives up waiting itself
    number, data = hover_body(client, target)
    after, good = hover_body(client, target)
    client.write((header + b"\r\n\r\n" + data if header else data) + frame(good))
    assert "result" in client.reply(number)
    assert "result" in client.reply(after)
    assert client.logged("a malformed frame was read anyway"), client.log


def test_junk_and_unreadable_bodies_are_logged_and_the_server_keeps_answering(server: tuple[WireClient, str]) -> None:
    client, target = server
    client.write(b"hello, server\r\n\r\n")
    number, data = hover_body(client, target)
    client.write(frame(data))
    assert "result" in client.reply(number)
    unreadable = b'{"jsonrpc": "2.0", "id": 90, "method": "textDocument/hover", "params": "\xff"}'
    client.write(frame(unreadable))
    answer = client.reply(90)
    where = f"byte {unreadable.index(0xFF) + 1} of {len(unreadable)}"
    assert answer["error"] == {"code": -32700, "message": f"the message is not valid UTF-8 ({where})"}
    client.write(frame(b"not json at all"))
    assert client.reply(None)["error"]["code"] == -32700
    assert client.logged("unreadable input from the client: skipped 17 bytes that were not a frame"), client.log


def test_end_of_input_in_the_middle_of_a_frame_exits_cleanly(repo: Path) -> None:
    client = WireClient(repo)
    try:
        client.initialize(repo)
        client.write(b"Content-Length: 400\r\n\r\n{\"jsonrpc\": \"2.0\", \"id\": 5, ")
        client.stdin.close()
        assert client.process.wait(20) == 0
        assert "closed its end in the middle of a frame" in client.log
        assert "Traceback" not in client.log
    finally:
        if client.process.poll() is None:
            client.process.kill()
            client.process.wait()

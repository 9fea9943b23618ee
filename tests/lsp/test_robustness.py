"""The server never falls over: invalid UTF-8 on disk, files deleted under it, a 40 MB log, TCP mode."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

from techcat_lsp.documents import Envelope
from tests.gitutil import GIT_ENV, commit_all
from tests.lsp.helpers import Session, codes, uri
from tests.waiting import wait_until


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab\n", max_size=30), st.lists(st.tuples(st.integers(0, 40), st.integers(0, 5),
                                                                   st.text(alphabet="xy\n", max_size=4)),
                                                         min_size=1, max_size=6))
def test_an_envelope_covers_every_edit(text: str, edits: list[tuple[int, int, str]]) -> None:
    """Merged edit spans: outside the envelope, old and new text are the same."""
    old = text
    envelope: Envelope | None = None
    for start, length, insert in edits:
        start = min(start, len(text))
        end = min(len(text), start + length)
        text = text[:start] + insert + text[end:]
        step = Envelope(start, end, start + len(insert))
        envelope = step if envelope is None else envelope.then(start, end, len(insert))
    assert envelope is not None
    assert old[:envelope.start] == text[:envelope.start]
    assert old[envelope.old_end:] == text[envelope.new_end:]
    assert envelope.new_end - envelope.start == len(text) - len(old) + envelope.old_end - envelope.start


async def test_invalid_utf8_and_deleted_files(session: Session) -> None:
    agents = session.codex / "AGENTS.md"
    agents.write_bytes(agents.read_bytes() + b"\n\xff\xfe broken bytes\n")
    session.wrote(agents)
    await session.workspace_reports(lambda r: "TC001" in codes(r.get(uri(agents), [])), "TC001 on the broken roster")
    log_path = session.codex / "TASK-LOG.json"
    log = session.open(log_path)
    assert codes(await session.diagnostics(log))
    log_path.unlink()
    session.wrote(log_path)
    session.replace(log, "2025/07/03", "2025-07-03")
    assert codes(await session.diagnostics(log)) == ["TC114", "TC401"]  # the open buffer still counts
    session.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(log)))
    reports = await session.workspace_reports(lambda r: "TC002" in codes(r.get(log, [])),
                                              "TC002 once the log is deleted and closed")
    assert codes(reports.get(log, [])) == ["TC002"]
    hover = await session.client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(log), lsp.Position(0, 0)))
    assert hover is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _connected(port: int) -> socket.socket | None:
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError:
        return None


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read(sock: socket.socket) -> dict[str, object]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, rest = data.partition(b"\r\n\r\n")
    headers = dict(line.split(b":", 1) for line in head.split(b"\r\n"))
    length = int(headers[b"Content-Length"])
    while len(rest) < length:
        rest += sock.recv(4096)
    result = json.loads(rest[:length])
    assert isinstance(result, dict)
    return result


def test_tcp_mode(repo: Path) -> None:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "lsp", "--tcp", "--port", str(port)],
                              env=GIT_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sock = wait_until(lambda: _connected(port), f"the server to listen on port {port}", interval=0.05)
        with sock:
            sock.sendall(_message({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": None, "rootUri": uri(repo), "capabilities": {}}}))
            reply = _read(sock)
            result = reply["result"]
            assert isinstance(result, dict)
            assert result["serverInfo"]["name"] == "techcat-lsp"
            commands = result["capabilities"]["executeCommandProvider"]["commands"]
            assert "techcat.runAgent" in commands and "techcat.cancelRun" in commands
            sock.sendall(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            assert _read(sock)["id"] == 2
            sock.sendall(_message({"jsonrpc": "2.0", "method": "exit"}))
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.slow
async def test_a_40_megabyte_log(session: Session) -> None:
    from benchmarks.bench_lsp import build_workspace

    log_path = build_workspace(session.root, 100_000, into_existing=True)
    assert log_path.stat().st_size > 35_000_000
    commit_all(session.root, "a big log")  # so that git history has nothing to say about it
    session.wrote(log_path)
    target = session.open(log_path)
    assert await session.diagnostics(target, timeout=120) == []
    session.replace(target, '"task-050000"', '"task-50000x"')
    assert codes(await session.diagnostics(target, timeout=60)) == ["TC110", "TC112"]
    hover = await session.client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(target), session.at(target, '"agent"', 70_000, shift=12)))
    assert hover is not None


def test_invalid_utf8_and_junk_on_the_wire_are_survived(repo: Path) -> None:
    server = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "lsp"], env=GIT_ENV, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert server.stdin is not None and server.stdout is not None
    stdin, stdout = server.stdin, server.stdout

    def send(body: bytes) -> None:
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def read() -> dict[str, object]:
        head = b""
        while b"\r\n\r\n" not in head:
            head += stdout.read(1)
        length = int(dict(line.split(b":", 1) for line in head.strip().split(b"\r\n"))[b"Content-Length"])
        result = json.loads(stdout.read(length))
        assert isinstance(result, dict)
        return result

    log = uri(repo / ".codex" / "TASK-LOG.json")
    try:
        send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                         "params": {"processId": None, "rootUri": uri(repo), "capabilities": {}}}).encode())
        assert read()["id"] == 1
        send(b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"' + log.encode()
             + b'","languageId":"json","version":1,"text":"[\xff\xfe]"}}}')
        send(b"not json at all")
        send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": log}, "position": {"line": 3, "character": 16}}}).encode())
        while (reply := read()).get("id") != 2:
            pass
        assert "result" in reply
        send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}).encode())
        while read().get("id") != 3:
            pass
        send(json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode())
        assert server.wait(20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

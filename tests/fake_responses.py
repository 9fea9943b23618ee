"""A real OpenAI Responses API server on 127.0.0.1, speaking what Codex CLI uses (no client is patched).

`POST /v1/responses` with `stream: true` is answered with the server-sent events Codex CLI reads:
`response.created`, `response.output_item.added` / `.done` for each output item (assistant messages with
`response.output_text.delta` pieces, and function calls such as Codex's own `exec_command` tool), then
`response.completed` with usage. Each request takes the next scripted `Turn`, so a test makes Codex run its own
tools: turn 1 asks it to run a shell command that writes a file, turn 2 (after Codex sends the command's output
back as a `function_call_output`) ends the task with a message. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def exec_command(cmd: str, call_id: str = "call_1") -> dict[str, Any]:
    """An output item calling Codex CLI's `exec_command` tool (it runs `cmd` in the workspace's shell)."""
    return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "exec_command",
            "arguments": json.dumps({"cmd": cmd, "tty": False, "yield_time_ms": 10000})}


def apply_patch(patch: str, call_id: str = "call_1") -> dict[str, Any]:
    """An `exec_command` call of Codex's own `apply_patch` (Codex applies the patch itself, as its models edit)."""
    return exec_command(f"apply_patch <<'PATCH'\n*** Begin Patch\n{patch}\n*** End Patch\nPATCH", call_id)


def message(text: str, item_id: str = "msg_1") -> dict[str, Any]:
    """An assistant message output item."""
    return {"type": "message", "id": item_id, "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


@dataclass
class Turn:
    """What to answer one request with: these output items, or an HTTP error `status` with `error` as its reason."""

    items: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    error: str = "scripted error"
    delay: float = 0.0  # before answering
    usage: tuple[int, int] = (21, 9)  # input, output tokens


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    def function_outputs(self) -> dict[str, str]:
        """The `function_call_output` items this request sent back, by call id (what Codex's tools printed)."""
        found: dict[str, str] = {}
        for item in self.body.get("input") or []:
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                output = item.get("output")
                found[str(item.get("call_id"))] = output if isinstance(output, str) else json.dumps(output)
        return found

    def user_texts(self) -> list[str]:
        """Every `input_text` of the request's user messages."""
        texts: list[str] = []
        for item in self.body.get("input") or []:
            if isinstance(item, dict) and item.get("type") == "message" and item.get("role") == "user":
                texts += [part.get("text", "") for part in item.get("content") or [] if isinstance(part, dict)]
        return texts


@dataclass
class FakeResponses:
    server: ThreadingHTTPServer
    script: deque[Turn] = field(default_factory=deque)
    default: Turn = field(default_factory=lambda: Turn([message("Done.")]))
    requests: list[Recorded] = field(default_factory=list)
    others: list[Recorded] = field(default_factory=list)  # any other request (GET /v1/models, ...)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, *turns: Turn) -> None:
        with self.lock:
            self.script.extend(turns)

    def next_turn(self) -> Turn:
        with self.lock:
            return self.script.popleft() if self.script else self.default


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeResponses

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        with self.fake.lock:
            self.fake.others.append(Recorded(self.path, {}, {k.lower(): v for k, v in self.headers.items()}))
        if self.path.startswith("/v1/models"):
            self._json(200, {"object": "list", "data": [], "models": []})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        recorded = Recorded(self.path, body if isinstance(body, dict) else {},
                            {k.lower(): v for k, v in self.headers.items()})
        if not self.path.startswith("/v1/responses"):
            with self.fake.lock:
                self.fake.others.append(recorded)
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        with self.fake.lock:
            self.fake.requests.append(recorded)
        turn = self.fake.next_turn()
        if turn.delay:
            time.sleep(turn.delay)
        if turn.status != 200:
            self._json(turn.status, {"error": {"message": turn.error, "type": "invalid_request_error",
                                               "code": None}})
            return
        self._stream(turn, str(recorded.body.get("model") or "fake-model"), len(self.fake.requests))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, turn: Turn, model: str, number: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        response_id = f"resp_{number}"
        sequence = 0

        def send(kind: str, payload: dict[str, Any]) -> None:
            nonlocal sequence
            sequence += 1
            data = json.dumps({"type": kind, "sequence_number": sequence, **payload})
            self.wfile.write(f"event: {kind}\ndata: {data}\n\n".encode())
            self.wfile.flush()

        base = {"id": response_id, "object": "response", "created_at": int(time.time()), "model": model,
                "status": "in_progress", "output": []}
        try:
            send("response.created", {"response": base})
            for index, item in enumerate(turn.items):
                send("response.output_item.added", {"output_index": index, "item": {**item, "status": "in_progress"}})
                if item.get("type") == "message":
                    text = "".join(part.get("text", "") for part in item.get("content", []))
                    for start in range(0, len(text), 16):
                        send("response.output_text.delta", {"item_id": item.get("id"), "output_index": index,
                                                            "content_index": 0, "delta": text[start:start + 16]})
                send("response.output_item.done", {"output_index": index, "item": item})
            given, taken = turn.usage
            send("response.completed", {"response": {
                **base, "status": "completed", "output": turn.items,
                "usage": {"input_tokens": given, "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens": taken, "output_tokens_details": {"reasoning_tokens": 0},
                          "total_tokens": given + taken}}})
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


@contextmanager
def serve_fake_responses() -> Iterator[FakeResponses]:
    """Start the server on a free port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeResponses(server)
    server.RequestHandlerClass = type("BoundHandler", (_Handler,), {"fake": fake})
    thread = threading.Thread(target=server.serve_forever, name="fake-responses", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()

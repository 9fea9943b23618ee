"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests (no client is patched).

It serves `/v1/chat/completions` and the Azure form `/openai/deployments/<name>/chat/completions`,
streaming (SSE) and not, and plays a script of behaviours: replies, 429s, 500s, slow streams and
connections dropped mid-stream. Every request is recorded for assertions.
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


@dataclass
class Behaviour:
    """What to do with one request. `status` other than 200 returns an error body."""

    reply: str = "OK"
    status: int = 200
    delay: float = 0.0  # before answering
    chunk_delay: float = 0.0  # between streamed chunks
    drop_after: int | None = None  # close the connection after this many streamed chunks
    retry_after: float | None = None


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeOpenAI:
    server: ThreadingHTTPServer
    script: deque[Behaviour] = field(default_factory=deque)
    default: Behaviour = field(default_factory=Behaviour)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests the server was answering at one moment

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def azure_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue(self, *behaviours: Behaviour | str) -> None:
        with self.lock:
            for item in behaviours:
                self.script.append(Behaviour(reply=item) if isinstance(item, str) else item)

    def next_behaviour(self) -> Behaviour:
        with self.lock:
            return self.script.popleft() if self.script else self.default


def _chunks(text: str, size: int = 12) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        fake = self.fake
        with fake.lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            self._answer()
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        fake = self.fake
        with fake.lock:
            fake.requests.append(Recorded(self.path, body, {k.lower(): v for k, v in self.headers.items()}))
        if not (self.path.startswith("/v1/chat/completions") or "/chat/completions" in self.path):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        behaviour = fake.next_behaviour()
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour.status != 200:
            headers = {"retry-after": str(behaviour.retry_after)} if behaviour.retry_after is not None else {}
            self._json(behaviour.status, {"error": {"message": f"scripted {behaviour.status}",
                                                    "type": "server_error", "code": None}}, headers)
            return
        model = str(body.get("model") or "fake-model")
        if body.get("stream"):
            self._stream(behaviour, model)
        else:
            self._json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": behaviour.reply}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            })

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, behaviour: Behaviour, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def send(payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            self.wfile.flush()

        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        try:
            send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                       "finish_reason": None}]})
            for number, piece in enumerate(_chunks(behaviour.reply)):
                if behaviour.drop_after is not None and number >= behaviour.drop_after:
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if behaviour.chunk_delay:
                    time.sleep(behaviour.chunk_delay)
                send({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


@contextmanager
def serve_fake_openai() -> Iterator[FakeOpenAI]:
    """Start the server on a free port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeOpenAI(server)
    handler = type("BoundHandler", (_Handler,), {"fake": fake})
    server.RequestHandlerClass = handler
    thread = threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()

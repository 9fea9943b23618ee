"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests (no client is patched).

It serves `/v1/chat/completions` and the Azure form `/openai/deployments/<name>/chat/completions`,
streaming (SSE) and not, and plays a script of behaviours: replies, 429s, 500s, slow streams and
connections dropped mid-stream, usage in streams, cut-off replies (`finish_reason: "length"`),
malformed chunks, error events inside a 200 stream, `: keep-alive` trickles, error bodies with
reasons, HTTP-date `Retry-After`, bodies aborted mid-way, and (when `strict_fields` is set) a 400 for
request fields it does not know, as older vLLM does. Scripted tool calls (`Behaviour.tool_calls`, built with
`tool_call`) come streamed in fragments or whole in a non-streamed reply, and `reject_tools` answers a request
with `tools` by vLLM's 400 for a server started without tool support. It also answers vLLM's `GET /v1/models`,
llama.cpp's `GET /props` and Ollama's `POST /api/show` when told a context length. Every request is
recorded for assertions.
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
    retry_after: float | str | None = None  # seconds, or a raw header value such as an HTTP date
    finish_reason: str = "stop"
    usage: tuple[int, int] = (11, 7)  # prompt, completion tokens; sent when the request asks for usage
    raw_after: list[str] | None = None  # raw SSE lines sent after the content chunks, instead of the finish
    keep_alive: tuple[float, int] | None = None  # (interval, count) `: keep-alive` comments before the reply
    error_body: dict[str, Any] | None = None  # the JSON body of a non-200 answer
    abort_after: int | None = None  # promise a longer body than is sent, then close, after this many chunks
    tool_calls: list[dict[str, Any]] | None = None  # function calls to answer with (see `tool_call`)


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
    requests: list[Recorded] = field(default_factory=list)  # every POST but `/api/show`
    discovery: list[Recorded] = field(default_factory=list)  # `GET /v1/models` and `POST /api/show`
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests the server was answering at one moment
    strict_fields: frozenset[str] = frozenset()  # request fields answered with a 400, as an older server does
    max_model_len: int | None = None  # what `GET /v1/models` reports (vLLM)
    ollama_context: int | None = None  # what `POST /api/show` reports as model_info.<arch>.context_length
    ollama_num_ctx: int | None = None  # a `num_ctx` in the model's parameters, as a Modelfile sets it
    llamacpp_n_ctx: int | None = None  # what llama.cpp's `GET /props` reports per slot
    reject_tools: bool = False  # a request with `tools` gets a 400, as vLLM without --enable-auto-tool-choice

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

    # When set, each request (recorded and counted in flight) waits for a permit before it is answered: a test
    # holds requests until what it waits for is observed, instead of a delay it hopes is long enough.
    gate: threading.Semaphore | None = None

    def next_behaviour(self) -> Behaviour:
        if self.gate is not None:
            self.gate.acquire(timeout=120)  # never held forever: a test that forgets to release still ends
        with self.lock:
            return self.script.popleft() if self.script else self.default



def tool_call(tool: str, /, *, call_id: str | None = None, raw: str | None = None, as_object: bool = False,
              **arguments: Any) -> dict[str, Any]:
    """One scripted function call: `arguments` as JSON text, `raw` sent as the arguments text exactly as given, or
    (`as_object`) the arguments as a JSON object instead of its text, as some servers send them."""
    sent: Any = raw if raw is not None else arguments if as_object else json.dumps(arguments)
    return {"id": call_id, "name": tool, "arguments": sent}


def _call_ids(calls: list[dict[str, Any]]) -> list[str]:
    return [str(call.get("id") or f"call_{number}") for number, call in enumerate(calls, 1)]


def _chunks(text: str, size: int = 12) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        fake = self.fake
        with fake.lock:
            fake.discovery.append(Recorded(self.path, {}, {k.lower(): v for k, v in self.headers.items()}))
        if self.path == "/v1/models" and fake.max_model_len is not None:
            self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model",
                                                         "max_model_len": fake.max_model_len}]})
        elif self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        elif self.path == "/props" and fake.llamacpp_n_ctx is not None:
            self._json(200, {"default_generation_settings": {"n_ctx": fake.llamacpp_n_ctx}, "total_slots": 1})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _show(self, body: dict[str, Any]) -> None:
        fake = self.fake
        if fake.ollama_context is None:
            self._text(404, "404 page not found")
            return
        parameters = f"num_ctx                        {fake.ollama_num_ctx}" if fake.ollama_num_ctx else ""
        self._json(200, {"modelfile": "", "parameters": parameters, "details": {"family": "llama"},
                         "model_info": {"general.architecture": "llama",
                                        "llama.context_length": fake.ollama_context}})

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
        recorded = Recorded(self.path, body, {k.lower(): v for k, v in self.headers.items()})
        if self.path == "/api/show":
            with fake.lock:
                fake.discovery.append(recorded)
            self._show(body)
            return
        with fake.lock:
            fake.requests.append(recorded)
        if not (self.path.startswith("/v1/chat/completions") or self.path.startswith("/openai/deployments/")):
            self._text(404, "404 page not found")  # what Ollama and vLLM answer for a path they do not serve
            return
        unknown = sorted(fake.strict_fields & set(body))
        if unknown:
            self._json(400, {"object": "error", "type": "BadRequestError", "param": None, "code": 400,
                             "message": "[" + ", ".join(f"{{'type': 'extra_forbidden', 'loc': ('body', '{name}'), "
                                                        "'msg': 'Extra inputs are not permitted'}" for name in unknown)
                                        + "]"})
            return
        if fake.reject_tools and "tools" in body:
            self._json(400, {"object": "error", "type": "BadRequestError", "param": None, "code": 400,
                             "message": '"auto" tool choice requires --enable-auto-tool-choice and '
                                        '--tool-call-parser to be set'})
            return
        behaviour = fake.next_behaviour()
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour.status != 200:
            headers = {"retry-after": str(behaviour.retry_after)} if behaviour.retry_after is not None else {}
            error = behaviour.error_body or {"error": {"message": f"scripted {behaviour.status}",
                                                       "type": "server_error", "code": None}}
            self._json(behaviour.status, error, headers)
            return
        model = str(body.get("model") or "fake-model")
        if body.get("stream"):
            options = body.get("stream_options")
            self._stream(behaviour, model, isinstance(options, dict) and options.get("include_usage") is True)
        else:
            prompt, completion = behaviour.usage
            message: dict[str, Any] = {"role": "assistant", "content": behaviour.reply}
            finish = behaviour.finish_reason
            if behaviour.tool_calls:
                message["tool_calls"] = [{"id": ident, "type": "function", "function": {
                    "name": call["name"], "arguments": call["arguments"]}}
                    for ident, call in zip(_call_ids(behaviour.tool_calls), behaviour.tool_calls, strict=True)]
                finish = "tool_calls" if finish == "stop" else finish
            self._json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion},
            })

    def _text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, behaviour: Behaviour, model: str, include_usage: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        if behaviour.abort_after is not None:
            self.send_header("Content-Length", "10000000")  # a body the server never finishes
        self.end_headers()
        self.close_connection = True

        def send(payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            self.wfile.flush()

        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        try:
            if behaviour.keep_alive is not None:
                interval, count = behaviour.keep_alive
                for _ in range(count):
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    time.sleep(interval)
            send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                       "finish_reason": None}]})
            for number, piece in enumerate(_chunks(behaviour.reply)):
                if behaviour.drop_after is not None and number >= behaviour.drop_after:
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if behaviour.abort_after is not None and number >= behaviour.abort_after:
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                if behaviour.chunk_delay:
                    time.sleep(behaviour.chunk_delay)
                send({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            finish = behaviour.finish_reason
            for index, (ident, call) in enumerate(zip(_call_ids(behaviour.tool_calls or []),
                                                      behaviour.tool_calls or [], strict=True)):
                # as OpenAI streams them: the id and name first, then the arguments in fragments
                send({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [
                    {"index": index, "id": ident, "type": "function",
                     "function": {"name": call["name"], "arguments": ""}}]}}]})
                if isinstance(call["arguments"], dict):  # whole, as an object
                    send({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [
                        {"index": index, "function": {"arguments": call["arguments"]}}]}}]})
                for piece in _chunks(call["arguments"], 7) if isinstance(call["arguments"], str) else []:
                    if behaviour.chunk_delay:
                        time.sleep(behaviour.chunk_delay)
                    send({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {"tool_calls": [
                        {"index": index, "function": {"arguments": piece}}]}}]})
                finish = "tool_calls" if finish == "stop" else finish
            if behaviour.raw_after is not None:
                for line in behaviour.raw_after:
                    self.wfile.write(line.encode() + b"\n\n")
                self.wfile.flush()
                return
            send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            if include_usage:
                prompt, completion = behaviour.usage
                send({**base, "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                                                       "total_tokens": prompt + completion}})
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

"""`techcat mcp` as a subprocess spoken to line by line, so a test can send what the SDK's client never
would (a lone surrogate escape, a 5,000-digit number, a raw control character) and see whether — and
what — the server answers, with a timeout instead of a hang."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from tests.gitutil import GIT_ENV
from tests.mcp.mcp_session import NO_USER_CONFIG


def _lines(stream: IO[bytes], into: queue.Queue[bytes | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


class RawMcp:
    def __init__(self, cwd: Path, *args: str) -> None:
        env = {**GIT_ENV, **NO_USER_CONFIG}
        self.process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "mcp", *args], cwd=cwd, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.inbox: queue.Queue[bytes | None] = queue.Queue()
        self.errors: list[bytes] = []
        threading.Thread(target=_lines, args=(self.process.stdout, self.inbox), daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.next_id = 0

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line)

    @property
    def log(self) -> str:
        return b"".join(self.errors).decode("utf-8", "replace")

    def write_line(self, line: bytes | str) -> None:
        data = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
        self.stdin.write(data + b"\n")
        self.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.write_line(json.dumps(message))

    def reply(self, msg_id: int | None, timeout: float = 10.0) -> dict[str, Any]:
        """The answer to `msg_id`; every line the server writes must be one JSON object."""
        while True:
            try:
                line = self.inbox.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no answer to {msg_id!r} within {timeout} s; the server logged:\n"
                                     f"{self.log[-3000:]}") from None
            if line is None:
                raise AssertionError(f"the server closed stdout before answering {msg_id!r}:\n{self.log[-3000:]}")
            message = json.loads(line.decode("utf-8"))  # strict: the server only writes UTF-8 JSON
            assert isinstance(message, dict)
            if "method" not in message and message.get("id") == msg_id:
                return message

    def request_line(self, method: str, params_json: str) -> int:
        """A request whose params are given as raw JSON text (escapes and all); returns its id."""
        self.next_id += 1
        self.write_line(f'{{"jsonrpc": "2.0", "id": {self.next_id}, "method": "{method}", "params": {params_json}}}')
        return self.next_id

    def call_line(self, tool: str, arguments_json: str) -> int:
        return self.request_line("tools/call", f'{{"name": {json.dumps(tool)}, "arguments": {arguments_json}}}')

    def call(self, tool: str, arguments: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        return self.reply(self.call_line(tool, json.dumps(arguments)), timeout)

    def initialize(self) -> dict[str, Any]:
        number = self.request_line("initialize", json.dumps({"protocolVersion": "2025-06-18", "capabilities": {},
                                                             "clientInfo": {"name": "raw", "version": "1"}}))
        answer = self.reply(number, timeout=30)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def close(self, timeout: float = 20.0) -> int:
        try:
            self.stdin.close()
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def tool_text(answer: dict[str, Any]) -> tuple[bool, str]:
    """(is_error, text) of a tools/call answer."""
    result = answer["result"]
    (block,) = result["content"]
    return bool(result.get("isError")), str(block["text"])

"""A raw LSP client over the server's stdin and stdout: it writes any bytes (bad frames too) and reads
the frames the server writes, with a timeout, so a test sees a wedged server as a failure, not a hang."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from tests.gitutil import GIT_ENV
from tests.lsp.helpers import uri

SERVER = [sys.executable, "-m", "techcat_cli.main", "lsp"]


def frame(body: bytes | dict[str, Any]) -> bytes:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


def _read_frames(stream: IO[bytes], into: queue.Queue[dict[str, Any] | None]) -> None:
    """Well-formed frames only: anything else the server writes is a test failure (None ends the stream)."""
    try:
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = stream.read(1)
                if not byte:
                    return
                head += byte
            headers = dict(line.split(b": ", 1) for line in head.strip().split(b"\r\n"))
            body = stream.read(int(headers[b"Content-Length"]))
            into.put(json.loads(body))
    finally:
        into.put(None)


class WireClient:
    """`techcat lsp` as a subprocess; `stderr` is collected so a test can check what the server logged."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(SERVER, cwd=cwd, env={**GIT_ENV, **(env or {})}, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.errors: list[bytes] = []
        threading.Thread(target=_read_frames, args=(self.process.stdout, self.inbox), daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.next_id = 0

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line)

    @property
    def log(self) -> str:
        return b"".join(self.errors).decode("utf-8", "replace")

    def logged(self, text: str, timeout: float = 30.0) -> bool:
        """Whether the server logs `text` within `timeout`: stderr is its own pipe, read by a thread, so a
        line written before a reply may still be on its way when the reply is read."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def write(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def send(self, payload: dict[str, Any]) -> None:
        self.write(frame(payload))

    def request(self, method: str, params: Any = None, send: bool = True) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        if send:
            self.send(message)
        return self.next_id

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def reply(self, request_id: int | str | None, timeout: float = 10.0) -> dict[str, Any]:
        """The response to `request_id`, skipping notifications and server requests; fails after `timeout`."""
        while True:
            try:
                message = self.inbox.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no answer to request {request_id!r} within {timeout} s;"
                                     f" the server logged:\n{self.log[-3000:]}") from None
            if message is None:
                raise AssertionError(f"the server closed stdout before answering {request_id!r}:\n{self.log[-3000:]}")
            if "method" not in message and message.get("id") == request_id:
                return message

    def initialize(self, root: Path) -> dict[str, Any]:
        answer = self.reply(self.request("initialize", {"processId": None, "rootUri": uri(root),
                                                        "capabilities": {}}))
        self.notify("initialized", {})
        return answer

    def close(self, timeout: float = 20.0) -> int:
        """Shut down politely; the exit code (a server that does not exit within `timeout` is killed: a failure)."""
        try:
            if self.process.poll() is None:
                self.reply(self.request("shutdown"), timeout=timeout)
                self.notify("exit")
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()

"""Benchmark the language server against the standard JSON language server on task logs of 1k, 10k and 100k entries.

    benchmarks/setup-node.sh                  # once: vscode-langservers-extracted into benchmarks/node/
    .venv/bin/python benchmarks/bench_lsp.py [--sizes 1000,10000,100000] [--edits 12] [--keep]

Both servers run over stdio, one at a time, on the same generated workspace (see bench_check.py) and the
same edits. `vscode-json-language-server` is configured with `schemas/task-log.schema.json` for the log.
For each size and server it measures, from this client (a plain JSON-RPC client, so no client library's
overhead is counted for one server and not the other):

- pull: the time from sending an edit (`didChange`) to the answer of a `textDocument/diagnostic` request
  sent right behind it: the server's own compute time, as a pull client such as VS Code sees it;
- push: the time from the edit to the `publishDiagnostics` for it, debounce included (ours 75 ms by
  default, the JSON server's 500 ms), as Neovim sees it;
- hover: the time to answer a hover on an entry's `agent` in the middle of the log;
- open: from `didOpen` of the log to its first diagnostics, and start: from starting the server process
  to the same moment (our server analyses the workspace from disk as soon as it is initialized);
- peak memory: the server process's peak resident set (VmHWM), read from /proc after its session.

Each edit breaks one entry's date (`2024-01-15` → `2024/01-15`) or mends it again, in entries spread over
the whole file. A few entries carry problems a schema cannot see (an agent not in the roster, a duplicate
id, a future date, a missing output file); the report counts what each server found. Medians (and the
95th percentile) over the measured edits, after two warm-up edits.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA = REPO / "schemas" / "task-log.schema.json"
JSON_SERVER = HERE / "node" / "node_modules" / "vscode-langservers-extracted" / "bin" / "vscode-json-language-server"
PULL_TARGETS = {10_000: 0.050, 100_000: 0.300}  # seconds, edit to diagnostics, pull
DEBOUNCE_MS = 75


def _bench_check() -> Any:
    spec = importlib.util.spec_from_file_location("bench_check", HERE / "bench_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_workspace(root: Path, n: int, seed: int = 7, into_existing: bool = False) -> Path:
    """bench_check's realistic workspace, plus four problems no JSON schema can see; returns the log's path."""
    check = _bench_check()
    if into_existing:
        import random

        rng = random.Random(seed)
        paths = check.repository_paths(2000, rng)
        for path in paths:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).touch()
        codex = root / ".codex"
        codex.mkdir(exist_ok=True)
        (codex / "AGENTS.md").write_text(check.agents_md(), encoding="utf-8")
        (codex / "PROPOSED-TASKS.md").write_text(check.proposed_md(n), encoding="utf-8")
        log = codex / "TASK-LOG.json"
        log.write_text(json.dumps(check.task_log(n, paths, rng), indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        return log
    log = Path(check.build_workspace(root, n, seed))
    entries = json.loads(log.read_text(encoding="utf-8"))
    middle = len(entries) // 2
    entries[middle + 1]["agent"] = "ghost_writer"  # not in the roster
    entries[middle + 2]["task_id"] = entries[middle + 3]["task_id"]  # a duplicate id
    entries[middle + 4]["date"] = "2099-01-01"  # in the future
    entries[middle + 5]["output_files"] = ["apps/web/src/Gone.tsx"]  # does not exist
    log.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return log


# -- a minimal JSON-RPC client ---------------------------------------------------------------------------


class Client:
    def __init__(self, process: asyncio.subprocess.Process, settings: dict[str, Any]) -> None:
        self.process = process
        self.settings = settings
        self._next = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.published: list[tuple[float, str, int | None, int]] = []  # (arrival, uri, version, count)
        self.publish_event = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, command: list[str], settings: dict[str, Any], cwd: Path) -> Client:
        process = await asyncio.create_subprocess_exec(*command, cwd=cwd, stdin=subprocess.PIPE,
                                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                                       limit=2**30)
        return cls(process, settings)

    def _write(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        self._next += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        self._write({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = await stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(await stream.readexactly(length))
            arrived = time.perf_counter()
            if "id" in message and "method" not in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif "id" in message:  # a request from the server
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [self.settings.get(item.get("section") or "", self.settings)
                              for item in message["params"]["items"]]
                self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.published.append((arrived, params["uri"], params.get("version"), len(params["diagnostics"])))
                self.publish_event.set()

    def peak_rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return float("nan")
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.request("shutdown", None), 30)
            self.notify("exit", None)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


# -- one session ---------------------------------------------------------------------------------------


@dataclass
class Result:
    server: str
    mode: str
    edits: list[float] = field(default_factory=list)
    hovers: list[float] = field(default_factory=list)
    open_s: float = float("nan")  # didOpen of the log → its first diagnostics
    start_s: float = float("nan")  # process start → the log's first diagnostics (start-up work included)
    peak_mb: float = float("nan")
    reported: int = 0  # problems in the log as generated
    reported_broken: int = 0  # after the first edit broke a date


def capabilities(pull: bool) -> dict[str, Any]:
    text: dict[str, Any] = {"synchronization": {"didSave": True}, "hover": {"contentFormat": ["markdown"]},
                            "publishDiagnostics": {"versionSupport": True}}
    workspace: dict[str, Any] = {"configuration": True}
    if pull:
        text["diagnostic"] = {"dynamicRegistration": False}
        workspace["diagnostics"] = {"refreshSupport": True}
    return {"textDocument": text, "workspace": workspace, "general": {"positionEncodings": ["utf-16"]}}


class Text:
    """The document as the client holds it, with a line index for positions (the log is ASCII, as generated)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def position(self, offset: int) -> dict[str, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return {"line": line, "character": offset - self.starts[line]}


def edit_sites(text: str, count: int) -> list[int]:
    """Offsets of the first '-' in the dates of `count` entries spread over the file."""
    sites = []
    for k in range(count):
        at = text.index('"date": "', len(text) * (k + 1) // (count + 2)) + len('"date": "') + 4
        sites.append(at)
    return sites


async def session(server: str, pull: bool, root: Path, log: Path, edits: int) -> Result:
    if server == "techcat":
        command = [sys.executable, "-m", "techcat_cli.main", "lsp"]
        init: dict[str, Any] = {"debounceMs": DEBOUNCE_MS}
    else:
        command = ["node", str(JSON_SERVER), "--stdio"]
        init = {"provideFormatter": False, "handledSchemaProtocols": ["file"]}
    settings = {"json": {"validate": {"enable": True},
                         "schemas": [{"fileMatch": ["TASK-LOG.json"], "url": SCHEMA.as_uri()}]}}
    spawned = time.perf_counter()
    client = await Client.start(command, settings, root)
    result = Result(server, "pull" if pull else "push")
    try:
        await client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                            "capabilities": capabilities(pull), "initializationOptions": init,
                                            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]})
        client.notify("initialized", {})
        if server == "json":
            client.notify("workspace/didChangeConfiguration", {"settings": settings})
        text = Text(log.read_text(encoding="utf-8"))
        uri = log.as_uri()
        version = 1
        started = time.perf_counter()
        client.published.clear()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "json", "version": 1,
                                                                "text": text.text}})
        if pull:
            report = await client.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
            result.reported = len(report["items"])
        else:
            await _published(client, uri, 1, started)
            result.reported = client.published[-1][3]
        result.open_s = time.perf_counter() - started
        result.start_s = time.perf_counter() - spawned
        sites = edit_sites(text.text, edits // 2 + 1)
        plan = [(site, "/") for site in sites] + [(site, "-") for site in sites]
        for number, (site, char) in enumerate(plan):
            version += 1
            change = {"range": {"start": text.position(site), "end": text.position(site + 1)}, "text": char}
            started = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [change]})
            if pull:
                report = await client.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
                count = len(report["items"])
            else:
                count = await _published(client, uri, version, started)
            elapsed = time.perf_counter() - started
            if number == 0:
                result.reported_broken = count
            if number >= 2:  # two warm-up edits
                result.edits.append(elapsed)
            text.text = text.text[:site] + char + text.text[site + 1:]
        for site in sites:
            at = text.text.index('"agent": "', site) + len('"agent": "') + 2
            started = time.perf_counter()
            answer = await client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                                 "position": text.position(at)})
            result.hovers.append(time.perf_counter() - started)
            assert answer is not None, f"{server} gave no hover"
        result.peak_mb = client.peak_rss_mb()
    finally:
        await client.close()
    return result


async def _published(client: Client, uri: str, version: int, since: float, timeout: float = 600) -> int:
    """Wait for the diagnostics of `version` (or, from a server that sends no version, the next ones)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for arrived, target, got, count in reversed(client.published):
            if target == uri and arrived >= since and got in (None, version):
                return count
        client.publish_event.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.publish_event.wait(), max(0.01, deadline - time.perf_counter()))
    raise TimeoutError(f"no diagnostics published for version {version}")


# -- report --------------------------------------------------------------------------------------------


def ms(values: list[float], quantile: float = 0.5) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    if quantile == 0.5:
        return f"{statistics.median(ordered) * 1000:.1f}"
    return f"{ordered[min(len(ordered) - 1, round(quantile * (len(ordered) - 1)))] * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated entry counts")
    parser.add_argument("--edits", type=int, default=12, help="measured edits per session (after 2 warm-ups)")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspaces")
    parser.add_argument("--only", choices=("techcat", "json"), help="run one server only")
    args = parser.parse_args()
    if args.only != "techcat" and not JSON_SERVER.exists():
        print(f"{JSON_SERVER} is missing: run benchmarks/setup-node.sh first", file=sys.stderr)
        return 2
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()]
    servers = [args.only] if args.only else ["techcat", "json"]
    base = Path(tempfile.mkdtemp(prefix="techcat-bench-lsp-"))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"python {platform.python_version()}, node {node}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs; workspaces in {base}", file=sys.stderr)
    rows: list[tuple[int, float, dict[tuple[str, str], Result]]] = []
    try:
        for n in sizes:
            root = base / f"log-{n}"
            root.mkdir()
            build_workspace(root, n)
            log = root / ".codex" / "TASK-LOG.json"
            results: dict[tuple[str, str], Result] = {}
            for server in servers:
                for pull in (True, False):
                    results[(server, "pull" if pull else "push")] = asyncio.run(
                        session(server, pull, root, log, args.edits))
                    print(f"  {n:>7} entries: {server} {'pull' if pull else 'push'} done", file=sys.stderr)
            rows.append((n, log.stat().st_size / 1e6, results))
    finally:
        if args.keep:
            print(f"workspaces kept in {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    print_report(rows, servers)
    return 0


def print_report(rows: list[tuple[int, float, dict[tuple[str, str], Result]]], servers: list[str]) -> None:
    header = ("| entries | log MB | server | edit → diagnostics, pull ms (p95) | edit → diagnostics, push ms | "
              "hover ms | open → diagnostics s | start → diagnostics s | peak RSS MB | problems found (as generated / "
              "one date broken) |")
    print(header)
    print("|" + "|".join("---:" if i not in (2,) else "---" for i in range(header.count("|") - 1)) + "|")
    for n, megabytes, results in rows:
        for server in servers:
            pull, push = results[(server, "pull")], results[(server, "push")]
            name = "techcat-lsp" if server == "techcat" else "vscode-json-language-server"
            print(f"| {n:,} | {megabytes:.1f} | {name} | {ms(pull.edits)} ({ms(pull.edits, 0.95)}) | "
                  f"{ms(push.edits)} | {ms(pull.hovers)} | {pull.open_s:.2f} | {pull.start_s:.2f} | "
                  f"{max(pull.peak_mb, push.peak_mb):.0f} | {pull.reported} / {pull.reported_broken} |")
    if len(servers) == 2:
        print()
        print("| entries | pull: JSON server ÷ techcat | push: JSON server ÷ techcat | hover | peak RSS | target "
              "(pull) |")
        print("|---:|---:|---:|---:|---:|---|")
        for n, _, results in rows:
            ours, theirs = results[("techcat", "pull")], results[("json", "pull")]
            ours_push, theirs_push = results[("techcat", "push")], results[("json", "push")]
            target = PULL_TARGETS.get(n)
            ok = target is not None and statistics.median(ours.edits) < target
            verdict = "—" if target is None else f"< {target * 1000:.0f} ms {'✓' if ok else '✗ missed'}"
            print(f"| {n:,} | {statistics.median(theirs.edits) / statistics.median(ours.edits):.1f}× | "
                  f"{statistics.median(theirs_push.edits) / statistics.median(ours_push.edits):.1f}× | "
                  f"{statistics.median(theirs.hovers) / statistics.median(ours.hovers):.1f}× | "
                  f"{max(theirs.peak_mb, theirs_push.peak_mb) / max(ours.peak_mb, ours_push.peak_mb):.1f}× | "
                  f"{verdict} |")


if __name__ == "__main__":
    sys.exit(main())

"""500 calls to the real `techcat mcp` over stdio with arguments built from each tool's own schema and
then mangled (wrong types, lone surrogates, NULs, control characters, 200 KB and 1 MB strings, numbers of
5,000 digits, `Infinity`, deep nesting, missing and unknown arguments), with other requests and junk lines
between them. Every request is answered within 10 s, in UTF-8 JSON, with a reason when it fails and
without a long argument echoed back; whatever the calls wrote, the task log still parses."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from techcat_core.engine import check_workspace
from techcat_core.workspace import load_workspace
from tests.gitutil import commit_all, init_repo
from tests.mcp.raw_stdio import RawMcp
from tests.wsbuilder import make_workspace

CALLS = 500
MAX_SECONDS = 10.0
HUGE = "@@HUGE-NUMBER@@"
DEEP = "@@DEEP-NESTING@@"
WEIRD_STRINGS = ["", " ", "\ud800", "a\udfffb", "\x00", "a\x00b", "\x1b[2J", "\u2028", "../../etc/passwd",
                 "/etc/passwd", ".git/config", "TASK-LOG.json", "planner", "task-" + "9" * 5000, "é—“🐾”",
                 "x" * 200_000, "\ufeff", "C:\\Windows", "~/x", "2025-02-30", "2025-07-01", "HEAD", "HEAD~999",
                 "--upload-pack=x"]
WEIRD_VALUES: list[Any] = [None, True, 0, -1, 1.5, 10**30, float("inf"), float("nan"), [], {}, [1, "a"], {"a": [1]},
                           HUGE]
JUNK_LINES = [b"", b"not json", b"{", b"[1, 2]", b'{"jsonrpc": "2.0"}', b'{"jsonrpc": "2.0", "id": 1}',
              b"\xff\xfe\x00", b'{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": []}}',
              b'{"jsonrpc": "2.0", "id": "x", "method": 5}', b"[" * 10_000 + b"]" * 10_000]


def plausible(rng: random.Random, schema: dict[str, Any]) -> Any:
    kinds = schema.get("type") or [option.get("type") for option in schema.get("anyOf", [])] or "string"
    kind = rng.choice(kinds) if isinstance(kinds, list) else kinds
    if kind == "integer":
        return rng.choice([1, 2, 3, 50])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [rng.choice(["apps/web/home.tsx", "apps/web/new.tsx", ".codex/PROPOSED-TASKS.md"])]
    if kind == "null":
        return None
    return rng.choice(["planner", "frontend_specialist", "Built the page", "2025-07-01", "HEAD", "done", "home"])


def mangled(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.02:
        return "y" * 1_000_000
    if roll < 0.05:
        return DEEP
    if roll < 0.6:
        return rng.choice(WEIRD_STRINGS)
    if roll < 0.75:
        return [rng.choice(WEIRD_STRINGS), rng.choice(WEIRD_VALUES)]
    return rng.choice(WEIRD_VALUES)


def arguments_for(rng: random.Random, schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    arguments = {}
    for name, prop in properties.items():
        if name in schema.get("required", []) or rng.random() < 0.5:
            arguments[name] = mangled(rng) if rng.random() < 0.4 else plausible(rng, prop)
        if name in arguments and rng.random() < 0.05:
            del arguments[name]  # a required one missing
    if rng.random() < 0.1:
        arguments[rng.choice(["unknown", "\ud800", "file\x00", "x" * 300])] = mangled(rng)
    return arguments


def encode(message: dict[str, Any]) -> str:
    """JSON as a careless client writes it: lone surrogates as escapes, `Infinity`, numbers of 5,000 digits,
    arrays nested 5,000 deep."""
    return json.dumps(message).replace(json.dumps(HUGE), "9" * 5000).replace(json.dumps(DEEP),
                                                                            "[" * 5000 + "]" * 5000)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root)
    (root / "apps" / "web" / "new.tsx").write_text("export {}\n", encoding="utf-8")
    commit_all(root, "a clean workspace")
    return root


def test_every_mcp_call_is_answered_with_a_reason(workspace: Path) -> None:
    rng = random.Random("mcp-20261204")
    server = RawMcp(workspace)
    failures: list[str] = []
    try:
        server.initialize()
        tools = server.reply(server.request_line("tools/list", "{}"))["result"]["tools"]
        schemas = {tool["name"]: tool["inputSchema"] for tool in tools}
        for number in range(CALLS):
            roll = rng.random()
            if roll < 0.05:
                server.write_line(rng.choice(JUNK_LINES))
                continue
            server.next_id += 1
            if roll < 0.15:
                method = rng.choice(["resources/read", "resources/list", "tools/list", "prompts/list", "ping"])
                params: Any = {"uri": rng.choice(["techcat://codex/PRD.md", "techcat://prompts/\ud800",
                                                  "file:///etc/passwd", "techcat://codex/../../x", mangled(rng)])}
                message = {"jsonrpc": "2.0", "id": server.next_id, "method": method, "params": params}
                arguments: dict[str, Any] = {}
            else:
                tool = rng.choice(sorted(schemas))
                arguments = arguments_for(rng, schemas[tool])
                message = {"jsonrpc": "2.0", "id": server.next_id, "method": "tools/call",
                           "params": {"name": tool, "arguments": arguments}}
            line = encode(message)
            where = f"call {number}: {line[:200]}"
            server.write_line(line)
            try:
                answer = server.reply(server.next_id, timeout=MAX_SECONDS)
            except AssertionError as error:
                failures.append(f"{where}: {str(error)[:300]}")
                break  # a server that stopped answering answers nothing after
            failures += _judge(where, answer, arguments)
        assert "result" in server.reply(server.request_line("ping", "{}"))  # still answering at the end
    finally:
        code = server.close()
    assert code == 0 and "Traceback" not in server.log, server.log[-3000:]
    log = json.loads((workspace / ".codex" / "TASK-LOG.json").read_text(encoding="utf-8"))  # still JSON
    result = check_workspace(load_workspace(workspace / ".codex"), git=False)
    assert not [d for d in result.diagnostics if d.code == "TC100"], "the calls broke the task log"
    print(f"{CALLS} calls answered; the log now holds {len(log)} entries")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:15])


def _judge(where: str, answer: dict[str, Any], arguments: dict[str, Any]) -> list[str]:
    text = json.dumps(answer, ensure_ascii=False)
    long_values = [value for value in _strings(arguments) if len(value) >= 1_000]
    if any(value[:1_000] in text for value in long_values):
        return [f"{where}: the answer echoes a long argument back ({len(text):,} characters)"]
    if "error" in answer:
        return [] if answer["error"].get("message") else [f"{where}: an error without a reason: {text[:300]}"]
    result = answer.get("result")
    if not isinstance(result, dict):
        return [f"{where}: neither a result nor an error: {text[:300]}"]
    if result.get("isError"):
        reason = " ".join(block.get("text", "") for block in result.get("content", []))
        if len(reason) < 40 or reason.rstrip(":").endswith(("Error executing tool", "Error executing tool " + "?")):
            return [f"{where}: a failure without a reason: {reason!r}"]
        if len(reason) > 3_000:
            return [f"{where}: a failure of {len(reason):,} characters"]
    return []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [*_strings(key), *_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []

"""The size of the MCP server's tool definitions: what every client puts into its model's context window.

    .venv/bin/python benchmarks/bench_mcp.py [--latency]

Definitions are taken from the server itself (`tools/list`, in-process, serialised as on the wire:
camelCase keys, no nulls, compact JSON) for each tool set: `all` without a provider configured, `all`
with one (adds `run_agent`), and `read-only`. The `initialize` instructions are counted separately.
Tokens are estimated two ways, as no tokenizer ships with TechCat: characters / 4 (the usual rule of
thumb for English text) and a count of words and single symbols (`\\w+|[^\\w\\s]`), an upper bound for JSON,
where every quote and brace tends to be a token of its own. The saving from `schema_compact` (dropping
pydantic's titles and `anyOf [X, null]`) is shown on the input schemas alone.

`--latency` also starts `techcat mcp` over stdio with the SDK's client on a copy of the sample workspace
(36 log entries) committed to a fresh git repository, so the git history rules run too, and reports the
time to a usable session and the median round trip of a few tools.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from techcat_core.scaffold import init_workspace
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.server import INSTRUCTIONS, build_server, make_tool, tool_specs

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _definitions(codex_dir: Path, tool_set: str) -> list[dict[str, Any]]:
    server = build_server(codex_dir, tool_set)
    tools = anyio.run(server.list_tools)
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]


def _wire(definitions: list[dict[str, Any]]) -> str:
    return json.dumps(definitions, separators=(",", ":"), ensure_ascii=False)


def _row(label: str, definitions: list[dict[str, Any]]) -> str:
    text = _wire(definitions)
    names = ", ".join(d["name"] for d in definitions)
    return (f"| {label} | {len(definitions)} | {len(text):,} | {round(len(text) / 4):,} | "
            f"{len(_TOKEN.findall(text)):,} | {names} |")


async def _latency(root: Path, calls: int = 30) -> None:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "techcat_cli.main", "mcp"], cwd=str(root),
                                   env={"XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"]})
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        print(f"start to first tools/list: {time.perf_counter() - started:.2f} s")
        print()
        print("| tool call | median ms | calls |")
        print("|---|---:|---:|")
        workload: list[tuple[str, dict[str, Any]]] = [
            ("log_task", {"agent": "backend_specialist", "summary": "Benchmark entry", "output_files": []}),
            ("search_log", {"agent": "frontend_specialist", "text": "page"}),
            ("check_workspace", {}),
            ("list_proposed", {}),
        ]
        for name, arguments in workload:
            times = []
            for _ in range(calls):
                begin = time.perf_counter()
                result = await client.call_tool(name, arguments)
                times.append(time.perf_counter() - begin)
                assert not result.is_error, result.content
            print(f"| `{name}` | {statistics.median(times) * 1000:.1f} | {calls} |")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "no-user-config")
        for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TECHCAT_PROVIDER", "AZURE_OPENAI_ENDPOINT"):
            os.environ.pop(key, None)
        codex_dir, _, _ = init_workspace(Path(tmp))
        rows = [("all (no provider)", _definitions(codex_dir, "all")),
                ("read-only", _definitions(codex_dir, "read-only"))]
        os.environ["OPENAI_API_KEY"] = "bench-not-a-key"  # only decides whether run_agent is offered
        with_provider = _definitions(codex_dir, "all")
        rows.insert(1, ("all (provider configured)", with_provider))
        specs = tool_specs(WorkspaceLocator(codex_dir), "all")
        schemas = {flag: sum(len(json.dumps(make_tool(spec, compact=flag).parameters, separators=(",", ":")))
                             for spec in specs) for flag in (False, True)}
    print("| tool set | tools | characters | tokens ≈ chars/4 | words+symbols | tools |")
    print("|---|---:|---:|---:|---:|---|")
    for label, definitions in rows:
        print(_row(label, definitions))
    print()
    print(f"initialize instructions: {len(INSTRUCTIONS)} characters, ≈{round(len(INSTRUCTIONS) / 4)} tokens")
    saved = schemas[False] - schemas[True]
    print(f"input schemas of `all` with a provider: {schemas[False]:,} characters as pydantic writes them, "
          f"{schemas[True]:,} compacted ({saved:,} saved, {saved / schemas[False]:.0%})")
    print()
    print("| tool | characters |")
    print("|---|---:|")
    for definition in with_provider:
        print(f"| `{definition['name']}` | {len(_wire([definition])) - 2:,} |")
    if "--latency" in sys.argv[1:]:
        from techcat_cli.main import copy_sample

        with tempfile.TemporaryDirectory() as tmp:
            os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "no-user-config")
            copy_sample(Path(tmp) / "sample")
            identity = ["-c", "user.name=bench", "-c", "user.email=b@example.com", "-c", "commit.gpgsign=false"]
            for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "sample"]):
                subprocess.run(["git", *command], cwd=Path(tmp) / "sample", check=True)
            print()
            anyio.run(_latency, Path(tmp) / "sample")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tool definitions cost every client context: keep them within budget, and measure what clients get."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.types import Tool

from techcat_mcp.server import build_server
from tests.mcp.mcp_session import NO_USER_CONFIG, techcat_mcp
from tests.wsbuilder import make_workspace

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_mcp.py"
# characters; issue 15 added add_agent, read_doc, apply_fixes, next_task and change_task (queue_task folded into it)
BUDGET = {"all (no provider)": 5_000, "all (provider configured)": 5_600, "read-only": 2_600}


def test_the_benchmark_reports_sizes_within_budget() -> None:
    result = subprocess.run([sys.executable, str(BENCH)], capture_output=True, text=True, timeout=120, check=False,
                            env={"PATH": "/usr/bin:/bin", **NO_USER_CONFIG})
    assert result.returncode == 0, result.stderr
    sizes = {m.group(1): int(m.group(2).replace(",", ""))
             for m in re.finditer(r"^\| ([a-z -]+(?:\([a-z ]+\))?) \| \d+ \| ([\d,]+) \|", result.stdout, re.M)}
    assert set(sizes) == set(BUDGET), result.stdout
    for tool_set, limit in BUDGET.items():
        assert sizes[tool_set] <= limit, f"{tool_set}: {sizes[tool_set]} characters, budget {limit}"
    assert sizes["read-only"] < sizes["all (no provider)"] < sizes["all (provider configured)"]


async def test_measured_definitions_are_what_a_stdio_client_receives(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TECHCAT_PROVIDER", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in NO_USER_CONFIG.items():
        monkeypatch.setenv(key, value)
    codex = make_workspace(tmp_path)
    in_process = await build_server(codex, "all").list_tools()
    async with techcat_mcp(tmp_path) as client:
        over_stdio = (await client.list_tools()).tools

    def dump(tools: list[Tool]) -> list[dict[str, Any]]:
        return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]

    assert dump(list(over_stdio)) == dump(in_process)

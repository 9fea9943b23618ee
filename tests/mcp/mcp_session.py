"""Start `techcat mcp` as a real subprocess and talk to it with the MCP SDK's own stdio client."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from tests.gitutil import GIT_ENV

TIMEOUT = 60.0
# No user-level TechCat settings leak in from the machine running the tests (e.g. a real API key).
NO_USER_CONFIG = {"XDG_CONFIG_HOME": str(Path(tempfile.gettempdir()) / "techcat-tests-no-user-config")}


@asynccontextmanager
async def techcat_mcp(cwd: Path, *args: str, env: dict[str, str] | None = None,
                      **client_options: Any) -> AsyncIterator[Client]:
    """`techcat mcp ARGS` started in `cwd`, as Codex CLI or Claude Code would start it; `client_options` go to
    the SDK's `Client` (`mode="legacy"` speaks the initialize handshake, as today's coding agents do)."""
    env = {**{k: v for k, v in GIT_ENV.items() if k.startswith("GIT_")}, **NO_USER_CONFIG, **(env or {})}
    params = StdioServerParameters(command=sys.executable, args=["-m", "techcat_cli.main", "mcp", *args],
                                   cwd=str(cwd), env=env)
    async with Client(params, read_timeout_seconds=TIMEOUT, **client_options) as client:
        yield client


def _text(result: CallToolResult) -> str:
    assert result.content, "the tool returned no content"
    block = result.content[0]
    assert isinstance(block, TextContent), f"expected text, got {block!r}"
    return block.text


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """Call a tool that must succeed; returns its decoded JSON reply."""
    result = await client.call_tool(tool, arguments)
    text = _text(result)
    assert not result.is_error, f"{tool}({arguments}) failed: {text}"
    return json.loads(text)


async def call_error(client: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail with a tool error (not a crash); returns the message."""
    result = await client.call_tool(tool, arguments)
    text = _text(result)
    assert result.is_error, f"{tool}({arguments}) should have failed, got {text}"
    assert "Traceback" not in text
    return text

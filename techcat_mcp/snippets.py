"""`techcat init --mcp`: configuration snippets for the coding agents that start `techcat mcp`."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from techcat_core.workspace import find_git_root


def server_command() -> list[str]:
    """How a client starts the server: `techcat` when it is on the PATH, else this installation's own."""
    if shutil.which("techcat"):
        return ["techcat"]
    beside = Path(sys.executable).with_name("techcat")
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-m", "techcat_cli.main"]


def codex_cli_toml(root: Path) -> str:
    """Codex CLI's `[mcp_servers]` table; its config is per user, so the workspace is named outright."""
    command, *prefix = server_command()
    args = ", ".join(json.dumps(arg) for arg in [*prefix, "mcp", "--workspace", str(root)])
    return f"[mcp_servers.techcat]\ncommand = {json.dumps(command)}\nargs = [{args}]\n"


def claude_code_json() -> str:
    """Claude Code's project `.mcp.json`: committed, started in the project folder, so no path."""
    command, *prefix = server_command()
    config = {"mcpServers": {"techcat": {"type": "stdio", "command": command, "args": [*prefix, "mcp"]}}}
    return json.dumps(config, indent=2) + "\n"


def vscode_json() -> str:
    """VS Code's `.vscode/mcp.json`, with the workspace folder variable VS Code fills in."""
    command, *prefix = server_command()
    config = {"servers": {"techcat": {"type": "stdio", "command": command,
                                      "args": [*prefix, "mcp", "--workspace", "${workspaceFolder}"]}}}
    return json.dumps(config, indent=2) + "\n"


def mcp_snippets(codex_dir: Path) -> str:
    """The text `techcat init --mcp` prints: one snippet per client, for this workspace."""
    codex_dir = codex_dir.resolve()
    root = find_git_root(codex_dir.parent) or codex_dir.parent
    return (f"# Codex CLI: ~/.codex/config.toml (or .codex/config.toml in a trusted project)\n"
            f"{codex_cli_toml(root)}\n"
            f"# Claude Code: .mcp.json in {root}\n"
            f"{claude_code_json()}\n"
            f"# VS Code: .vscode/mcp.json in {root}\n"
            f"{vscode_json()}\n"
            '# Add "--tools", "read-only" to the args for a server that never writes. More: docs/mcp.md\n')

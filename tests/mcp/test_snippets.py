"""`techcat init --mcp` snippets: each one parses in its client's format and starts this server."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

from techcat_mcp.snippets import claude_code_json, codex_cli_toml, mcp_snippets, vscode_json
from tests.gitutil import init_repo
from tests.wsbuilder import make_workspace


def test_each_snippet_is_valid_for_its_client(tmp_path: Path) -> None:
    codex = tomllib.loads(codex_cli_toml(tmp_path))["mcp_servers"]["techcat"]
    claude = json.loads(claude_code_json())["mcpServers"]["techcat"]
    vscode = json.loads(vscode_json())["servers"]["techcat"]
    assert codex["args"][-3:] == ["mcp", "--workspace", str(tmp_path)]
    assert claude["type"] == "stdio" and claude["args"][-1] == "mcp"
    assert vscode["args"][-3:] == ["mcp", "--workspace", "${workspaceFolder}"]
    assert codex["command"] == claude["command"] == vscode["command"]


def test_the_printed_text_names_the_repository_and_its_command_starts_the_server(tmp_path: Path) -> None:
    init_repo(tmp_path)
    codex_dir = make_workspace(tmp_path)
    text = mcp_snippets(codex_dir)
    for marker in ("[mcp_servers.techcat]", '"mcpServers"', '"servers"', "read-only"):
        assert marker in text
    toml_part = text.split("\n\n")[0]
    config = tomllib.loads(toml_part)["mcp_servers"]["techcat"]
    assert config["args"][-1] == str(tmp_path.resolve())
    # the command as printed really runs the server: `--help` of `techcat mcp`
    result = subprocess.run([config["command"], *config["args"][:-3], "mcp", "--help"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0 and re.search(r"--tools", result.stdout), result.stderr

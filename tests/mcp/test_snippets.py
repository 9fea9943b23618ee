"""`techcat init --mcp` snippets: each one parses in its client's format, starts this server, and names no path
of this machine (two of them are meant to be committed); when `techcat` is not on the PATH, stderr says so."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from techcat_mcp.snippets import claude_code_json, codex_cli_toml, mcp_snippets, vscode_json
from tests.gitutil import GIT_ENV, init_repo
from tests.wsbuilder import make_workspace

VENV_BIN = Path(sys.executable).parent


def test_each_snippet_is_valid_for_its_client(tmp_path: Path) -> None:
    codex = tomllib.loads(codex_cli_toml(tmp_path))["mcp_servers"]["techcat"]
    claude = json.loads(claude_code_json())["mcpServers"]["techcat"]
    vscode = json.loads(vscode_json())["servers"]["techcat"]
    assert codex["args"] == ["mcp", "--workspace", str(tmp_path)]
    assert claude["type"] == "stdio" and claude["args"] == ["mcp"]
    assert vscode["args"] == ["mcp", "--workspace", "${workspaceFolder}"]
    assert codex["command"] == claude["command"] == vscode["command"] == "techcat"


def test_the_printed_text_names_the_repository_and_its_command_starts_the_server(tmp_path: Path) -> None:
    init_repo(tmp_path)
    codex_dir = make_workspace(tmp_path)
    text = mcp_snippets(codex_dir)
    for marker in ("[mcp_servers.techcat]", '"mcpServers"', '"servers"', "read-only"):
        assert marker in text
    toml_part = text.split("\n\n")[0]
    config = tomllib.loads(toml_part)["mcp_servers"]["techcat"]
    assert config["args"][-1] == str(tmp_path.resolve())
    # the command as printed really runs the server, where TechCat is installed: `--help` of `techcat mcp`
    result = subprocess.run([config["command"], "mcp", "--help"], capture_output=True, text=True, timeout=60,
                            check=False, env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"})
    assert result.returncode == 0 and re.search(r"--tools", result.stdout), result.stderr


def _init_mcp(root: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", "init", "--mcp"], cwd=root, capture_output=True,
                          text=True, timeout=120, check=False, env={**GIT_ENV, "PATH": path})


def _commands(stdout: str) -> list[str]:
    return re.findall(r'"?command"?\s*[=:]\s*"([^"]*)"', stdout)


def test_without_techcat_on_the_path_the_snippets_stay_portable_and_stderr_says_how_to_install(
        tmp_path: Path) -> None:
    init_repo(tmp_path)
    bare = tmp_path / "bin"  # a PATH with git and nothing of TechCat's
    bare.mkdir()
    git = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout.strip()
    (bare / "git").symlink_to(git)
    result = _init_mcp(tmp_path, str(bare))
    assert result.returncode == 0, result.stderr
    assert _commands(result.stdout) == ["techcat", "techcat", "techcat"]
    assert sys.executable not in result.stdout and str(VENV_BIN) not in result.stdout
    notice = result.stderr.strip()
    assert notice.startswith("note: `techcat` is not on your PATH, so the snippets above start nothing until it is")
    assert "pipx install " in notice and "uv tool install " in notice and "docs/editors.md" in notice
    assert str(VENV_BIN / "techcat") in notice  # this installation, for a config that stays on this machine
    assert "\n" not in notice


def test_with_techcat_on_the_path_nothing_is_said_on_stderr(tmp_path: Path) -> None:
    init_repo(tmp_path)
    result = _init_mcp(tmp_path, f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    assert result.returncode == 0, result.stderr
    assert _commands(result.stdout) == ["techcat", "techcat", "techcat"]
    assert result.stderr == ""

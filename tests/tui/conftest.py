"""Fixtures for the TUI tests: a private config dir, a sample copy, no real editor or clipboard tool."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitutil import GIT_ENV
from tests.tui.helpers import copy_sample, free_port, wait_for_port


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never read or write the user's real TUI settings or credentials."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("TECHCAT_TUI_CONFIG", str(config / "techcat" / "tui.toml"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
                 "TECHCAT_PROVIDER", "TECHCAT_MODEL", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    return config / "techcat" / "tui.toml"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A fresh copy of the sample workspace (10 deliberate mistakes); returns its `.codex/`."""
    return copy_sample(tmp_path / "pawprint")


@pytest.fixture
def served(sample: Path) -> Iterator[tuple[str, Path]]:
    """`techcat serve` on the sample, on a free port, with no --host: yields its URL and `.codex/`."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "serve", "--workspace", str(sample),
                                "--port", str(port)], cwd=sample.parent, env={**GIT_ENV, "NO_COLOR": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/", sample
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

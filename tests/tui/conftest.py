"""Fixtures for the TUI tests: a private config dir, a sample copy, no real editor or clipboard tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import copy_sample


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

"""The editor command for each family of editors."""

from __future__ import annotations

from pathlib import Path

import pytest

from techcat_tui.editor import editor_command


@pytest.mark.parametrize(("configured", "expected"), [
    ("nvim", ["nvim", "+12", "/w/PRD.md"]),
    ("emacsclient -t", ["emacsclient", "-t", "+12", "/w/PRD.md"]),
    ("code", ["code", "--wait", "-g", "/w/PRD.md:12"]),
    ("hx", ["hx", "/w/PRD.md:12"]),
    ("/opt/bin/someeditor --flag", ["/opt/bin/someeditor", "--flag", "/w/PRD.md"]),
])
def test_editor_command_puts_the_line_where_each_editor_wants_it(configured: str, expected: list[str]) -> None:
    assert editor_command(Path("/w/PRD.md"), 12, configured) == expected


def test_editor_falls_back_to_visual_then_editor_then_vi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    assert editor_command(Path("/w/a.md"), None) == ["vi", "/w/a.md"]
    monkeypatch.setenv("EDITOR", "nano")
    assert editor_command(Path("/w/a.md"), 3) == ["nano", "+3", "/w/a.md"]
    monkeypatch.setenv("VISUAL", "vim")
    assert editor_command(Path("/w/a.md"), 3)[0] == "vim"

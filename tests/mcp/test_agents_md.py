"""The TechCat paragraph in the top-level AGENTS.md: written between markers, nothing else touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from techcat_mcp.agents_md import END, START, AgentsMdError, ensure_agents_paragraph

HUMAN_TEXT = "# Working here\n\nRun the tests with `make test`.  \nKeep commits small.\n"


def _between_markers(text: str) -> str:
    return text[text.index(START):text.index(END) + len(END)]


def test_creates_the_file_when_there_is_none(tmp_path: Path) -> None:
    assert ensure_agents_paragraph(tmp_path) is True
    text = (tmp_path / "AGENTS.md").read_text(encoding="utf-8")
    assert text.startswith(START + "\n") and text.endswith(END + "\n")
    assert "log_task" in text and "TASK-LOG.json" in text


def test_appends_after_the_existing_text_and_is_then_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "AGENTS.md"
    path.write_text(HUMAN_TEXT, encoding="utf-8")
    assert ensure_agents_paragraph(tmp_path) is True
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HUMAN_TEXT + "\n" + START)
    stat = path.stat()
    assert ensure_agents_paragraph(tmp_path) is False
    assert path.read_text(encoding="utf-8") == text and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_replaces_only_the_text_between_the_markers(tmp_path: Path) -> None:
    path = tmp_path / "AGENTS.md"
    before, after = "# Top\n\ntrailing spaces   \n\n", "\n\n## Mine\n\nno final newline"
    path.write_text(f"{before}{START}\nan old paragraph\n{END}{after}", encoding="utf-8")
    assert ensure_agents_paragraph(tmp_path) is True
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before) and text.endswith(after)
    assert "an old paragraph" not in text and "log_task" in _between_markers(text)


def test_keeps_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "AGENTS.md"
    path.write_bytes(b"# Rules\r\n\r\nBe kind.\r\n")
    ensure_agents_paragraph(tmp_path)
    data = path.read_bytes()
    assert data.startswith(b"# Rules\r\n\r\nBe kind.\r\n\r\n" + START.encode())
    assert b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize("body, line", [
    (f"intro\n{START}\nno end marker\n", 2),
    (f"{END}\nintro\n{START}\n", 3),
    (f"{START}\na\n{END}\n{START}\nb\n{END}\n", 1),
])
def test_broken_markers_are_reported_with_their_line_and_left_alone(tmp_path: Path, body: str, line: int) -> None:
    path = tmp_path / "AGENTS.md"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(AgentsMdError, match=rf"AGENTS\.md:{line}: expected one"):
        ensure_agents_paragraph(tmp_path)
    assert path.read_text(encoding="utf-8") == body


def test_a_file_that_is_not_utf8_is_reported_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "AGENTS.md"
    path.write_bytes(b"# Fine\nbad \xff byte\n")
    with pytest.raises(AgentsMdError, match=r"AGENTS\.md:2: byte 0xff is not valid UTF-8"):
        ensure_agents_paragraph(tmp_path)
    assert path.read_bytes() == b"# Fine\nbad \xff byte\n"

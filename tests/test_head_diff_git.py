"""The append-only rule through real git: HEAD's log is streamed, never read whole, and git's trouble or a
HEAD that is not UTF-8 falls back to the ordinary read with the same findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from techcat_core.head_diff import diff_text, diff_with_head, head_blob, read_blob
from techcat_core.history import _append_only_full, history_rules
from techcat_core.workspace import load_workspace
from tests.gitutil import commit_all, init_repo
from tests.wsbuilder import AGENTS_MD, PROPOSED_MD, make_workspace


def _log(count: int, changed: int | None = None) -> str:
    entries = [{"task_id": f"task-{n:04d}", "agent": "planner", "date": "2025-07-01",
                "summary": f"Did {n} — “quoted” 🐾" if n != changed else "Rewritten since", "output_files": []}
               for n in range(1, count + 1)]
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


def _repo(tmp_path: Path, head: bytes) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root, log="[]\n", agents=AGENTS_MD, proposed=PROPOSED_MD)
    (root / ".codex" / "TASK-LOG.json").write_bytes(head)
    commit_all(root, "head")
    return root


def test_a_changed_entry_is_found_from_the_streamed_head_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    head = _log(3000)
    root = _repo(tmp_path, head.encode())
    log_path = root / ".codex" / "TASK-LOG.json"
    log_path.write_text(_log(3000, changed=1500), encoding="utf-8")
    ws = load_workspace(root / ".codex")
    assert ws.task_log is not None
    streamed = diff_with_head(log_path, ws.task_log.text)
    assert streamed is not None
    diff, blob = streamed
    assert diff == diff_text(ws.task_log.text, head)
    assert len(diff.middle) < 100  # the changed summary, not HEAD's 500 KB
    assert read_blob(log_path, blob) == head

    def whole_read(*_: Any) -> str:
        raise AssertionError("HEAD's log was read whole")

    monkeypatch.setattr("techcat_core.history.file_at_head", whole_read)
    monkeypatch.setattr("techcat_core.history.read_blob", whole_read)
    found = [d for d in history_rules(ws) if d.code in ("TC403", "TC406")]
    assert [d.code for d in found] == ["TC403"]
    assert "task-1500 was changed" in found[0].message
    monkeypatch.undo()
    assert found == _append_only_full(ws, ws.task_log, head)


def test_a_head_that_is_not_utf8_falls_back_to_the_ordinary_read(tmp_path: Path) -> None:
    head = _log(20).encode().replace("🐾".encode(), b"\xff", 1)
    root = _repo(tmp_path, head)
    log_path = root / ".codex" / "TASK-LOG.json"
    log_path.write_text(_log(20, changed=10), encoding="utf-8")
    ws = load_workspace(root / ".codex")
    assert ws.task_log is not None
    assert diff_with_head(log_path, ws.task_log.text) is None
    codes = [d.code for d in history_rules(ws)]  # a sentence or a finding, never a traceback
    assert "TC403" in codes or "TC405" in codes


def test_no_head_version_means_nothing_to_stream(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root, log=_log(3), agents=AGENTS_MD, proposed=PROPOSED_MD)
    log_path = root / ".codex" / "TASK-LOG.json"
    assert head_blob(log_path) is None  # no commit yet
    assert diff_with_head(log_path, _log(3)) is None
    assert not [d for d in history_rules(load_workspace(root / ".codex")) if d.code == "TC403"]

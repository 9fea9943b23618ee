"""The prompt's memory from the end of a large log (issue 12 §5): the same entries a full parse gives, in less time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techcat_core.runtime.memory import recent_memory
from techcat_core.tasklog.parse import parse_task_log
from tests.wsbuilder import entry

TRICKY = ['Refactored the {settings} page, {"a": 1} and {}', "ümlauts, “quotes”, 日本語 ✓", 'ends with a brace }',
          "a \\\"quoted\\\" , { comma"]


def _log(tmp_path: Path, count: int, indent: int | None = 2) -> Path:
    path = tmp_path / "TASK-LOG.json"
    entries = [entry(n, summary=f"{TRICKY[n % len(TRICKY)]} #{n}") for n in range(1, count + 1)]
    path.write_text(json.dumps(entries, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("indent", [2, None])
def test_the_tail_holds_the_same_newest_entries_as_a_full_parse(tmp_path: Path, indent: int | None) -> None:
    path = _log(tmp_path, 5000, indent)
    full = [e.value for e in parse_task_log(path.read_text(encoding="utf-8"), path).entries]
    memory = recent_memory(path, 20_000, count=True)
    assert memory is not None
    assert 20 < len(memory.entries) < 1000  # the tail, not the whole log
    assert memory.entries == full[-len(memory.entries):]
    assert memory.total == 5000 and memory.next_id == "task-5001"
    uncounted = recent_memory(path, 20_000)
    assert uncounted is not None and uncounted.total is None and uncounted.entries == memory.entries


def test_a_log_that_does_not_end_as_an_array_is_left_to_the_full_parse(tmp_path: Path) -> None:
    path = _log(tmp_path, 3000)
    path.write_text(path.read_text(encoding="utf-8").rstrip().removesuffix("]") + ",\n", encoding="utf-8")
    assert recent_memory(path, 20_000) is None
    (tmp_path / "small").mkdir()
    small = _log(tmp_path / "small", 3)
    assert recent_memory(small, 20_000) is None  # small: parsed whole, exactly
    assert recent_memory(tmp_path / "missing.json", 100) is None


def test_a_budget_larger_than_the_log_reads_it_whole(tmp_path: Path) -> None:
    path = _log(tmp_path, 3000)
    assert recent_memory(path, 10 * path.stat().st_size) is None  # the caller parses it exactly

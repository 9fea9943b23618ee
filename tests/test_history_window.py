"""The append-only rule parses only the part of HEAD's log that differs: its findings equal the whole parse's.

For random small HEAD logs and random edits (entries changed, removed, inserted, reordered, duplicated;
whitespace changed; stray characters that make either side invalid JSON), `append_only_rule` must give exactly
the diagnostics of `_append_only_full`, the rule as it was, with HEAD's whole log parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.head_diff import diff_stream, diff_text
from techcat_core.head_window import head_from_window
from techcat_core.history import _append_only_full, append_only_rule
from techcat_core.tasklog.parse import parse_task_log
from techcat_core.workspace import Workspace, load_workspace
from tests.wsbuilder import make_workspace

IDS = st.sampled_from(["task-001", "task-002", "task-003", "task-004", "task-010", "TASK_2", None])
SUMMARIES = st.sampled_from(["Did a thing", "Did another", "Café — “quoted” 🐾", "Fixed {braces}", "x"])

ENTRY = st.builds(
    lambda task_id, summary, agent, date, summary_key: {
        **({"task_id": task_id} if task_id is not None else {}), "agent": agent, "date": date,
        summary_key: summary, "output_files": []},
    IDS, SUMMARIES, st.sampled_from(["planner", "coder", "nobody"]), st.sampled_from(["2025-07-01", "2025-7-2"]),
    st.sampled_from(["summary", "summary", "summary", "sumary"]))  # a misspelt key: TC106's rename fix


def _repaired(entry: dict[str, Any]) -> dict[str, Any]:
    fixed = {("summary" if key == "sumary" else key): value for key, value in entry.items()}
    if fixed.get("date") == "2025-7-2":
        fixed["date"] = "2025-07-02"
    return fixed


def _render(entries: list[Any], style: int) -> str:
    if style == 0:
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    if style == 1:
        return json.dumps(entries, ensure_ascii=False)
    return "[\n" + ",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in entries) + "\n]\n"


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, str]:
    head_entries = draw(st.lists(ENTRY, min_size=1, max_size=7))
    style = draw(st.integers(0, 2))
    head = _render(head_entries, style)
    entries = list(head_entries)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["change", "remove", "insert", "swap", "duplicate", "id", "repair"]))
        at = draw(st.integers(0, max(0, len(entries) - 1)))
        if op == "insert" or not entries:
            entries.insert(draw(st.integers(0, len(entries))), draw(ENTRY))
        elif op == "change":
            entries[at] = {**entries[at], "summary": draw(SUMMARIES) + "!"}
        elif op == "repair":  # what TechCat's own fixes would do to it (TC406 when HEAD had the fault)
            entries[at] = _repaired(entries[at])
        elif op == "remove":
            del entries[at]
        elif op == "swap":
            other = draw(st.integers(0, len(entries) - 1))
            entries[at], entries[other] = entries[other], entries[at]
        elif op == "duplicate":
            entries.insert(at, entries[at])
        else:
            entries[at] = {**entries[at], "task_id": draw(IDS)}
    text = _render(entries, draw(st.sampled_from([style, style, (style + 1) % 3])))
    for _ in range(draw(st.integers(0, 2))):  # text-level edits: whitespace, or a stray character
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([" ", "\n", ",", "]", "{", "\"", "x"])) + text[at:]
    if draw(st.booleans()):
        head, text = text, head  # whichever side is the edited one
    return head, text


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("window")
    return load_workspace(make_workspace(root))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_cases())
def test_the_windowed_rule_equals_the_whole_parse(ws: Workspace, case: tuple[str, str]) -> None:
    head_text, text = case
    log = parse_task_log(text, ws.root / ".codex" / "TASK-LOG.json")
    assert append_only_rule(ws, log, head_text) == _append_only_full(ws, log, head_text)


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_the_window_gives_heads_own_entries(case: tuple[str, str]) -> None:
    """Where the window is taken, HEAD's entries are the whole parse's: values, indexes and offsets."""
    head_text, text = case
    log = parse_task_log(text)
    window = head_from_window(log, diff_text(log.text, head_text))
    if window is None:
        return
    entries, before, after = window
    assert before <= after <= len(log.entries)
    full = parse_task_log(head_text)
    assert full.valid
    assert [(e.index, e.start, e.end, e.value) for e in entries] == \
        [(e.index, e.start, e.end, e.value) for e in full.entries]


@settings(max_examples=300, deadline=None)
@given(_cases(), st.integers(1, 9))
def test_the_streamed_diff_equals_the_one_from_heads_whole_text(case: tuple[str, str], chunk: int) -> None:
    """Two passes over HEAD's bytes in chunks of any size (cut inside characters too) find the same
    prefix, suffix and middle as the whole texts do, and the diff gives back any slice of HEAD's text."""
    head_text, text = case
    data = head_text.encode("utf-8")
    diff = diff_stream(text, lambda: (data[at:at + chunk] for at in range(0, len(data), chunk)))
    assert diff == diff_text(text, head_text)
    for start in range(0, len(head_text) + 1, 5):
        assert diff.slice(text, start, start + 17) == head_text[start:start + 17]


def test_an_edit_in_the_middle_of_a_big_log_takes_the_window(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """One summary changed among 2,000 entries: HEAD is parsed as a few entries, and TC403 names the entry."""
    entries = [{"task_id": f"task-{n:04d}", "agent": "planner", "date": "2025-07-01", "summary": f"Did {n}",
                "output_files": []} for n in range(1, 2001)]
    head_text = _render(entries, 0)
    text = head_text.replace('"Did 1000"', '"Did one thousand"')
    sizes: list[int] = []
    real = parse_task_log

    def counting(source: str, path: Path | str = "TASK-LOG.json", **kw: Any) -> Any:
        sizes.append(len(source))
        return real(source, path, **kw)

    for module in ("history", "head_window", "history_repairs"):
        monkeypatch.setattr(f"techcat_core.{module}.parse_task_log", counting)
    log = parse_task_log(text, ws.root / ".codex" / "TASK-LOG.json")
    found = append_only_rule(ws, log, head_text)
    assert sizes and max(sizes) < 1000  # only the changed entry's text, not the 300 KB log (nor its check)
    assert [d.code for d in found] == ["TC403"]
    assert "task-1000 was changed" in found[0].message
    monkeypatch.undo()
    assert found == _append_only_full(ws, log, head_text)

"""The log's rows, filter, sort and append-only tail reading, on real parsed logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techcat_core.tasklog.parse import parse_task_log
from techcat_core.tasklog.store import append_entry
from techcat_core.usecases.log_query import LogQuery, QueryProblem, parse_query
from techcat_tui.log_rows import (
    LogRow,
    agent_stats,
    matching,
    quick_rows,
    rows_from_entries,
    same_row,
    search_text,
    sort_positions,
)
from techcat_tui.log_tail import read_appended, state_of
from tests.wsbuilder import entry, make_workspace


def _rows(entries: list[object]) -> list[LogRow]:
    return rows_from_entries(parse_task_log(json.dumps(entries)).entries)


def test_filter_words_agent_and_dates() -> None:
    rows = _rows([entry(1, summary="Built the booking page"), entry(2, agent="planner", summary="Planned booking"),
                  entry(3, date="2025-08-02", summary="Fixed the login")])
    assert matching(rows, parse_query("booking")) == [0, 1]
    assert matching(rows, parse_query("BOOKING page")) == [0]
    assert matching(rows, parse_query("@planner")) == [1]
    assert matching(rows, parse_query("agent:planner booking")) == [1]
    assert matching(rows, parse_query("", date_text="2025-08")) == [2]
    assert matching(rows, parse_query("", date_text="2025-07-02..2025-07")) == [1]
    assert matching(rows, parse_query("date:..2025-07-01")) == [0]
    assert matching(rows, parse_query("apps/web/home")) == [0, 1, 2]  # output files are searched too
    assert matching(rows, LogQuery()) == [0, 1, 2]


def test_bad_date_filter_says_what_is_accepted() -> None:
    with pytest.raises(QueryProblem, match="YYYY-MM-DD"):
        parse_query("", date_text="July")


def test_sort_by_each_column_and_reverse() -> None:
    rows = _rows([entry(2, agent="zed", date="2025-07-03"), entry(1, agent="amy", date="2025-07-09"),
                  entry(3, agent="bob", date="2025-07-01")])
    every = list(range(3))
    assert sort_positions(rows, every, "id", False) == [1, 0, 2]
    assert sort_positions(rows, every, "date", True) == [1, 0, 2]
    assert sort_positions(rows, every, "agent", False) == [1, 2, 0]
    assert sort_positions(rows, every, "file", True) == [2, 1, 0]


def test_odd_entries_become_readable_rows() -> None:
    rows = _rows([{"task_id": "task-001", "agent": "a", "date": "2025-07-01", "summery": "typo",
                   "output_files": ["x", 3]}, 42])
    assert rows[0].summary == ""
    assert rows[0].extras == (("summery", '"typo"'),)
    assert rows[0].files == ("x",)
    assert rows[1].summary.startswith("(not an object")


def test_agent_stats_count_and_latest() -> None:
    rows = _rows([entry(1), entry(2, agent="planner", date="2025-07-05"), entry(3, date="2025-07-08")])
    stats = agent_stats(rows)
    assert stats["frontend_specialist"].tasks == 2
    assert stats["frontend_specialist"].last_task == "task-003"
    assert stats["planner"].last_date == "2025-07-05"


def test_appended_entries_are_read_without_a_full_parse(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    log_path = codex / "TASK-LOG.json"
    state = state_of(parse_task_log(log_path.read_text(encoding="utf-8"), log_path))
    assert state is not None
    append_entry(codex, "planner", "Planned more", ["docs/plan.md"])
    append_entry(codex, "planner", "Planned again", [])
    appended = read_appended(log_path, state)
    assert appended is not None
    assert [e.value["summary"] for e in appended.entries] == ["Planned more", "Planned again"]
    assert [e.index for e in appended.entries] == [2, 3]
    full = parse_task_log(log_path.read_text(encoding="utf-8"), log_path)
    assert [(e.start, e.end) for e in full.entries[2:]] == [(e.start, e.end) for e in appended.entries]
    assert appended.state.count == 4
    assert read_appended(log_path, appended.state) is not None  # nothing new: an empty append


def test_an_edited_entry_is_not_taken_for_an_append(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    log_path = codex / "TASK-LOG.json"
    state = state_of(parse_task_log(log_path.read_text(encoding="utf-8"), log_path))
    assert state is not None
    log_path.write_text(log_path.read_text(encoding="utf-8").replace("task number 1", "task number one"),
                        encoding="utf-8")
    assert read_appended(log_path, state) is None


QUICK_CASES: list[object] = [
    [entry(1), entry(2)],
    [entry(1, summary="Café — 🐈 “quoted”", output_files=[])],
    [],
]
EXACT_ONLY: list[object] = [
    [entry(1, reviewer="qa")],  # a field the format does not define
    [entry(1, summary=...)],  # a field missing
    [entry(1, summary=42)],  # a number where a string belongs
    [entry(1, output_files=["a.ts", 3])],
    ["not an object"],
]


@pytest.mark.parametrize("entries", QUICK_CASES)
def test_quick_rows_are_the_rows_of_the_exact_parse(entries: list[object]) -> None:
    text = json.dumps(entries, indent=2, ensure_ascii=False)
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        quick = quick_rows(data)
        assert quick == rows_from_entries(parse_task_log(data.decode("utf-8")).entries)


@pytest.mark.parametrize("entries", EXACT_ONLY)
def test_anything_but_the_five_plain_fields_is_left_to_the_exact_parser(entries: list[object]) -> None:
    assert quick_rows(json.dumps(entries).encode()) is None


@pytest.mark.parametrize("text", ['[{"task_id": "task-001"', "[1,]", "{}", '[{"a": NaN}]', "[] trailing"])
def test_a_damaged_log_is_left_to_the_exact_parser(text: str) -> None:
    assert quick_rows(text.encode()) is None
    assert quick_rows(b'[{"task_id": "\xff"}]') is None  # not UTF-8


def test_a_repeated_key_gives_the_same_row_either_way() -> None:
    text = ('[{"task_id": "task-001", "agent": "a", "date": "2025-07-01", "summary": "first", '
            '"summary": "second", "output_files": []}]')
    exact = rows_from_entries(parse_task_log(text).entries)
    assert exact[0].summary == "second"  # not shown as "(not an object …)"
    assert quick_rows(text.encode()) == exact


@given(st.lists(st.fixed_dictionaries({
    "task_id": st.text(max_size=8), "agent": st.text(max_size=8), "date": st.text(max_size=10),
    "summary": st.text(max_size=30), "output_files": st.lists(st.text(max_size=12), max_size=3)},
    optional={"extra": st.integers()}), max_size=5), st.sampled_from([None, 2]))
@settings(max_examples=150, deadline=None)
def test_quick_rows_never_differ_from_the_exact_rows(entries: list[dict[str, object]], indent: int | None) -> None:
    text = json.dumps(entries, indent=indent, ensure_ascii=False)
    quick = quick_rows(text.encode("utf-8", errors="surrogatepass"))
    if quick is not None:
        assert quick == rows_from_entries(parse_task_log(text).entries)
    plain = not any("extra" in e for e in entries)
    if plain and _utf8(text):  # (text may hold lone surrogates, which no UTF-8 file can)
        assert quick is not None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_appends_after_non_ascii_text_keep_exact_offsets(tmp_path: Path) -> None:
    log = [entry(1, summary="Café — 🐈 “quoted”"), entry(2, summary="naïve")]
    codex = make_workspace(tmp_path, log=json.dumps(log, indent=2, ensure_ascii=False) + "\n")
    log_path = codex / "TASK-LOG.json"
    state = state_of(parse_task_log(log_path.read_text(encoding="utf-8"), log_path))
    assert state is not None and state.end_byte > state.last_end  # bytes and characters differ here
    for summary in ("Añadido ✓", "Zweite Änderung 🐈"):
        append_entry(codex, "planner", summary, [])
        appended = read_appended(log_path, state)
        assert appended is not None
        full = parse_task_log(log_path.read_text(encoding="utf-8"), log_path)
        assert [(e.start, e.end, e.value) for e in full.entries[-1:]] == \
            [(e.start, e.end, e.value) for e in appended.entries]
        state = appended.state
    assert state.count == 4
    log_path.write_text(log_path.read_text(encoding="utf-8").replace("naïve", "naive"), encoding="utf-8")
    assert read_appended(log_path, state) is None  # an edit before the end is not an append


def test_rows_are_the_same_whether_or_not_their_search_text_is_built() -> None:
    first, second = _rows([entry(1)]), _rows([entry(1)])
    search_text(first[0])
    assert same_row(first[0], second[0]) and second[0].haystack == ""
    assert not same_row(first[0], _rows([entry(1, summary="Other")])[0])


def test_the_filter_is_the_core_log_query_the_mcp_search_shares() -> None:
    """One query everywhere (issue 15): the TUI keeps no parser of its own, and gets `file:` with the core's."""
    import techcat_tui.log_rows as log_rows

    assert not hasattr(log_rows, "parse_query") and not hasattr(log_rows, "parse_date_filter")
    rows = _rows([entry(1, output_files=["apps/web/home.tsx"]), entry(2, output_files=["apps/api/main.py"]),
                  entry(3, output_files=["docs/home.md"])])
    assert matching(rows, parse_query("file:apps/web")) == [0]
    assert matching(rows, parse_query("file:*.md")) == [2]
    assert matching(rows, parse_query("file:main.py task")) == [1]

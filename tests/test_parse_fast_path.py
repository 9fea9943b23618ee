"""The whole-log parse's tight loop for plain entries (`parse._clean_prefix`) finds exactly what the general
loop finds: same entries, offsets, values, duplicate keys, syntax problems and so the same diagnostics.

The general loop alone is what a resumed parse runs (`parse_entries` with a `stop`), so it is the reference.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.tasklog.parse import TaskLog, parse_entries, parse_task_log, skip_whitespace
from techcat_core.tasklog.rules import check_task_log

TODAY = dt.date(2026, 12, 4)
PIECES = ["\\u00e9", "\\ud800", ":", '"task_id": "task-9", ', ",", "]", "[", "{", "}", '"', "\\", " ", "\n",
          "null", "1e5", '"x": {"y": 1}, ', "\u00e9", '{"agent": "twice", ', '{"summary": "a: b", ', '{"n": {"m": 1}, ']


def general_parse(text: str, share_strings: bool = False) -> TaskLog:
    """The same text through the general loop only (a `stop` that never stops turns the tight loop off)."""
    log = parse_task_log(text, share_strings=share_strings)
    reference = TaskLog(log.path, text, shared_strings=share_strings)
    reference.top_level, reference.top_level_span = log.top_level, log.top_level_span
    if log.top_level != "array" or text[log.top_level_span[0]:log.top_level_span[1]] != "[":
        return log
    index = skip_whitespace(text, log.top_level_span[1])
    if index < len(text) and text[index] == "]":
        return log
    parse_entries(reference, index, True, index, lambda _entry: False)
    return reference


def facts(log: TaskLog) -> tuple[Any, ...]:
    return (log.top_level, log.array_close,
            [(e.index, e.start, e.end, json.dumps(e.value, sort_keys=True), e.duplicate_keys) for e in log.entries],
            [(p.message, p.start, p.end) for p in log.problems])


def diagnostics(log: TaskLog, root: Path) -> list[tuple[str, str, str]]:
    return [(d.code, d.message, repr(d.range)) for d in check_task_log(log, root, TODAY)]


entry = st.fixed_dictionaries({
    "task_id": st.sampled_from(["task-001", "task-002", "task-002", "task-7", "bad"]),
    "agent": st.sampled_from(["planner", "qa", ""]),
    "date": st.sampled_from(["2026-01-02", "2026-13-01", "2030-01-01"]),
    "summary": st.text(min_size=0, max_size=20),
    "output_files": st.lists(st.sampled_from(["a.py", "../x", "b:c.md", ""]), max_size=3),
})
mutation = st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=3), st.sampled_from(PIECES))


def mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Each edit replaces `removed` characters at `at` with `piece`; a `{`-led piece goes right after an
    entry's opening brace (a repeated key, a nested object where a field starts)."""
    for at, removed, piece in edits:
        braces = [i + 1 for i, char in enumerate(text) if char == "{"]
        if piece.startswith("{") and braces:
            at, piece, removed = braces[at % len(braces)], piece[1:], 0
        at %= len(text) + 1
        text = text[:at] + piece + text[at + removed:]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry, max_size=6), st.booleans(), st.lists(mutation, max_size=4), st.booleans())
def test_the_tight_loop_and_the_general_loop_agree(entries: list[dict[str, Any]], pretty: bool,
                                                    edits: list[tuple[int, int, str]], share: bool) -> None:
    text = mutate(json.dumps(entries, indent=2 if pretty else None, ensure_ascii=False), edits)
    fast, reference = parse_task_log(text, share_strings=share), general_parse(text, share)
    assert facts(fast) == facts(reference)
    root = Path(__file__).parent
    assert diagnostics(fast, root) == diagnostics(reference, root)


def test_a_duplicate_key_an_escape_and_a_trailing_comma_after_plain_entries() -> None:
    plain = '{"task_id": "task-1", "agent": "a", "date": "2026-01-01", "summary": "s: t", "output_files": []}'
    text = ("[\n" + plain + ",\n" + plain.replace('"agent": "a"', '"agent": "a", "agent": "b"') + ",\n"
            + plain.replace("s: t", "\\ud800") + ",\n" + plain + ",\n]")
    fast = parse_task_log(text)
    assert facts(fast) == facts(general_parse(text))
    assert [e.duplicate_keys for e in fast.entries] == [(), ("agent",), (), ()]
    assert [p.message.split(" ")[0] for p in fast.problems] == ["`\\ud800`", "trailing"]


def test_a_shared_parse_shares_the_strings_of_the_tight_loop_s_entries() -> None:
    plain = {"task_id": "task-1", "agent": "planner", "date": "2026-01-01", "summary": "s", "output_files": ["a.py"]}
    log = parse_task_log(json.dumps([plain, {**plain, "task_id": "task-2"}]), share_strings=True)
    first, second = (entry.value for entry in log.entries)
    assert first["agent"] is second["agent"] and first["output_files"][0] is second["output_files"][0]
    assert list(first) == list(plain)

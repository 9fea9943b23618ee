"""Incremental re-parse and re-check of the task log equal a full parse and a full check, edit after edit."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.engine import check_workspace
from techcat_core.positions import LineIndex, Position
from techcat_core.tasklog import block_lines, incremental
from techcat_core.tasklog.incremental import (
    BlockLineIndex,
    LogChecker,
    check_workspace_incremental,
    reparse,
    reparse_spliced,
)
from techcat_core.tasklog.parse import TaskLog, parse_task_log
from techcat_core.workspace import TASK_LOG, load_workspace
from tests.wsbuilder import TODAY, entry, make_workspace

FRAGMENTS = ['"', ",", "{", "}", "[", "]", ":", "\n", "  ", "x", "1", "é", "😀", "\r\n",
             '"task_id": "task-001", ', '"agent": "planner"', '"date": "2025/07/01"', '"task-7"', '"../x"',
             '"apps/web/home.tsx"', '"summery": "typo", ', '"output_files": ["/abs", "apps/web/settings.tsx"]',
             '{"task_id": "task-009", "agent": "ghost", "date": "2025-07-01", "summary": "s", "output_files": []},',
             '{"task_id": "task-001", "agent": "planner", "date": "2031-01-01", "summary": "", "output_files": [1]},']


def render(entries: list[Any], indent: int | None) -> str:
    return json.dumps(entries, indent=indent, ensure_ascii=False) + "\n"


def sample_entries(rng: random.Random, count: int) -> list[Any]:
    result: list[Any] = []
    for n in range(1, count + 1):
        item: Any = entry(n, agent=rng.choice(["planner", "frontend_specialist", "ghost"]))
        roll = rng.random()
        if roll < 0.1:
            item["task_id"] = f"task-{rng.randint(1, count):03d}"  # a duplicate, sometimes
        elif roll < 0.15:
            item["date"] = "2025/07/03"
        elif roll < 0.2:
            item["output_files"] = ["../outside.txt", "apps/web/missing.tsx"]
        elif roll < 0.22:
            item = "not an object"
        elif roll < 0.3 and (earlier := [e for e in result if isinstance(e, dict)]):
            item = {**rng.choice(earlier), "task_id": item["task_id"]}  # TC115: an entry repeated under a new id
        result.append(item)
    return result


def edits(rng: random.Random, text: str, steps: int) -> list[tuple[int, int, str]]:
    out = []
    for _ in range(steps):
        start = rng.randint(0, len(text))
        end = min(len(text), start + rng.choice([0, 0, 0, 1, 2, 5, 40]))
        insert = rng.choice(FRAGMENTS) if rng.random() < 0.8 else ""
        out.append((start, end, insert))
        text = text[:start] + insert + text[end:]
    return out


def same_parse(a: TaskLog, b: TaskLog) -> None:
    assert [(e.index, e.start, e.end, e.value, e.duplicate_keys) for e in a.entries] == \
        [(e.index, e.start, e.end, e.value, e.duplicate_keys) for e in b.entries]
    assert a.problems == b.problems
    assert (a.top_level, a.top_level_span, a.array_close) == (b.top_level, b.top_level_span, b.array_close)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of three lines, so that small texts exercise edits across block boundaries."""
    monkeypatch.setattr(block_lines, "BLOCK_LINES", 3)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab\n\ré😀", max_size=60), st.data())
def test_block_line_index_equals_a_fresh_index(text: str, data: st.DataObject) -> None:
    index = BlockLineIndex(text)
    for _ in range(4):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        insert = data.draw(st.text(alphabet="ab\n\ré😀", max_size=8))
        text = text[:start] + insert + text[end:]
        index = index.edited(start, end, text)
        fresh = LineIndex(text)
        assert BlockLineIndex(text, (index._bases, index._firsts, index._blocks)).starts == fresh.starts
        assert index.line_count == fresh.line_count
        for offset in range(len(text) + 1):
            assert index.position(offset) == fresh.position(offset)
        for line in range(-1, fresh.line_count + 1):
            assert index.line_text(line) == fresh.line_text(line)
            for character in (0, 1, 3, 50):
                assert index.offset(Position(line, character)) == fresh.offset(Position(line, character))


@settings(max_examples=250, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 12), st.sampled_from([None, 0, 2, 4]))
def test_reparse_equals_a_full_parse(seed: int, count: int, indent: int | None) -> None:
    rng = random.Random(seed)
    text = render(sample_entries(rng, count), indent)
    log = parse_task_log(text, "TASK-LOG.json")
    lines = BlockLineIndex(text)
    log.lines = lines
    for start, end, insert in edits(rng, text, 8):
        new_text = text[:start] + insert + text[end:]
        lines = lines.edited(start, end, new_text)
        log = reparse(log, start, end, new_text, lines)
        same_parse(log, parse_task_log(new_text, "TASK-LOG.json"))
        assert log.lines is lines
        text = new_text


@pytest.mark.parametrize("text", ["[1", "[1,", "[{}", '[{} {"a": 1}'])
def test_reparse_keeps_the_end_of_file_problem_at_the_last_entry(text: str) -> None:
    """The end-of-file problem sits on the last character: a one-character last entry starts there too."""
    log = parse_task_log(text, "TASK-LOG.json")
    at = len(text) - 1
    same_parse(reparse(log, at, at, text), parse_task_log(text, "TASK-LOG.json"))


def test_reparse_reuses_the_entries_after_the_edit() -> None:
    text = render([entry(n) for n in range(1, 200)], 2)
    log = parse_task_log(text, "TASK-LOG.json")
    tail = log.entries[150]
    old_start = tail.start
    at = text.index("Did task number 100.") + 4
    new_text = text[:at] + "the " + text[at:]
    new, splice = reparse_spliced(log, at, at, new_text)
    assert splice is not None and (splice.prefix, splice.old_count, splice.new_count) == (99, 1, 1)
    assert new.entries[150] is tail and tail.start == old_start + 4
    same_parse(new, parse_task_log(new_text, "TASK-LOG.json"))


@pytest.fixture(scope="module")
def codex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("incremental"))


def full_check(codex: Path, text: str) -> list[tuple[Any, ...]]:
    ws = load_workspace(codex, overrides={codex / TASK_LOG: text})
    return [key(d) for d in check_workspace(ws, TODAY, git=False).diagnostics]


def key(d: Any) -> tuple[Any, ...]:
    return (d.code, d.severity, d.message, str(d.path), d.range, d.fixes)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.integers(0, 10), st.sampled_from([None, 2]))
def test_incremental_check_equals_check_workspace(codex: Path, seed: int, count: int, indent: int | None) -> None:
    rng = random.Random(seed)
    path = codex / TASK_LOG
    text = render(sample_entries(rng, count), indent)
    ws = load_workspace(codex, overrides={path: text})
    assert ws.task_log is not None
    lines = BlockLineIndex(text)
    ws.task_log.lines = lines
    checker = LogChecker()
    got = check_workspace_incremental(ws, checker, None, TODAY)
    assert [key(d) for d in got] == full_check(codex, text)
    for start, end, insert in edits(rng, text, 6):
        new_text = text[:start] + insert + text[end:]
        lines = lines.edited(start, end, new_text)
        log, splice = reparse_spliced(ws.task_log, start, end, new_text, lines)
        ws = dataclasses.replace(ws, task_log=log, texts={**ws.texts, path: new_text})
        got = check_workspace_incremental(ws, checker, splice, TODAY)
        assert sorted(map(key, got), key=repr) == sorted(full_check(codex, new_text), key=repr)
        text = new_text


def test_forgetting_paths_rechecks_the_entries_that_name_them(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=[entry(1), entry(2, output_files=["apps/web/new.tsx"])])
    ws = load_workspace(codex)
    checker = LogChecker()
    before = [d.code for d in check_workspace_incremental(ws, checker, None, TODAY)]
    assert before == ["TC114"]
    (tmp_path / "apps/web/new.tsx").write_text("// now it exists\n")
    checker.forget_paths(["apps/web/new.tsx"])
    assert ws.task_log is not None
    empty = dataclasses.replace(ws.task_log)
    splice = incremental.Splice(len(ws.task_log.entries), 0, 0, 0, 0)
    after = check_workspace_incremental(dataclasses.replace(ws, task_log=empty), checker, splice, TODAY)
    assert after == []


def test_a_roster_change_rechecks_only_the_agent_names(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=[entry(1), entry(2, agent="planner"), entry(3, agent="ghost")])
    path = codex / TASK_LOG
    ws = load_workspace(codex)
    assert ws.task_log is not None
    checker = LogChecker()
    assert [d.code for d in check_workspace_incremental(ws, checker, None, TODAY)] == ["TC401"]
    agents = (codex / "AGENTS.md").read_text().replace("`planner`", "`ghost`")
    renamed = load_workspace(codex, overrides={codex / "AGENTS.md": agents})
    renamed.task_log = ws.task_log
    identity = incremental.Splice(len(ws.task_log.entries), 0, 0, 0, 0)
    got = check_workspace_incremental(renamed, checker, identity, TODAY)
    expected = check_workspace(load_workspace(codex, overrides={codex / "AGENTS.md": agents,
                                                                path: ws.task_log.text}), TODAY, git=False)
    assert [key(d) for d in got] == [key(d) for d in expected.diagnostics]
    assert [(d.code, d.range.start.line) for d in got if d.code == "TC401"] == [("TC401", 12)]  # the planner entry


def test_the_incremental_check_runs_the_same_rules_as_the_full_one(tmp_path: Path) -> None:
    """The language server ran its own list of rules and left out the confinement ones (TC004, TC206): a prompt
    that is a link out of the repository was reported by `techcat check` and never in the editor."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("not the repository's\n")
    repo = tmp_path / "repo"
    codex = make_workspace(repo, log=[entry(1)])
    (codex / "prompts").mkdir(exist_ok=True)
    (codex / "prompts" / "planner.md").symlink_to(outside / "secret.md")
    ws = load_workspace(codex)
    full = check_workspace(ws, TODAY, git=False).diagnostics
    assert "TC004" in [d.code for d in full]
    got = check_workspace_incremental(load_workspace(codex), LogChecker(), None, TODAY)
    assert [key(d) for d in got] == [key(d) for d in full]


def test_every_rule_of_the_registry_runs_in_both_checks() -> None:
    from techcat_core.rule_registry import RULES

    assert [rule.name for rule in RULES] == ["files", "task log", "roster", "proposed tasks", "placeholders",
                                             "git history"]
    assert [rule.name for rule in RULES if rule.git] == ["git history"]


@pytest.mark.parametrize("summary", ["Fixed: the date helper", "plain"])
def test_a_repeated_key_is_found_whatever_the_colons_in_the_entry(tmp_path: Path, summary: str) -> None:
    """The parser decodes an entry without the duplicate-key hook when its ':' count proves no key repeats."""
    text = ('[\n  {"task_id": "task-001", "agent": "planner", "date": "2025-07-01", "summary": ' + json.dumps(summary)
            + ', "summary" : "again", "output_files": []}\n]\n')
    log = parse_task_log(text)
    assert log.entries[0].duplicate_keys == ("summary",)
    clean = parse_task_log(text.replace(', "summary" : "again"', ""))
    assert clean.entries[0].duplicate_keys == ()
    assert type(clean.entries[0].value) is dict


def test_a_lone_surrogate_far_past_the_escape_search_window_is_found() -> None:
    """The parser looks for the next `\\u` a window at a time (so an edit's reparse does not scan 40 MB):
    an escape hundreds of kilobytes on, and one straddling a window's edge, are still found."""
    entries = [{"task_id": f"task-{n:04d}", "agent": "planner", "date": "2025-07-01", "summary": f"step {n}",
                "output_files": []} for n in range(1, 3001)]
    text = render(entries, 2)
    far = text.index('"step 2500"')
    text = text[:far] + '"step \\ud800 2500"' + text[far + len('"step 2500"'):]
    assert far > 3 * (1 << 16)
    full = parse_task_log(text)
    assert [p.message.split("`")[1] for p in full.problems] == ["\\ud800"]
    head = '[{"task_id": "task-001", "agent": "planner", "date": "2025-07-01", "summary": "'
    for shift in range(-3, 4):  # the `\u` just before, across and just after the first window's edge
        padded = head + "x" * ((1 << 16) - len(head) + shift)
        log = parse_task_log(padded + '\\ud800", "output_files": []}]')
        assert len(log.problems) == 1, shift
    site = text.index('"step 10"') + 6
    edited = text[:site] + "0" + text[site + 1:]
    again = reparse(parse_task_log(text), site, site + 1, edited)
    assert [(p.message, p.start) for p in again.problems] == [(p.message, p.start)
                                                               for p in parse_task_log(edited).problems]


def test_a_workspace_loaded_with_shared_strings_checks_the_same(tmp_path: Path) -> None:
    """`load_workspace(share_strings=True)` (for a long-running front end) shares equal strings between
    entries and changes nothing the rules see."""
    codex = make_workspace(tmp_path, log=[entry(1), entry(2, agent="ghost"), entry(2, date="2025/07/01")])
    shared = load_workspace(codex, share_strings=True)
    plain = load_workspace(codex)
    assert shared.task_log is not None and plain.task_log is not None
    assert shared.task_log.shared_strings and not plain.task_log.shared_strings
    first, second = (e.value for e in shared.task_log.entries[:2])
    assert next(iter(first)) is next(iter(second))  # one "task_id" key object for every entry
    assert [e.value for e in shared.task_log.entries] == [e.value for e in plain.task_log.entries]
    assert [key(d) for d in check_workspace(shared, TODAY, git=False).diagnostics] == \
        [key(d) for d in check_workspace(plain, TODAY, git=False).diagnostics]

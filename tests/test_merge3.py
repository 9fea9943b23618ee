"""The task-log merge driver's three-way rules, on texts and through the real `techcat merge-driver` command."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

from techcat_core.tasklog.merge import merge_logs
from tests.gitutil import techcat
from tests.wsbuilder import entry


def _text(entries: list[dict[str, Any]]) -> str:
    return json.dumps(entries, indent=2) + "\n"


def _merge(base: list[dict[str, Any]], ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[Any]:
    result = merge_logs(_text(base), _text(ours), _text(theirs))
    assert not result.conflicts
    merged = json.loads(result.text)
    assert isinstance(merged, list)
    return merged


def _summaries(entries: list[Any]) -> list[str]:
    return [e["summary"] for e in entries]


BASE = [entry(1, summary="one"), entry(2, summary="two"), entry(3, summary="three")]


def test_unchanged_sides_give_ours_byte_for_byte() -> None:
    ours = _text(BASE).replace('"two"', '"two"')
    assert merge_logs(_text(BASE), ours, _text(BASE)).text == ours
    ours_added = _text([*BASE, entry(4, summary="mine")])
    assert merge_logs(_text(BASE), ours_added, _text(BASE)).text == ours_added


def test_a_deletion_on_one_side_stays_deleted() -> None:
    theirs = [BASE[0], BASE[2]]
    assert _summaries(_merge(BASE, [*BASE, entry(4, summary="mine")], theirs)) == ["one", "three", "mine"]
    assert _summaries(_merge(BASE, theirs, [*BASE, entry(4, summary="theirs")])) == ["one", "three", "theirs"]


def test_a_change_on_one_side_is_taken_under_ours_id() -> None:
    changed = {**BASE[1], "summary": "two, corrected"}
    merged = _merge(BASE, BASE, [BASE[0], changed, BASE[2]])
    assert merged[1] == changed
    # ours renumbered an entry (as an earlier merge does): their change to it keeps our id
    ours = [BASE[0], BASE[2], {**BASE[1], "task_id": "task-007"}]
    merged = _merge(BASE, ours, [BASE[0], changed, BASE[2]])
    assert merged == [BASE[0], BASE[2], {**changed, "task_id": "task-007"}]


def test_the_same_change_or_addition_on_both_sides_is_kept_once() -> None:
    changed = {**BASE[0], "summary": "one, corrected"}
    added = entry(4, summary="both added this")
    merged = _merge(BASE, [changed, *BASE[1:], added], [changed, *BASE[1:], {**added, "task_id": "task-009"}])
    assert merged == [changed, *BASE[1:], added]


def test_a_renumbered_entry_is_recognised_on_the_next_merge() -> None:
    mine, theirs_entry = entry(4, summary="mine"), entry(4, summary="theirs")
    first = _merge(BASE, [*BASE, mine], [*BASE, theirs_entry])
    assert [e["task_id"] for e in first] == ["task-001", "task-002", "task-003", "task-004", "task-005"]
    assert first[4] == {**theirs_entry, "task_id": "task-005"}
    # the other branch merges back: its base has theirs as task-004, ours has it as task-005
    again = merge_logs(_text([*BASE, theirs_entry]), _text(first), _text([*BASE, theirs_entry, entry(5, summary="x")]))
    merged = json.loads(again.text)
    assert _summaries(merged) == ["one", "two", "three", "mine", "theirs", "x"]
    assert again.renumbered == [("task-005", "task-006")]


def test_ids_that_clash_get_the_next_free_id_and_huge_ids_do_not_crash() -> None:
    huge = "task-" + "9" * 5000
    base = [*BASE, {**entry(4, summary="huge"), "task_id": huge}]
    merged = _merge(base, [*base, entry(5, summary="ours")], [*base, entry(5, summary="theirs"),
                                                              {**entry(6, summary="h2"), "task_id": huge}])
    assert [e["task_id"] for e in merged] == ["task-001", "task-002", "task-003", huge, "task-005", "task-006",
                                              "task-007"]
    assert _summaries(merged)[4:] == ["ours", "theirs", "h2"]


def _conflict_sides(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a conflicted text into its template and each conflict's two sides."""
    pattern = re.compile(r"<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n", re.S)
    sides = [(m.group(1), m.group(2)) for m in pattern.finditer(text)]
    return pattern.sub("\0", text), sides


def _resolutions(text: str) -> list[str]:
    template, sides = _conflict_sides(text)
    out = []
    for picks in itertools.product(*[(a, b, "", a + b) for a, b in sides]):
        pieces = template.split("\0")
        out.append("".join(itertools.chain.from_iterable(zip(pieces, [*picks, ""], strict=True))))
    return out


def test_different_changes_to_one_entry_are_a_conflict_between_markers() -> None:
    ours = [BASE[0], {**BASE[1], "summary": "two, ours"}, BASE[2]]
    theirs = [BASE[0], {**BASE[1], "summary": "two, theirs"}, BASE[2]]
    result = merge_logs(_text(BASE), _text(ours), _text(theirs))
    assert [c.describe() for c in result.conflicts] == ["task-002 was changed differently on both branches"]
    assert result.text.count("<<<<<<< ours: task-002 on this branch\n") == 1
    assert ">>>>>>> theirs: task-002 on the branch being merged\n" in result.text
    for resolved in _resolutions(result.text):  # keep either side, both or neither: valid JSON each time
        json.loads(resolved)
    template, sides = _conflict_sides(result.text)
    assert [json.loads(template.replace("\0", sides[0][k]))[1]["summary"] for k in (0, 1)] == ["two, ours",
                                                                                               "two, theirs"]


def test_change_against_deletion_is_a_conflict_wherever_the_entry_stands() -> None:
    for index in (0, 1, 2):
        changed = {**BASE[index], "summary": "changed"}
        ours = [changed if i == index else e for i, e in enumerate(BASE)]
        theirs = [e for i, e in enumerate(BASE) if i != index]
        for a, b in ((ours, theirs), (theirs, ours)):
            result = merge_logs(_text(BASE), _text(a), _text(b))
            assert len(result.conflicts) == 1 and "deleted" in result.conflicts[0].describe()
            for resolved in _resolutions(result.text):
                json.loads(resolved)
    # every entry in conflict and nothing else
    ours = [{**e, "summary": "ours"} for e in BASE[:2]]
    result = merge_logs(_text(BASE[:2]), _text(ours), _text([]))
    assert len(result.conflicts) == 2
    json.loads(_conflict_sides(result.text)[0].replace("\0", ""))


def test_the_driver_command_exits_1_on_a_conflict_and_0_on_a_merge(tmp_path: Path) -> None:
    paths = [tmp_path / name for name in ("base", "ours", "theirs")]
    for path, log in zip(paths, (BASE, [BASE[0], {**BASE[1], "summary": "x"}], [BASE[0], BASE[2]]), strict=True):
        path.write_text(_text(log))
    result = techcat("merge-driver", *map(str, paths), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "CONFLICT: task-002 was changed on this branch and deleted on the other" in result.stderr
    assert "<<<<<<< ours: task-002" in paths[1].read_text()
    paths[1].write_text(_text([*BASE, entry(4, summary="mine")]))
    result = techcat("merge-driver", *map(str, paths), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _summaries(json.loads(paths[1].read_text())) == ["one", "three", "mine"]
    assert "1 entry removed as the other branch deleted them" in result.stderr
    paths[2].write_text("[{ broken")
    result = techcat("merge-driver", *map(str, paths), cwd=tmp_path)
    assert result.returncode == 1 and "theirs is not a valid task log" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_entries_interleave_by_date_and_ours_keeps_its_order_and_bytes() -> None:
    a, b = entry(2, summary="a", date="2025-07-12"), entry(3, summary="b", date="2025-07-10")
    c = entry(2, summary="c", date="2025-07-11")
    ours = '[{"task_id": "task-001", "agent": "x", "date": "2025-07-01", "summary": "one", "output_files": []},\n' \
           f"   {json.dumps(a)} ,  {json.dumps(b)}]"
    base = _text([json.loads(ours)[0]])
    result = merge_logs(base, ours, _text([json.loads(ours)[0], c]))
    assert _summaries(json.loads(result.text)) == ["one", "c", "a", "b"]  # a before b as ours has them
    assert f"{json.dumps(a)} ,  {json.dumps(b)}]" in result.text  # ours' own bytes between them
    assert result.text.startswith(ours[:ours.index("}") + 1])
    assert result.renumbered == [("task-002", "task-004")]

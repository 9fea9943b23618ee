"""Messages and imports that help (issue 14 §4): TC100 and TC101 say where and what to do; `techcat import-log`
imports block by block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitutil import techcat
from tests.wsbuilder import check, make_workspace, only

OLD_LOG = """### Task Completed

**Agent:** planner
**Task Id:** task-001
**Date:** June 3, 2025
**Summary:** Planned the first milestone.
**Output Files:** none

---

### Task Completed

**Agent:** planner
**Task Id:** task-002
**Date:** sometime in June
**Summary:** Planned more.
**Output Files:** [`.codex/PROPOSED-TASKS.md`]

---

### Task Completed

**Agent:** frontend_specialist
**Date:** 2025/06/31
**Summary:** Built the home page.

---

### Task Completed

**Agent:** frontend_specialist
**Date:** 2025-06-05
**Summary:** Built the settings page.
**Output Files:** [`apps/web/settings.tsx`]
"""


def test_tc100_gives_the_whole_decoder_message_the_place_and_what_to_do(tmp_path: Path) -> None:
    log = '[\n  {"task_id": "task-001", "agent": "planner", "date": "2025-07-01", "summary": "Two\tcolumns",' \
          ' "output_files": []}\n]\n'
    diagnostic = only(check(make_workspace(tmp_path, log=log)), "TC100")
    assert diagnostic.message == ("JSON syntax error at line 2, column 84: a tab inside a string; JSON strings cannot "
                                  "contain raw control characters: write it as \\t, or end the string with '\"' "
                                  "before it")


def test_tc101_on_a_wrapper_object_says_where_the_array_is(tmp_path: Path) -> None:
    log = '{\n  "version": 2,\n  "tasks": [\n    {"task_id": "task-001"}\n  ]\n}\n'
    diagnostic = only(check(make_workspace(tmp_path, log=log)), "TC101")
    assert diagnostic.message == ("the task log must be a JSON array of entries, not an object; the 1 entry is "
                                  'already in an array, under "tasks" at line 3: make that array the whole file '
                                  "(and drop 'version')")


def test_import_log_imports_the_good_blocks_and_reports_each_bad_one(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    (tmp_path / "old.md").write_text(OLD_LOG, encoding="utf-8")
    result = techcat("import-log", "old.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        'old.md:11: block skipped: date "sometime in June" is not a date TechCat can read; write it as YYYY-MM-DD '
        "(for example 2025-06-03)",
        'old.md:21: block skipped: date "2025/06/31" names no real day (perhaps 2025-06-30); write the intended date '
        "as YYYY-MM-DD"]
    assert result.stdout.startswith("imported 2 entries into ") and "; 2 blocks skipped (see above);" in result.stdout
    entries = json.loads((codex / "TASK-LOG.json").read_text())
    assert entries == [
        {"task_id": "task-001", "agent": "planner", "date": "2025-06-03", "summary": "Planned the first milestone.",
         "output_files": []},  # "none" is no file
        {"task_id": "task-002", "agent": "frontend_specialist", "date": "2025-06-05",
         "summary": "Built the settings page.", "output_files": ["apps/web/settings.tsx"]}]


def test_import_log_strict_refuses_all(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    (tmp_path / "old.md").write_text(OLD_LOG, encoding="utf-8")
    result = techcat("import-log", "--strict", "old.md", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == ("techcat: --strict: 2 blocks cannot be imported, so none was; fix "
                                              "them or import without --strict")
    assert (codex / "TASK-LOG.json").read_text() == "[]\n"


def test_import_log_keeps_a_plain_task_number_and_reads_a_foreign_file_in_one_line(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    (tmp_path / "old.md").write_text("### Task Completed\n\n**Agent:** planner\n**Task Id:** 7\n"
                                     "**Date:** 2025-07-01\n**Summary:** Planned.\n")
    result = techcat("import-log", "old.md", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert [e["task_id"] for e in json.loads((codex / "TASK-LOG.json").read_text())] == ["task-007"]
    (tmp_path / "notes.md").write_text("# Sprint notes\n\n" + "".join(f"- did thing {i}\n" for i in range(500)))
    foreign = techcat("import-log", "notes.md", cwd=tmp_path)
    assert foreign.returncode == 2 and len(foreign.stderr.splitlines()) == 1
    assert foreign.stderr.startswith("techcat: notes.md is not a task log TechCat knows:")


def test_import_log_ends_a_field_at_a_blank_line_a_heading_or_another_field() -> None:
    """Review D3: prose, headings and unknown `**X:**` fields are not glued into the field above them."""
    from techcat_core.tasklog.legacy import parse_legacy_log

    text = ("### Task Completed\n**Agent:** planner\n**Date:** 2025-06-05\n**Summary:** Real block\nthat wraps.\n"
            "**Status:** Done\n**Notes:** see PR #4\n**Output Files:** none\n\n## Notes\nSome prose here.\n"
            "More prose.\n\n### Task Completed\n**Agent:** planner\n**Date:** 2025-06-06\n**Summary:** Two.\n"
            "**Output Files:**\n- `docs/a.md`\n- docs/b.md\nSome closing prose.\n")
    parsed = parse_legacy_log(text)
    assert [(e.summary, e.output_files) for e in parsed.entries] == [
        ("Real block that wraps.", ()), ("Two.", ("docs/a.md", "docs/b.md"))]
    assert [(p.line, p.message) for p in parsed.problems] == [
        (6, "4 lines of the block at line 1 not understood, skipped"),
        (21, "1 line of the block at line 14 not understood, skipped")]


@pytest.mark.parametrize(("value", "expected"), [
    ("2025111", (None, False)),  # Nov 1 or Jan 11: strptime's %Y%m%d would take either
    ("2025123", (None, False)),
    ("202511", (None, False)),
    ("20251103", ("2025-11-03", True)),
    ("2025/07/14", ("2025-07-14", True)),
    ("2025/06/31", ("2025-06-30", False)),
    ("June 3, 2025", ("2025-06-03", True)),
    ("06/03/2025", (None, False)),
])
def test_a_date_is_repaired_only_when_certain(value: str, expected: tuple[str | None, bool]) -> None:
    """Review D4: six or seven digits are no date; eight are YYYYMMDD."""
    from techcat_core.tasklog.dates import suggest_date

    assert suggest_date(value) == expected


def test_import_log_says_an_ambiguous_date_reads_two_ways() -> None:
    """Review D11: 06/03/2025 is not offered as 2025-06-03 alone."""
    from techcat_core.tasklog.legacy import parse_legacy_log

    parsed = parse_legacy_log("### Task Completed\n**Agent:** planner\n**Date:** 06/03/2025\n**Summary:** S.\n")
    assert [p.message for p in parsed.problems] == [
        'block skipped: date "06/03/2025" reads two ways (2025-06-03 or 2025-03-06); write the intended date as '
        "YYYY-MM-DD"]


def test_tc101_points_at_the_array_of_entries_not_the_first_array(tmp_path: Path) -> None:
    """Review D5: `tags` comes first, but the entries are under `tasks`."""
    log = '{\n  "project": "x",\n  "tags": ["a", "tasks"],\n  "tasks": [\n    {"task_id": "task-001"}\n  ]\n}\n'
    diagnostic = only(check(make_workspace(tmp_path, log=log)), "TC101")
    assert diagnostic.message.endswith('the 1 entry is already in an array, under "tasks" at line 4: make that array '
                                       "the whole file (and drop 'project', 'tags')")

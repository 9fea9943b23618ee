"""Every diagnostic code: a broken workspace, the exact range, and (where there is one) a fix that cleans it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from techcat_core.codes import CODES
from techcat_core.positions import Range
from tests.wsbuilder import AGENTS_MD, PROPOSED_MD, apply_first_fix, check, codes, entry, make_workspace, only


@dataclass
class Case:
    code: str
    build: dict[str, Any]
    file: str  # relative to the workspace root
    needle: str  # the exact text the diagnostic must cover
    occurrence: int = 0  # which occurrence of the needle (-1: the last)
    fixed_clean: bool = False  # applying the first fix yields a clean check
    offset: tuple[int, int] = (0, 0)  # trim the needle's span: (from start, from end)
    extra_codes: set[str] = field(default_factory=set)


def _log(*entries: Any) -> list[Any]:
    return list(entries)


CASES = [
    Case("TC001", {"extra": {"PRD.md": b"# PRD\n\ncaf\xe9 menu\n"}}, ".codex/PRD.md", "caf\ufffd", offset=(3, 0)),
    Case("TC002", {"prd": None}, ".codex/PRD.md", ""),
    Case("TC003", {"extra": {"techcat.toml": "[check]\nignore = [\n"}}, ".codex/techcat.toml", "[", occurrence=-1),
    Case("TC003", {"extra": {"techcat.toml": "[provider]\ntimeout = 5\nmax_retries = \"two\"\n"}},
         ".codex/techcat.toml", '"two"', offset=(0, 4)),  # the value's first character
    Case("TC004", {"extra": {"techcat.toml": "[limits]\nmax_file_bytes = 1024\n"},
                   "prd": "# PRD\n\n" + "Vision. " * 200},
         ".codex/PRD.md", ""),  # over the cap; a FIFO, a device and a link out: tests/test_confine_check.py
    Case("TC206", {"agents": AGENTS_MD.replace("- **Output:** apps/web/**", "- **Output:** ../web/**")},
         ".codex/AGENTS.md", "../web/**"),
    Case("TC207", {"agents": AGENTS_MD.replace("- **Output:** apps/web/**", "- **Executor:** cobol")},
         ".codex/AGENTS.md", "cobol"),  # the CLI and the language server: tests/test_executor_check.py, tests/lsp/
    Case("TC100", {"log": '[\n  {"task_id": "task-001", "agent": "planner", "date": "2025-07-01", "summary": "x",'
                           ' "output_files": []},\n]\n'}, ".codex/TASK-LOG.json", ",", occurrence=-1,
         fixed_clean=True),
    Case("TC100", {"log": '[\n  {"task_id": "task-001", "agent": "planner", "date": "2025-07-01", "summary": "x",'
                           ' "output_files": []}\n  {"task_id": "task-002", "agent": "planner", "date": '
                           '"2025-07-01", "summary": "y", "output_files": []}\n]\n'},
         ".codex/TASK-LOG.json", '{"task_id": "task-002"', fixed_clean=True, offset=(0, 21)),
    Case("TC101", {"log": '{"task_id": "task-001"}\n'}, ".codex/TASK-LOG.json", '{"task_id": "task-001"}'),
    Case("TC100", {"log": '[\n  {"task_id": "task-001", "agent": "planner",\n'}, ".codex/TASK-LOG.json", "{"),
    Case("TC102", {"log": _log(entry(1), "just a note")}, ".codex/TASK-LOG.json", '"just a note"'),
    Case("TC103", {"log": _log(entry(1), entry(2, agent=...))}, ".codex/TASK-LOG.json", "{", occurrence=1),
    Case("TC104", {"log": _log(entry(1), entry(2, output_files="apps/web/home.tsx"))}, ".codex/TASK-LOG.json",
         '"apps/web/home.tsx"', occurrence=1),
    Case("TC105", {"log": _log(entry(1), entry(2, summary="  "))}, ".codex/TASK-LOG.json", '"  "'),
    Case("TC106", {"log": _log(entry(1), {**entry(2, summary=...), "summery": "Typo."})}, ".codex/TASK-LOG.json",
         '"summery"', fixed_clean=True),
    Case("TC107", {"log": '[{"task_id": "task-001", "agent": "planner", "agent": "planner", "date": "2025-07-01",'
                          ' "summary": "x", "output_files": []}]\n'}, ".codex/TASK-LOG.json", '"agent"', occurrence=1),
    Case("TC108", {"log": _log(entry(1), entry(2, date="2025/07/14"))}, ".codex/TASK-LOG.json", '"2025/07/14"',
         fixed_clean=True),
    Case("TC108", {"log": _log(entry(1), entry(2, date="2025-06-31"))}, ".codex/TASK-LOG.json", '"2025-06-31"',
         fixed_clean=True),
    Case("TC109", {"log": _log(entry(1), entry(2, date="2031-01-01"))}, ".codex/TASK-LOG.json", '"2031-01-01"'),
    Case("TC110", {"log": _log(entry(1), entry(2, task_id="TASK_2"))}, ".codex/TASK-LOG.json", '"TASK_2"',
         fixed_clean=True),
    Case("TC111", {"log": _log(entry(1), entry(2), entry(2, summary="Again."))}, ".codex/TASK-LOG.json",
         '"task-002"', occurrence=-1, fixed_clean=True),
    Case("TC112", {"log": _log(entry(1), entry(4))}, ".codex/TASK-LOG.json", '"task-004"'),
    Case("TC113", {"log": _log(entry(1), entry(2, output_files=["../secrets.txt"]))}, ".codex/TASK-LOG.json",
         '"../secrets.txt"'),
    Case("TC113", {"log": _log(entry(1), entry(2, output_files=["/etc/passwd"]))}, ".codex/TASK-LOG.json",
         '"/etc/passwd"'),
    Case("TC114", {"log": _log(entry(1), entry(2, output_files=["apps/web/gone.tsx"]))}, ".codex/TASK-LOG.json",
         '"apps/web/gone.tsx"'),
    Case("TC115", {"log": _log(entry(1), entry(2, date="2025-07-01", summary="Did task number 1."))},
         ".codex/TASK-LOG.json", '"task-002"'),
    Case("TC200", {"agents": "# Instructions\n\n## Before you push\n\nRun the tests.\n", "proposed": "",
                   "log": "[]\n"}, ".codex/AGENTS.md", ""),
    Case("TC201", {"agents": AGENTS_MD + "\n## Agent: `planner`\n\n- **Role:** Again\n"}, ".codex/AGENTS.md",
         "planner", occurrence=-1),
    Case("TC202", {"agents": AGENTS_MD.replace("Propose the next tasks.", "Propose. Once complete, invoke "
                                               "`task_loger`.", 1)}, ".codex/AGENTS.md", "task_loger",
         fixed_clean=True),
    Case("TC203", {"agents": AGENTS_MD.replace("Append completed tasks to the log.", "Append. Then hand off to "
                                               "`planner`.").replace("## Agent: `task_logger`",
                                                                    "## Agent: `task_logger`\n\nOnce complete, "
                                                                    "invoke `planner`.")},
         ".codex/AGENTS.md", "planner", occurrence=-2),
    Case("TC204", {"extra": {"prompts/planner.md": "# planner\n", "prompts/task_logger.md": "# tl\n"}},
         ".codex/AGENTS.md", "frontend_specialist"),
    Case("TC205", {"extra": {"agents/reviewer.toml": 'name = "reviewer"\ndescription = ]\n'}},
         ".codex/agents/reviewer.toml", "]"),
    Case("TC300", {"proposed": PROPOSED_MD + "- [?] @planner Unsure\n"}, ".codex/PROPOSED-TASKS.md", "[?]"),
    Case("TC301", {"proposed": PROPOSED_MD + "- [ ] @plannr Plan more\n"}, ".codex/PROPOSED-TASKS.md", "plannr",
         fixed_clean=True),
    Case("TC302", {"proposed": PROPOSED_MD + "- [x] @planner Planned (task-099)\n"}, ".codex/PROPOSED-TASKS.md",
         "task-099"),
    Case("TC303", {"proposed": PROPOSED_MD + "- [x] @planner Planned\n"}, ".codex/PROPOSED-TASKS.md", "x",
         occurrence=-1),
    Case("TC401", {"log": _log(entry(1), entry(2, agent="frontend_specialst"))}, ".codex/TASK-LOG.json",
         '"frontend_specialst"', fixed_clean=True),
    Case("TC402", {"prd": "# PRD\n\nFor {{TARGET_USERS}}.\n"}, ".codex/PRD.md", "{{TARGET_USERS}}"),
]


def _expected_range(text: str, case: Case) -> Range:
    if case.needle == "":
        return Range.of(0, 0)
    starts = []
    index = text.find(case.needle)
    while index != -1:
        starts.append(index)
        index = text.find(case.needle, index + 1)
    assert starts, f"{case.needle!r} not in the file"
    start = starts[case.occurrence] + case.offset[0]
    end = starts[case.occurrence] + len(case.needle) - case.offset[1]
    before = text[:start]
    line = before.count("\n")
    col = start - (before.rfind("\n") + 1)
    end_before = text[:end]
    return Range.of(line, col, end_before.count("\n"), end - (end_before.rfind("\n") + 1))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{i}" for i, c in enumerate(CASES)])
def test_code(tmp_path: Path, case: Case) -> None:
    codex = make_workspace(tmp_path, **case.build)
    result = check(codex)
    diagnostic = only(result, case.code)
    assert diagnostic.path == tmp_path / case.file
    assert diagnostic.severity == CODES[case.code].severity
    raw = (tmp_path / case.file).read_bytes().decode("utf-8", errors="replace") \
        if (tmp_path / case.file).exists() else ""
    assert diagnostic.range == _expected_range(raw, case)
    if case.fixed_clean:
        apply_first_fix(result, diagnostic)
        after = check(codex)
        assert codes(after) == [], [d.message for d in after.diagnostics]


def test_every_code_has_a_case() -> None:
    """The git-history codes need real repositories: tests/test_git_store.py has their cases (TC406:
    test_fix_safety.py). TC005 and TC006 are about which files a `.codex/` holds: tests/test_handoff.py and
    test_realworld.py have theirs."""
    assert {c.code for c in CASES} == set(CODES) - {"TC403", "TC404", "TC405", "TC406", "TC005", "TC006"}


def test_clean_workspace_is_clean(tmp_path: Path) -> None:
    assert codes(check(make_workspace(tmp_path))) == []


def test_toml_error_is_located(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, extra={"agents/reviewer.toml": 'name = "reviewer"\ndescription = \n'})
    diagnostic = only(check(codex), "TC205")
    assert diagnostic.range.start.line == 1


def test_ignore_setting_silences_a_code(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=_log(entry(1), entry(4)),
                           extra={"techcat.toml": '[check]\nignore = ["TC112"]\n'})
    assert codes(check(codex)) == []


def test_syntax_error_leaves_other_diagnostics_precise(tmp_path: Path) -> None:
    entries = [entry(i) for i in range(1, 6)]
    entries[3]["date"] = "2025/07/14"
    text = json.dumps(entries, indent=2)
    text = text.replace('"task-002",', '"task-002"', 1)  # break entry 2
    codex = make_workspace(tmp_path, log=text)
    result = check(codex)
    assert "TC100" in codes(result)
    date = only(result, "TC108")
    assert date.range.start.line == text[:text.index('"2025/07/14"')].count("\n")


def test_safe_fixes_via_fix_workspace(tmp_path: Path) -> None:
    from techcat_core.engine import fix_workspace
    from tests.wsbuilder import TODAY

    codex = make_workspace(tmp_path, log=_log(entry(1), entry(2), entry(2, date="2025/07/14"),
                                              {**entry(3, summary=...), "summery": "x"}))
    before = (codex / "TASK-LOG.json").read_text()
    result, applied = fix_workspace(codex, today=TODAY)
    after = (codex / "TASK-LOG.json").read_text()
    assert applied >= 3
    assert [d.code for d in result.diagnostics if d.code != "TC404"] == []
    data = json.loads(after)
    assert [e["task_id"] for e in data] == ["task-001", "task-002", "task-004", "task-003"]
    assert data[2]["date"] == "2025-07-14" and data[3]["summary"] == "x"
    assert before.count("\n") == after.count("\n")  # formatting kept


@pytest.mark.parametrize("text, expected", [
    ("hello\n", [("TC100", "expected '[' to start the task log array")]),
    ('{"task_id": "task-001"}\n', [("TC101", "not an object; wrap the entries in [ ]")]),
    ('"a string"\n', [("TC101", "not a string;")]),
    ('[\n  {"task_id": "task-001", "agent": "planner",\n',
     [("TC100", "unexpected end of file: this entry is cut off, and the array is never closed with ']'")]),
])
def test_a_broken_log_gets_one_clear_diagnostic(tmp_path: Path, text: str, expected: list[tuple[str, str]]) -> None:
    result = check(make_workspace(tmp_path, log=text, proposed=None))
    got = [(d.code, d.message) for d in result.diagnostics if d.path.name == "TASK-LOG.json"]
    assert [code for code, _ in got] == [code for code, _ in expected], got
    for (_, message), (_, part) in zip(got, expected, strict=True):
        assert part in message


def test_a_folder_where_a_file_belongs_is_named_as_such(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=None)
    (codex / "TASK-LOG.json").unlink()
    (codex / "TASK-LOG.json").mkdir()
    diagnostic = only(check(codex), "TC002")
    assert diagnostic.message.startswith("TASK-LOG.json is a folder, not a file")


def test_a_number_for_output_files_where_no_logged_file_exists_is_tc104_not_a_crash(tmp_path: Path) -> None:
    """Found by tests/test_parse_fast_path.py's property: the "no logged file exists" pass iterated the field."""
    from techcat_core.tasklog.parse import parse_task_log
    from techcat_core.tasklog.rules import check_task_log

    text = ('[{"task_id": "task-001", "agent": "qa", "date": "2026-01-02", "summary": "s", "output_files": ["g.py"]},'
            '\n{"task_id": "task-002", "agent": "qa", "date": "2026-01-02", "summary": "s", "output_files": 1e5}]\n')
    log = parse_task_log(text, tmp_path / ".codex" / "TASK-LOG.json")
    found = check_task_log(log, tmp_path, dt.date(2026, 12, 4))
    assert [d.code for d in found if d.code == "TC104"] == ["TC104"]

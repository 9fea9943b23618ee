"""TC115: an entry repeated with the same content, in `techcat check` and in the language server's incremental check."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from techcat_core.diagnostics import Diagnostic
from techcat_core.engine import apply_fixes, check_workspace
from techcat_core.tasklog.incremental import LogChecker, check_workspace_incremental, reparse_spliced
from techcat_core.workspace import load_workspace
from tests.gitutil import techcat
from tests.wsbuilder import TODAY, entry, make_workspace


def _log(*entries: object) -> str:
    return json.dumps(list(entries), indent=2) + "\n"


def test_a_repeated_entry_is_reported_with_an_unsafe_fix(tmp_path: Path) -> None:
    first, second = entry(1, summary="Built it."), entry(2, summary="Tested it.")
    codex = make_workspace(tmp_path, log=_log(first, second, {**first, "task_id": "task-003"}))
    result = check_workspace(load_workspace(codex), TODAY, git=False)
    found = [d for d in result.diagnostics if d.code == "TC115"]
    assert [(d.severity.label, d.message) for d in found] == [
        ("warning", "task-003 repeats task-001 (line 2) in everything but its id; if it is the same task logged "
                    "twice, remove the later copy")]
    assert [d.code for d in result.diagnostics] == ["TC115"]
    text = (codex / "TASK-LOG.json").read_text()
    assert found[0].range.start.line == text.splitlines().index('    "task_id": "task-003",')
    fix = found[0].fixes[0]
    assert not fix.safe and fix.title == "Remove the repeated entry task-003"
    fixed = apply_fixes([fix], result.workspace.texts)[codex / "TASK-LOG.json"]
    assert fixed == _log(first, second)
    cli = techcat("check", "--format", "json", cwd=tmp_path)
    assert cli.returncode == 0  # a warning: reported, not failing, and `--fix` leaves it for a person
    assert [d["code"] for d in json.loads(cli.stdout)["diagnostics"]] == ["TC115"]
    assert techcat("check", "--fix", cwd=tmp_path).returncode == 0
    assert (codex / "TASK-LOG.json").read_text() == text


def test_entries_that_differ_anywhere_but_the_id_are_not_repeats(tmp_path: Path) -> None:
    base = entry(1, summary="Built it.")
    codex = make_workspace(tmp_path, log=_log(base, {**base, "task_id": "task-002", "date": "2025-07-02"},
                                              {**base, "task_id": "task-003", "output_files": []},
                                              {**base, "task_id": "task-004", "extra": 1}))
    assert "TC115" not in [d.code for d in check_workspace(load_workspace(codex), TODAY, git=False).diagnostics]


def _codes_and_messages(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int]]:
    return sorted((d.code, d.message, d.range.start.line) for d in diagnostics)


def test_the_incremental_check_reports_repeats_as_the_full_check_does(tmp_path: Path) -> None:
    entries = [entry(n, summary=f"Task {n}.", date="2025-07-01") for n in range(1, 6)]
    codex = make_workspace(tmp_path, log=_log(*entries))
    ws = load_workspace(codex)
    checker = LogChecker()
    assert check_workspace_incremental(ws, checker, None, TODAY) == []
    log = ws.task_log
    assert log is not None
    # an edit turns task-004's summary into task-002's: now a repeat; then back again
    at = log.text.index('"Task 4."')
    for old, new in (('"Task 4."', '"Task 2."'), ('"Task 2."', '"Task 4."')):
        text = log.text[:at] + new + log.text[at + len(old):]
        log, splice = reparse_spliced(log, at, at + len(old), text)
        ws = dataclasses.replace(ws, task_log=log, texts={**ws.texts, codex / "TASK-LOG.json": text})
        got = check_workspace_incremental(ws, checker, splice, TODAY)
        expected = check_workspace(load_workspace(codex, overrides={codex / "TASK-LOG.json": text}), TODAY,
                                   git=False).diagnostics
        assert _codes_and_messages(got) == _codes_and_messages(expected)
        assert [d.code for d in got] == (["TC115"] if new == '"Task 2."' else [])


def test_repeats_among_odd_entries(tmp_path: Path) -> None:
    odd = {**entry(2), "summary": ["not", "a", "string"]}
    codex = make_workspace(tmp_path, log=_log(entry(1), "not an object", odd, "not an object",
                                              {**odd, "task_id": "task-004"}, {**entry(1), "task_id": "task-005"}))
    found = [d.message.split(" in everything")[0] for d in
             check_workspace(load_workspace(codex), TODAY, git=False).diagnostics if d.code == "TC115"]
    assert found == ["task-004 repeats task-002 (line 12)", "task-005 repeats task-001 (line 2)"]

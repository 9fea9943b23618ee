"""A fix never makes things worse (issue 14 §3): valid renames only, certain dates only, roll-back of a fix that
adds an error, repairs are not history rewrites, and `--fix` with nothing to fix writes nothing."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.engine import CheckResult, apply_fixes, check_path, fix_workspace
from tests.gitutil import commit_all, init_repo, techcat
from tests.wsbuilder import TODAY, check, entry, make_workspace, only

SAMPLE = Path(__file__).resolve().parents[1] / "techcat_core" / "sample"


def sample_repo(tmp_path: Path) -> Path:
    """The bundled sample with its ten mistakes committed, as in a real repository; returns its root."""
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("MISTAKES.md", "__pycache__", ".techcat"))
    init_repo(root)
    commit_all(root, "the sample, mistakes and all")
    return root


def error_codes(result_stdout: str) -> Counter[str]:
    return Counter(d["code"] for d in json.loads(result_stdout)["diagnostics"] if d["severity"] == "error")


def test_a_rename_is_safe_only_when_the_value_fits_the_new_field(tmp_path: Path) -> None:
    log = [entry(1), {k: v for k, v in entry(2).items() if k != "task_id"} | {"task": "Built the settings page"},
           {k: v for k, v in entry(3).items() if k != "summary"} | {"summery": "Fixed the header."}]
    result = check(make_workspace(tmp_path, log=log))
    by_key = {d.message.split("`")[1]: d for d in result.diagnostics if d.code == "TC106"}
    assert by_key["task"].fixes == ()
    assert by_key["task"].message.startswith("unknown field `task`: its value is not a task id of the form "
                                             "task-<digits>, so it is not a misspelt `task_id`")
    assert [(f.title, f.safe) for f in by_key["summery"].fixes] == [("Rename `summery` to `summary`", True)]
    assert "entry 2 has no `task_id` field" in [d.message for d in result.diagnostics if d.code == "TC103"]


def test_a_date_fix_is_safe_only_when_the_date_is_certain(tmp_path: Path) -> None:
    log = [entry(1, date="2025/07/14"), entry(2, date="2025/06/31"), entry(3, date="July 14, 2025")]
    result = check(make_workspace(tmp_path, log=log))
    fixes = [(d.fixes[0].title, d.fixes[0].safe) for d in result.diagnostics if d.code == "TC108"]
    assert fixes == [("Change the date to 2025-07-14", True), ("Change the date to 2025-06-30", False),
                     ("Change the date to 2025-07-14", True)]
    impossible = [d for d in result.diagnostics if d.code == "TC108"][1]
    assert impossible.message == ('date "2025/06/31" is not a real calendar date, so its meaning is not certain (the '
                                  "last day of that month is 2025-06-30); write the intended date as YYYY-MM-DD")


def test_fix_rolls_back_a_fix_that_adds_an_error_and_says_so(tmp_path: Path) -> None:
    bad = {k: v for k, v in entry(2).items() if k != "output_files"} | {"output_file": ["../outside.txt"]}
    codex = make_workspace(tmp_path, log=[entry(1), bad])
    before = (codex / "TASK-LOG.json").read_bytes()
    result = techcat("check", "--fix", "--format", "json", "--no-git", cwd=tmp_path)
    assert (codex / "TASK-LOG.json").read_bytes() == before  # the rename would bring in TC113: never written
    diagnostic = next(d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "TC106")
    assert diagnostic["message"] == ("unknown field `output_file`; did you mean `output_files`? (`techcat check "
                                     "--fix` rolled back “Rename `output_file` to `output_files`”: it added an "
                                     "error (TC113))")
    assert [fix["safe"] for fix in diagnostic["fixes"]] == [False]
    assert result.returncode == 0  # still a warning only: the file was left as it was
    text = techcat("check", "--fix", "--no-git", cwd=tmp_path)
    assert "Applied 0 fixes." in text.stderr and "rolled back" in text.stdout
    assert not (codex / ".techcat").exists()  # review D11: every fix rolled back, so no lock (file) was taken


def test_fix_finds_the_one_harmful_fix_among_many_by_bisection(tmp_path: Path) -> None:
    """Review D6: 2,000 entries, 200 date fixes and one rename that adds an error; one at a time took ~10 s."""
    log = [entry(n) | ({"date": "2025/07/14"} if n % 10 == 0 else {}) for n in range(1, 2001)]
    log[1500] = {k: v for k, v in log[1500].items() if k != "output_files"} | {"output_file": ["../outside.txt"]}
    codex = make_workspace(tmp_path, log=log)
    started = time.perf_counter()
    result = techcat("check", "--fix", "--format", "json", "--no-git", cwd=tmp_path)
    elapsed = time.perf_counter() - started
    written = json.loads((codex / "TASK-LOG.json").read_text())
    assert sum(1 for e in written if e.get("date") == "2025-07-14") == 200  # every date fix landed
    assert "output_file" in written[1500]  # and the harmful rename did not
    assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == ["TC106"]
    assert elapsed < 4, f"check --fix took {elapsed:.1f} s"


def test_fix_with_nothing_to_fix_creates_no_file(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    result = techcat("check", "--fix", "--no-git", cwd=tmp_path)
    assert result.returncode == 0 and "Applied 0 fixes." in result.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before  # no .codex/.techcat/


def test_fix_on_the_committed_sample_is_a_repair_not_a_rewrite(tmp_path: Path) -> None:
    root = sample_repo(tmp_path)
    before = techcat("check", "--format", "json", cwd=root)
    fixed = techcat("check", "--fix", cwd=root)
    assert "Applied 3 fixes." in fixed.stderr, fixed.stderr
    after = techcat("check", "--format", "json", cwd=root)
    diagnostics = json.loads(after.stdout)["diagnostics"]
    assert [d for d in diagnostics if d["code"] == "TC403"] == []
    assert not set(error_codes(after.stdout)) - set(error_codes(before.stdout))
    notes = {d["message"].split(" ")[0]: d["message"] for d in diagnostics if d["code"] == "TC406"}
    assert sorted(notes) == ["task-027", "task-029"]  # the date and the key; the duplicate id is the third fix
    assert notes["task-027"] == ("task-027 was repaired since the last commit (Change the date to 2025-07-14): "
                                 "brought to its valid form by a fix TechCat offers, so it is not a history "
                                 "rewrite; commit the repair")
    commit_all(root, "TechCat's repairs")
    assert [d["code"] for d in json.loads(techcat("check", "--format", "json", cwd=root).stdout)["diagnostics"]
            if d["code"] in ("TC403", "TC406")] == []


def test_an_editor_quick_fix_is_a_repair_and_a_rewrite_is_still_tc403(tmp_path: Path) -> None:
    root = sample_repo(tmp_path)
    codex = root / ".codex"
    result = check_path(codex, today=TODAY)
    typo = next(d for d in result.diagnostics if d.code == "TC401")  # the unsafe "Change the agent" quick fix
    for path, text in apply_fixes([typo.fixes[0]], result.workspace.texts).items():
        path.write_text(text, encoding="utf-8")
    repaired = check_path(codex, today=TODAY)
    assert [d.code for d in repaired.diagnostics if d.code in ("TC403", "TC406")] == ["TC406"]
    assert "task-026 was repaired since the last commit (Change the agent to `frontend_specialist`)" in only(
        repaired, "TC406").message
    log = codex / "TASK-LOG.json"
    text = log.read_text()
    assert text.count("Accessibility pass on booking") == 1
    log.write_text(text.replace("Accessibility pass on booking", "Accessibility pass on checkout"))
    rewritten = check_path(codex, today=TODAY)
    assert "TC403" in [d.code for d in rewritten.diagnostics]


def test_every_safe_fix_of_the_sample_is_idempotent_in_process(tmp_path: Path) -> None:
    root = sample_repo(tmp_path)
    codex = root / ".codex"
    result, applied = fix_workspace(codex, today=TODAY)
    assert applied == 3 and result.rolled_back == []
    text = (codex / "TASK-LOG.json").read_bytes()
    again, applied_again = fix_workspace(codex, today=TODAY)
    assert applied_again == 0 and (codex / "TASK-LOG.json").read_bytes() == text
    assert [d.code for d in again.diagnostics] == [d.code for d in result.diagnostics]


# -- the property: over the sample and generated faults, every safe fix is idempotent and never adds an error --

_DATES = ["2025/07/05", "05.07.2025", "July 5, 2025", "2025-7-5", "2025-06-31", "07/08/2025", "20250705"]
_KEYS = {"summary": ["summery", "sumary"], "output_files": ["output_file", "outputfiles"], "agent": ["agnet"],
         "task_id": ["taskid", "task"], "date": ["dat"]}


@st.composite
def faults(draw: st.DrawFn) -> list[tuple[str, int, str]]:
    kinds = st.sampled_from(["date", "key", "duplicate-id", "malformed-id", "agent", "path", "trailing-comma"])
    return draw(st.lists(st.tuples(kinds, st.integers(0, 35), st.text("abcdefgh", min_size=1, max_size=3)),
                         min_size=1, max_size=3))


def _plant(log_path: Path, planted: list[tuple[str, int, str]], pick: int) -> None:
    entries = json.loads(log_path.read_text(encoding="utf-8"))
    trailing = False
    for kind, index, salt in planted:
        item = entries[index % len(entries)]
        if kind == "date":
            item["date"] = _DATES[(index + pick) % len(_DATES)]
        elif kind == "key":
            key = sorted(_KEYS)[(index + pick) % len(_KEYS)]
            if key in item:
                item[_KEYS[key][pick % len(_KEYS[key])]] = item.pop(key)
        elif kind == "duplicate-id":
            item["task_id"] = entries[(index + 1) % len(entries)].get("task_id", "task-001")
        elif kind == "malformed-id":
            item["task_id"] = f"TASK_{index + 1}"
        elif kind == "agent":
            item["agent"] = str(item.get("agent", "planner"))[:-1] + salt
        elif kind == "path":
            item["output_files"] = [f"../{salt}.txt", *item.get("output_files", [])]
        else:
            trailing = True
    text = json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    if trailing:
        text = text.rstrip().removesuffix("]").rstrip() + ",\n]\n"
    log_path.write_text(text, encoding="utf-8")


def _errors(result: CheckResult) -> Counter[tuple[str, str]]:
    return Counter((str(d.path), d.code) for d in result.diagnostics if d.severity.label == "error")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted=faults(), pick=st.integers(0, 6), committed=st.booleans())
def test_safe_fixes_are_idempotent_and_never_add_an_error(planted: list[tuple[str, int, str]], pick: int,
                                                           committed: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample"
        shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("MISTAKES.md", "__pycache__", ".techcat"))
        codex = root / ".codex"
        _plant(codex / "TASK-LOG.json", planted, pick)
        if committed:
            init_repo(root)
            commit_all(root, "faults committed, as in a real repository")
        before = check_path(codex, today=TODAY, git=committed)
        result, _ = fix_workspace(codex, today=TODAY, git=committed)
        added = {key: count for key, count in _errors(result).items() if count > _errors(before)[key]}
        assert added == {}, f"--fix added errors {added} for faults {planted}"
        fixed = {p: p.read_bytes() for p in codex.rglob("*") if p.is_file() and ".techcat" not in p.parts}
        again, applied = fix_workspace(codex, today=TODAY, git=committed)
        assert applied == 0, f"a second --fix still applied {applied} fixes for faults {planted}"
        assert {p: p.read_bytes() for p in fixed} == fixed
        assert [d.code for d in again.diagnostics] == [d.code for d in result.diagnostics]


def test_a_duplicate_renumbered_by_hand_to_another_id_is_tc403(tmp_path: Path) -> None:
    """Review D10: the sample's second task-030 renumbered to task-099, not the task-036 `check --fix` gives."""
    root = sample_repo(tmp_path)
    log = root / ".codex" / "TASK-LOG.json"
    text = log.read_text(encoding="utf-8")
    first = text.index('"task_id": "task-030"')
    second = text.index('"task_id": "task-030"', first + 1)
    log.write_text(text[:second] + '"task_id": "task-099"' + text[second + len('"task_id": "task-030"'):],
                   encoding="utf-8")
    diagnostics = json.loads(techcat("check", "--format", "json", cwd=root).stdout)["diagnostics"]
    assert [d["message"] for d in diagnostics if d["code"] in ("TC403", "TC406")] == [
        "task-030 (a duplicate id in the last commit) was renumbered to task-099 by hand since the last commit "
        "(TechCat offers “Renumber to task-036”); the task log is append-only: restore it and let `techcat check "
        "--fix` renumber it"]
    log.write_text(text[:second] + '"task_id": "task-036"' + text[second + len('"task_id": "task-030"'):],
                   encoding="utf-8")
    diagnostics = json.loads(techcat("check", "--format", "json", cwd=root).stdout)["diagnostics"]
    assert [d["code"] for d in diagnostics if d["code"] in ("TC403", "TC406")] == []  # the offered renumbering

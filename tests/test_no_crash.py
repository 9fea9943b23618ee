"""Input that used to crash the command line: each now gets a located diagnostic or a one-sentence error, an
exit code with one meaning (0 clean, 1 findings, 2 usage or I/O, 3 a bug), and `--format json` always JSON."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from techcat_cli import main as cli_main
from techcat_core.tasklog.ids import next_task_id, repair_task_id, task_number
from tests.gitutil import GIT_ENV, init_repo
from tests.wsbuilder import entry, make_workspace

HUGE_ID = "task-" + "9" * 5000


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """The real CLI in a subprocess; bytes in and out, so invalid UTF-8 in argv or output is seen as it is."""
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", *args], cwd=cwd, capture_output=True,
                          env=GIT_ENV, timeout=120, check=False)


def check_json(root: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--format", "json", "--no-git", cwd=root)
    assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")
    payload = json.loads(result.stdout.decode("utf-8"))  # strict: the report is valid UTF-8 JSON
    assert isinstance(payload, dict)
    return result.returncode, payload


def diagnostics(payload: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [d for d in payload["diagnostics"] if d["code"] == code]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    return repo


def test_arrays_nested_ten_thousand_deep_are_a_located_syntax_error(root: Path) -> None:
    nested = "[" * 10_000 + "]" * 10_000
    make_workspace(root, log=f'[\n  {json.dumps(entry(1))},\n  {nested}\n]\n')
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC100")
    assert "nested too deeply" in problem["message"]
    assert (problem["line"], problem["column"]) == (3, 3)
    text = run_cli("check", "--no-git", cwd=root)
    assert text.returncode == 1 and b"nested too deeply" in text.stdout and not text.stderr


def test_a_top_level_nested_too_deep_is_one_error(root: Path) -> None:
    make_workspace(root, log="{" + '"a":{' * 5000 + "}" * 5001)
    code, payload = check_json(root)
    assert code == 1
    assert [d["code"] for d in payload["diagnostics"] if d["path"].endswith("TASK-LOG.json")] == ["TC100"]


def test_a_task_id_of_five_thousand_digits_is_malformed_not_a_crash(root: Path) -> None:
    codex = make_workspace(root, log=[entry(1), entry(2, task_id=HUGE_ID)])
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC110")
    lines = (codex / "TASK-LOG.json").read_text(encoding="utf-8").splitlines()
    assert problem["line"] == next(n for n, line in enumerate(lines, 1) if HUGE_ID in line)
    assert task_number(HUGE_ID) is None and repair_task_id(HUGE_ID, 3) is None
    assert next_task_id(["task-001", HUGE_ID]) == "task-002"


def test_the_merge_driver_survives_a_five_thousand_digit_id(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / name for name in ("base.json", "ours.json", "theirs.json"))
    base.write_text("[]\n", encoding="utf-8")
    ours.write_text(json.dumps([entry(1, task_id=HUGE_ID)]) + "\n", encoding="utf-8")
    theirs.write_text(json.dumps([entry(1, summary="Theirs.")]) + "\n", encoding="utf-8")
    result = run_cli("merge-driver", str(base), str(ours), str(theirs), cwd=tmp_path)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    assert result.returncode in (0, 1)
    merged = json.loads(ours.read_text(encoding="utf-8"))
    assert HUGE_ID in {e["task_id"] for e in merged}  # nothing the user wrote is lost


@pytest.mark.parametrize("where", ["value", "key", "path"])
def test_a_lone_surrogate_is_a_located_diagnostic_and_the_report_stays_utf8(root: Path, where: str) -> None:
    first = json.dumps(entry(1))
    second = {"value": '{"task_id": "task-002", "agent": "planner", "date": "2025-07-02", "summary": "Half \\ud800 of '
                       'it", "output_files": []}',
              "key": '{"task_id": "task-002", "agent": "planner", "date": "2025-07-02", "summary": "s", '
                     '"\\udfff": 1, "output_files": []}',
              "path": '{"task_id": "task-002", "agent": "planner", "date": "2025-07-02", "summary": "s", '
                      '"output_files": ["apps/\\ud83d\\ude00/ok.tsx", "apps/\\udc00x"]}'}[where]
    make_workspace(root, log=f"[\n  {first},\n  {second}\n]\n")
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC100")
    column = second.index({"value": "\\ud800", "key": "\\udfff", "path": "\\udc00"}[where])
    assert (problem["line"], problem["column"]) == (3, 3 + column)
    assert "lone surrogate" in problem["message"]
    for fmt in ("text", "github"):
        result = run_cli("check", "--no-git", "--format", fmt, cwd=root)
        assert result.returncode == 1 and not result.stderr
        result.stdout.decode("utf-8")  # strict


def test_a_surrogate_pair_and_an_escaped_backslash_are_not_reported(root: Path) -> None:
    make_workspace(root, log=[entry(1, summary="Smile \U0001f600 and a literal \\ud800")])
    code, payload = check_json(root)
    assert code == 0, payload
    assert not diagnostics(payload, "TC100")


def test_a_deeply_nested_config_is_a_located_config_error(root: Path) -> None:
    make_workspace(root, extra={"techcat.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n"})
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC003")
    assert "too deep" in problem["message"]


def test_invalid_utf8_in_an_argument_is_a_usage_error_and_nothing_is_logged(root: Path) -> None:
    codex = make_workspace(root)
    before = (codex / "TASK-LOG.json").read_bytes()
    result = run_cli("log", "-a", "planner", "-s", "caf\udce9", cwd=root)  # the bytes b"caf\xe9" (Latin-1)
    assert result.returncode == 2
    assert result.stderr.count(b"\n") == 1 and b"Traceback" not in result.stderr
    assert b"not valid UTF-8 (byte 0xe9 at character 4)" in result.stderr
    assert (codex / "TASK-LOG.json").read_bytes() == before


def test_a_nul_in_an_argument_is_a_usage_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_workspace(root)
    assert cli_main.main(["-w", str(root) + "\0x", "check", "--format", "json"]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["error"]["kind"] == "usage"
    assert "NUL" in out.err and out.err.count("\n") == 1


def test_usage_errors_print_a_json_error_object(tmp_path: Path) -> None:
    missing = run_cli("check", "--format", "json", cwd=tmp_path)  # no .codex/ here or above
    assert missing.returncode == 2
    error = json.loads(missing.stdout)["error"]
    assert error["kind"] == "usage" and "techcat init" in error["message"] and error["exitCode"] == 2
    bad_flag = run_cli("check", "--format", "json", "--no-such-flag", cwd=tmp_path)
    assert bad_flag.returncode == 2
    assert "--no-such-flag" in json.loads(bad_flag.stdout)["error"]["message"]


def test_a_bug_is_exit_three_with_one_line_and_a_json_error(capsys: pytest.CaptureFixture[str]) -> None:
    def register(sub: Any, add: Any) -> None:
        boom = add("boom", lambda args: 1 // 0, "a command with a bug")
        boom.add_argument("--format", default="text")

    cli_main._extra_commands.append(register)
    try:
        assert cli_main.main(["boom", "--format", "json"]) == 3
    finally:
        cli_main._extra_commands.remove(register)
    out = capsys.readouterr()
    assert out.err.startswith("techcat: internal error, please report it") and out.err.count("\n") == 1
    assert "ZeroDivisionError" in out.err
    assert json.loads(out.out)["error"]["kind"] == "internal"


def test_the_parser_still_exits_zero_for_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli_main.main(["check", "--help"])
    assert stopped.value.code == 0
    assert "--format" in capsys.readouterr().out
    assert isinstance(cli_main.build_parser(), argparse.ArgumentParser)


@pytest.mark.parametrize(("text", "what"), [("", "empty"), ("\n  \n", "only whitespace"), ("\ufeff", "empty")])
def test_an_empty_log_is_a_syntax_error_like_json_loads_says(root: Path, text: str, what: str) -> None:
    """Found by the fuzz suite: json.loads refuses it, the store refuses to append to it, and check passed it."""
    make_workspace(root, log=text)
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC100")
    assert f"the task log is {what}, not a JSON array; an empty log is `[]`" in problem["message"]


def test_text_after_a_top_level_value_that_is_not_an_array_is_a_syntax_error(root: Path) -> None:
    make_workspace(root, log='"output_files": ["a"]\n')
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC100")
    assert "unexpected text after the top-level value" in problem["message"]
    assert (problem["line"], problem["column"]) == (1, 15)
    assert diagnostics(payload, "TC101")


def test_a_config_number_of_five_thousand_digits_is_a_config_error(root: Path) -> None:
    make_workspace(root, extra={"techcat.toml": "[check]\nfuture_date_tolerance_days = " + "9" * 5000 + "\n"})
    code, payload = check_json(root)
    assert code == 1
    (problem,) = diagnostics(payload, "TC003")
    assert "thousands of digits" in problem["message"] and problem["line"] == 2

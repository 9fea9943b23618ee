"""TC207 unknown-executor through the real `techcat check`: a bad `- **Executor:**` line is reported where it is
written, with the sentence the run would refuse it with; a valid executor whose program is missing is not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.wsbuilder import AGENTS_MD, make_workspace

ACCEPTED = "`builtin` (the default), `codex`, `claude`, `aider` or `command: CMD`"
GOAL = "- **Goal:** Build pages.\n"


def _workspace(root: Path, executor_line: str) -> Path:
    assert GOAL in AGENTS_MD
    make_workspace(root, agents=AGENTS_MD.replace(GOAL, GOAL + executor_line))
    return root


def _check(root: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path} if path is not None else None
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", "check", "--no-git", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)


def _json(root: Path, path: str | None = None) -> list[dict[str, Any]]:
    done = _check(root, "--format", "json", path=path)
    assert done.stderr == ""
    found: list[dict[str, Any]] = json.loads(done.stdout)["diagnostics"]
    return found


def test_an_unknown_executor_is_an_error_at_its_value(tmp_path: Path) -> None:
    root = _workspace(tmp_path, "- **Executor:** cobol\n")
    done = _check(root)
    assert done.returncode == 1, done.stdout + done.stderr
    line = AGENTS_MD.replace(GOAL, GOAL + "- **Executor:** cobol\n").splitlines().index("- **Executor:** cobol") + 1
    assert done.stdout.splitlines()[0] == (f".codex/AGENTS.md:{line}:17: TC207 [error] unknown executor 'cobol': "
                                           f"use {ACCEPTED}")
    [found] = _json(root)
    assert (found["code"], found["name"], found["severity"]) == ("TC207", "unknown-executor", "error")
    assert found["range"] == {"start": {"line": line - 1, "character": 16}, "end": {"line": line - 1, "character": 21}}
    assert found["fixes"] == []


@pytest.mark.parametrize(("value", "message"), [
    ("command:", "the executor `command:` needs a command line after the colon, for example "
                 "`command: ./scripts/agent.sh`"),
    ("`command:`", "the executor `command:` needs a command line after the colon, for example "
                     "`command: ./scripts/agent.sh`"),
    ("x" * 80, f"unknown executor '{'x' * 57}...': use {ACCEPTED}"),
    ("codex exec", f"unknown executor 'codex exec': use {ACCEPTED}"),
    ("command: ./agent.sh\x00--evil", "the executor's command must be one line without NUL characters"),
])
def test_each_refused_value_says_what_the_run_would(tmp_path: Path, value: str, message: str) -> None:
    root = _workspace(tmp_path, f"- **Executor:** {value}\n")
    [found] = _json(root)
    assert (found["code"], found["message"]) == ("TC207", message)
    assert found["range"]["start"]["character"] == 16
    assert found["range"]["end"]["character"] == 16 + len(value)


@pytest.mark.parametrize("value", ["builtin", "codex", "Claude", "`aider`", "command: ./scripts/agent.sh --fast"])
def test_a_valid_executor_is_clean_even_where_its_program_is_not_installed(tmp_path: Path, value: str) -> None:
    root = _workspace(tmp_path, f"- **Executor:** {value}\n")
    empty = tmp_path / "no-programs"
    empty.mkdir()
    done = _check(root, path=str(empty))  # no codex, claude nor aider on PATH
    assert (done.returncode, done.stdout, done.stderr) == (0, "All checks passed.\n", ""), done.stdout


def test_only_the_first_executor_line_counts_and_each_agent_is_reported(tmp_path: Path) -> None:
    agents = AGENTS_MD.replace(GOAL, GOAL + "- **Executor:** cobol\n- **Executor:** fortran\n").replace(
        "- **Goal:** Propose the next tasks.\n", "- **Goal:** Propose the next tasks.\n- **Executor:** `lisp`\n")
    make_workspace(tmp_path, agents=agents)
    found = _json(tmp_path)
    assert [(d["code"], d["line"], d["message"].split(":")[0]) for d in found] == [
        ("TC207", agents.splitlines().index("- **Executor:** `lisp`") + 1, "unknown executor 'lisp'"),
        ("TC207", agents.splitlines().index("- **Executor:** cobol") + 1, "unknown executor 'cobol'"),
    ]

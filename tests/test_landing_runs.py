"""Landing end to end with the real CLI: the user's uncommitted edit to an output survives a run that changed the
same file elsewhere (three-way), a conflicting one refuses the run naming the file, and `--explain` lists the tools
a run would offer."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fake_openai import FakeOpenAI
from tests.gitutil import GIT_ENV, commit_all, git, init_repo, techcat
from tests.wsbuilder import make_workspace

PAGE = "".join(f"line {n}\n" for n in range(1, 9))


def _agents(command: str) -> str:
    return f"""# Agents

## Agent: `builder`

- **Role:** Builds pages
- **Output:** apps/web/**
- **Executor:** command: {command}

## Agent: `coder`

- **Role:** Writes code
- **Output:** apps/web/**

## Agent: `task_logger`

- **Role:** Task Tracker
"""


def _repo(tmp_path: Path, command: str) -> Path:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=_agents(command))
    (tmp_path / "apps/web").mkdir(parents=True, exist_ok=True)
    (tmp_path / "apps/web/page.tsx").write_text(PAGE)
    commit_all(tmp_path, "start")
    return codex


def test_an_uncommitted_edit_to_an_output_survives_the_run(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "sed -i 's/^line 7$/line 7 by the run/' apps/web/page.tsx; echo Changed line 7")
    (tmp_path / "apps/web/page.tsx").write_text(PAGE.replace("line 2\n", "line 2 by you, not committed\n"))
    result = techcat("run", "builder", "Change line 7", "--no-chain", cwd=tmp_path, env=GIT_ENV)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "apps/web/page.tsx").read_text() == PAGE.replace(
        "line 2\n", "line 2 by you, not committed\n").replace("line 7\n", "line 7 by the run\n")
    assert "✓ wrote apps/web/page.tsx" in result.stderr and "Changed line 7" in result.stdout
    assert json.loads((codex / "TASK-LOG.json").read_text())[-1]["output_files"] == ["apps/web/page.tsx"]
    assert git(tmp_path, "status", "--porcelain").split() == ["M", ".codex/TASK-LOG.json", "M", "apps/web/page.tsx"]


def test_a_conflicting_uncommitted_edit_refuses_the_run_naming_the_file(tmp_path: Path) -> None:
    codex = _repo(tmp_path, "sed -i 's/^line 3$/line 3 by the run/' apps/web/page.tsx; echo new > apps/web/new.tsx")
    mine = PAGE.replace("line 3\n", "line 3 by you\n")
    (tmp_path / "apps/web/page.tsx").write_text(mine)
    log = (codex / "TASK-LOG.json").read_bytes()
    result = techcat("run", "builder", "Change line 3", "--no-chain", cwd=tmp_path, env=GIT_ENV)
    assert result.returncode == 1
    assert ("✗ the run's changes conflict with what changed in apps/web/page.tsx since it started (your edits or "
            "another run's); nothing was applied") in result.stderr
    assert (tmp_path / "apps/web/page.tsx").read_text() == mine and not (tmp_path / "apps/web/new.tsx").exists()
    assert (codex / "TASK-LOG.json").read_bytes() == log


def test_explain_lists_the_tool_definitions(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    _repo(tmp_path, "true")
    env = {**GIT_ENV, "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test"}
    result = techcat("run", "--explain", "coder", "Build", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    tools = result.stdout.split("\ntools: ", 1)[1]
    assert tools.startswith("5 offered to the model")
    for name in ("read_file(path", "write_file(path", "list_files(", "search(", "edit_file("):
        assert f"\n  {name}" in tools
    assert "run_command(" not in tools  # only where techcat.toml names commands
    (tmp_path / ".codex/techcat.toml").write_text('[tools.commands]\ntest = "python -m pytest -q"\n')
    named = techcat("run", "--explain", "coder", "Build", cwd=tmp_path, env=env)
    assert "\ntools: 6 offered to the model" in named.stdout
    assert "\n  run_command(name): " in named.stdout
    (tmp_path / ".codex/techcat.toml").write_text("[tools]\nenabled = false\n")
    off = techcat("run", "--explain", "coder", "Build", cwd=tmp_path, env=env)
    assert "tools: off (`enabled = false` in [tools] of .codex/techcat.toml); the model replies with whole files" \
        in off.stdout
    assert fake_openai.requests == []


def test_an_executors_escape_sequences_are_shown_not_obeyed(tmp_path: Path) -> None:
    _repo(tmp_path, r"printf 'erasing\033[2K\033[1Ahere\n'; echo printed > apps/web/printed.tsx")
    result = techcat("run", "builder", "Print", "--no-chain", cwd=tmp_path, env=GIT_ENV)
    assert result.returncode == 0, result.stderr
    assert "erasing\\x1b[2K\\x1b[1Ahere\n" in result.stdout and "\x1b" not in result.stdout

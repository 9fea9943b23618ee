"""Executors through the real `techcat run` (a subprocess, as a user runs it), on real git workspaces.

Issue 13's acceptance: a `command:` executor's changes inside the outputs land in the working tree and the log;
one that also touches a file outside them is refused whole; no worktree is left; Ctrl+C ends the executor's
whole process group; and Codex CLI completes a run end to end against the local Responses API server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_responses import Turn, exec_command, message, serve_fake_responses
from tests.gitutil import GIT_ENV, commit_all, git, init_repo
from tests.test_executors import wait_gone
from tests.test_executors_codex import CODEX
from tests.wsbuilder import make_workspace

KEY = "sk-test-e2eKEYe2eKEYe2eKEY0123456"
PATIENCE = 180.0


def agents(executor: str) -> str:
    return f"""# Agents

## Agent: `builder`

- **Role:** Builds pages
- **Output:** apps/web/**
- **Executor:** {executor}

## Agent: `task_logger`

- **Role:** Task Tracker
"""


def workspace(root: Path, executor: str) -> Path:
    init_repo(root)
    codex = make_workspace(root, agents=agents(executor))
    (root / "apps/web").mkdir(parents=True, exist_ok=True)
    (root / "apps/web/page.tsx").write_text("export const Page = 1\n")
    (root / "README.md").write_text("# Shop\n")
    commit_all(root, "start")
    return codex


def techcat_run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", "run", "builder", *args, "--no-chain"],
                          cwd=root, env={**GIT_ENV, **(env or {})}, capture_output=True, text=True,
                          timeout=PATIENCE, check=False)


def worktrees(root: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in git(root, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def log_entries(codex: Path) -> list[dict[str, object]]:
    data = json.loads((codex / "TASK-LOG.json").read_text())
    entries = data["entries"] if isinstance(data, dict) else data
    assert isinstance(entries, list)
    return entries


def test_a_command_executors_changes_land_in_the_tree_and_the_log(tmp_path: Path) -> None:
    codex = workspace(tmp_path, 'command: printf "%s\\n" "$TECHCAT_TASK" > apps/web/new.tsx; '
                                'sed -i s/1/2/ apps/web/page.tsx; echo "Built the page for $TECHCAT_AGENT"')
    before = len(log_entries(codex))
    done = techcat_run(tmp_path, "Build the page")
    assert done.returncode == 0, done.stderr
    assert "Built the page for builder" in done.stdout.splitlines()
    assert (tmp_path / "apps/web/new.tsx").read_text() == "Build the page\n"
    assert (tmp_path / "apps/web/page.tsx").read_text() == "export const Page = 2\n"
    entries = log_entries(codex)
    assert len(entries) == before + 1
    assert entries[-1]["agent"] == "builder"
    assert sorted(entries[-1]["output_files"]) == ["apps/web/new.tsx", "apps/web/page.tsx"]  # type: ignore[arg-type]
    assert worktrees(tmp_path) == [str(tmp_path)]


def test_the_users_uncommitted_edit_survives_a_command_executors_run(tmp_path: Path) -> None:
    workspace(tmp_path, "command: echo made > apps/web/new.tsx")
    (tmp_path / "apps/web/page.tsx").write_text("export const Page = 1\n// mine, not committed\n")
    done = techcat_run(tmp_path, "Add a file")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "apps/web/page.tsx").read_text() == "export const Page = 1\n// mine, not committed\n"
    assert (tmp_path / "apps/web/new.tsx").read_text() == "made\n"


def test_a_command_that_touches_a_file_outside_the_outputs_is_refused_whole(tmp_path: Path) -> None:
    codex = workspace(tmp_path, "command: echo ok > apps/web/ok.tsx; echo evil >> README.md")
    log = (codex / "TASK-LOG.json").read_text()
    done = techcat_run(tmp_path, "Build it")
    assert done.returncode != 0
    assert ('the run changed "README.md", which is not among this agent\'s outputs (apps/web/**); the whole run '
            "was refused and nothing was applied") in done.stderr
    assert not (tmp_path / "apps/web/ok.tsx").exists()
    assert (tmp_path / "README.md").read_text() == "# Shop\n"
    assert (codex / "TASK-LOG.json").read_text() == log
    assert worktrees(tmp_path) == [str(tmp_path)]
    assert git(tmp_path, "status", "--porcelain") == ""


def test_a_failing_command_says_why_and_nothing_lands(tmp_path: Path) -> None:
    codex = workspace(tmp_path, "command: echo half > apps/web/page.tsx; echo 'cannot reach the build' >&2; exit 4")
    log = (codex / "TASK-LOG.json").read_text()
    done = techcat_run(tmp_path, "Build it", env={"OPENAI_API_KEY": KEY})
    assert done.returncode != 0
    assert ("the command executor exited with status 4; the end of its stderr: cannot reach the build; nothing was "
            "applied") in done.stderr
    assert KEY not in done.stdout + done.stderr
    assert (tmp_path / "apps/web/page.tsx").read_text() == "export const Page = 1\n"
    assert (codex / "TASK-LOG.json").read_text() == log
    assert worktrees(tmp_path) == [str(tmp_path)]


def test_ctrl_c_ends_the_executors_whole_group_and_leaves_no_worktree(tmp_path: Path) -> None:
    codex = workspace(tmp_path, "command: sh -c '(trap \"\" TERM INT; exec sleep 300) & echo grandchild=$!; wait'")
    log = (codex / "TASK-LOG.json").read_text()
    proc = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "run", "builder", "Build it", "--no-chain"],
                            cwd=tmp_path, env=GIT_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the executor has printed it (or the run ended)
        assert line.startswith("grandchild="), line + proc.communicate(timeout=PATIENCE)[1]
        grandchild = int(line.strip().removeprefix("grandchild="))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "cancelled; nothing was written" in err
    assert wait_gone(grandchild)
    assert (codex / "TASK-LOG.json").read_text() == log
    assert worktrees(tmp_path) == [str(tmp_path)]


@pytest.mark.skipif(not os.access(CODEX, os.X_OK),
                    reason=f"Codex CLI is not installed at {CODEX}: run ./scripts/setup-agents")
def test_codex_cli_completes_a_run_end_to_end(tmp_path: Path) -> None:
    codex = workspace(tmp_path, "codex")
    with serve_fake_responses() as fake:
        fake.queue(Turn([exec_command("printf 'export const Hello = 1\\n' > apps/web/hello.tsx")]),
                   Turn([message("Added apps/web/hello.tsx with the Hello component.")]))
        started = time.monotonic()
        done = techcat_run(tmp_path, "Add a Hello component",
                           env={"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": KEY, "TECHCAT_CODEX": str(CODEX),
                                "TECHCAT_MODEL": "techcat-e2e-model"})
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < PATIENCE
        assert len(fake.requests) == 2 and fake.requests[0].body["model"] == "techcat-e2e-model"
        assert any("Add a Hello component" in text for text in fake.requests[0].user_texts())
    assert (tmp_path / "apps/web/hello.tsx").read_text() == "export const Hello = 1\n"
    assert "Added apps/web/hello.tsx with the Hello component." in done.stdout
    entry = log_entries(codex)[-1]
    assert entry["agent"] == "builder" and entry["output_files"] == ["apps/web/hello.tsx"]
    assert KEY not in done.stdout + done.stderr
    assert worktrees(tmp_path) == [str(tmp_path)]

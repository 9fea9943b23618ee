"""Issue 13's tool acceptance through the real `techcat run` (a subprocess) against the local test server: a run
reads README.md, writes an output from what it read and the entry lists that file; a tool write to .git/config or
outside the outputs is refused and nothing lands; a server without tools falls back, said once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.gitutil import GIT_ENV, commit_all, git, init_repo, techcat
from tests.wsbuilder import make_workspace

KEY = "sk-test-SECRET-7890"
AGENTS = """# Agents

## Agent: `docs_writer`

- **Role:** Writes the docs
- **Output:** docs/**

## Agent: `task_logger`

- **Role:** Task Tracker
"""


def _repo(tmp_path: Path) -> Path:
    init_repo(tmp_path)
    make_workspace(tmp_path, agents=AGENTS, log=[])
    (tmp_path / "README.md").write_text("# Shop\n\nThe shop sells cats, and only cats.\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Docs\n")
    commit_all(tmp_path, "start")
    return tmp_path


def _run(root: Path, fake: FakeOpenAI, task: str = "Summarise the README in docs/summary.md") -> tuple[int, str, str]:
    done = techcat("run", "docs_writer", task, "--no-chain", cwd=root,
                   env={**GIT_ENV, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": KEY})
    assert "Traceback" not in done.stderr, done.stderr
    assert KEY not in done.stdout + done.stderr
    return done.returncode, done.stdout, done.stderr


def _log(root: Path) -> list[dict[str, object]]:
    entries = json.loads((root / ".codex" / "TASK-LOG.json").read_text())
    assert isinstance(entries, list)
    return entries


def _state(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".techcat" not in p.parts and "objects" not in p.parts and "logs" not in p.parts
            and p.name not in ("index", "ORIG_HEAD")}


def test_a_run_reads_the_readme_and_writes_an_output_from_it(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]),
        Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/summary.md",
                                                  content="The shop sells cats, and only cats.\n")]),
        "Wrote docs/summary.md from the README.")
    code, out, err = _run(root, fake_openai)
    assert code == 0, out + err
    assert "read_file" in err and "write_file" in err  # the calls are shown (on stderr) as they happen
    tool_messages = [m for m in fake_openai.requests[1].body["messages"] if m["role"] == "tool"]
    assert tool_messages[0]["content"] == "# Shop\n\nThe shop sells cats, and only cats.\n"
    assert (root / "docs" / "summary.md").read_text() == "The shop sells cats, and only cats.\n"
    entry, = _log(root)
    assert entry["agent"] == "docs_writer" and entry["output_files"] == ["docs/summary.md"]
    assert entry["summary"] == "Wrote docs/summary.md from the README."
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1  # its worktree is gone


@pytest.mark.parametrize("path", [".git/config", "README.md", ".codex/TASK-LOG.json", "docs/../.git/hooks/pre-commit"])
def test_a_tool_write_outside_the_outputs_is_refused_and_nothing_lands(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                       path: str) -> None:
    root = _repo(tmp_path)
    before = _state(root)
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/summary.md", content="first\n")]),
        Behaviour(reply="", tool_calls=[tool_call("write_file", path=path, content="[core]\n\thooksPath = /tmp\n")]),
        "Never asked.")
    code, out, err = _run(root, fake_openai)
    assert code != 0
    assert "refused" in out + err and "nothing it wrote lands" in out + err, out + err
    assert len(fake_openai.requests) == 2
    assert _state(root) == before  # not the refused file, nor the one written before it
    assert _log(root) == []
    assert git(root, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_server_without_tools_gets_the_single_reply_said_once(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    fake_openai.reject_tools = True
    fake_openai.queue("Summarised the README.\n\n```markdown path=docs/summary.md\nThe shop sells cats.\n```\n")
    code, out, err = _run(root, fake_openai, "Write docs/summary.md")
    assert code == 0, out + err
    assert (out + err).count("does not support tools") == 1, out + err
    assert len(fake_openai.requests) == 2 and "tools" not in fake_openai.requests[1].body
    entry, = _log(root)
    assert entry["output_files"] == ["docs/summary.md"]
    assert (root / "docs" / "summary.md").read_text() == "The shop sells cats.\n"

"""Issue 11 §1 through the real CLI: `techcat run` against the fake OpenAI server writes and reads only what it may."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAI
from tests.gitutil import git, init_repo, techcat
from tests.wsbuilder import AGENTS_MD, make_workspace

ROSTER = AGENTS_MD + """
## Agent: `web`

- **Role:** Writes the web app
- **Output:** apps/web/**

## Agent: `anything`

- **Role:** May write anywhere
- **Output:** **
"""

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test", "OPENAI_MODEL": "gpt-test"}


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under root, .git/ included (its hooks and config are what an attack would change)."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and ".techcat" not in path.parts and path.name != "index":
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _repo(tmp_path: Path, roster: str = ROSTER) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    codex = make_workspace(repo, agents=roster)
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "post-commit").write_text("#!/bin/sh\n")
    (hooks / "post-commit").chmod(0o755)
    return repo, codex


@pytest.mark.parametrize("agent, path", [
    ("web", "apps/web/../../.git/config"),
    ("web", "apps/web/../../.codex/TASK-LOG.json"),
    ("anything", ".git/hooks/post-commit"),
    ("anything", ".git/config"),
    ("anything", ".GIT/config"),
    ("anything", ".codex/TASK-LOG.json"),
    ("anything", ".codex/AGENTS.md"),
])
def test_a_reply_cannot_write_git_or_the_task_log(tmp_path: Path, fake_openai: FakeOpenAI, agent: str,
                                                  path: str) -> None:
    repo, codex = _repo(tmp_path)
    before = _snapshot(repo)
    log_before = (codex / "TASK-LOG.json").read_bytes()
    fake_openai.queue(f"Wrote files.\n\n```tsx path=apps/web/ok.tsx\nok\n```\n\n"
                      f"```ini path={path}\n[core]\n\tfsmonitor = touch {tmp_path}/pwned\n```\n")
    result = techcat("run", agent, "Write", cwd=repo, env=_env(fake_openai))
    assert result.returncode != 0
    assert f'the reply wants to write "{path}", which' in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(repo) == before
    assert (codex / "TASK-LOG.json").read_bytes() == log_before
    assert not (repo / "apps/web/ok.tsx").exists()
    git(repo, "status")  # a planted core.fsmonitor would run here
    assert not (tmp_path / "pwned").exists()


def test_an_explicit_codex_output_is_still_written(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    repo, codex = _repo(tmp_path)
    fake_openai.queue("Planned.\n\n- [ ] @web Build the page\n")
    result = techcat("run", "planner", "Plan", cwd=repo, env=_env(fake_openai))
    assert result.returncode == 0, result.stderr
    assert "@web Build the page" in (codex / "PROPOSED-TASKS.md").read_text()


@pytest.mark.parametrize("output", ["{secret}", "../secret.txt", ".git/config"])
def test_an_unsafe_roster_output_is_never_read(tmp_path: Path, fake_openai: FakeOpenAI, output: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    output = output.format(secret=secret)
    roster = AGENTS_MD + f"\n## Agent: `leaky`\n\n- **Role:** Leaks\n- **Output:** {output}\n"
    repo, _ = _repo(tmp_path, roster)
    (repo / ".git" / "config").write_text((repo / ".git" / "config").read_text() + f"# {SECRET}\n")
    explain = techcat("run", "leaky", "Do it", "--explain", cwd=repo, env=_env(fake_openai))
    assert explain.returncode == 0, explain.stderr
    assert SECRET not in explain.stdout and "current output files" not in explain.stdout
    fake_openai.queue("Did it.\n")
    run = techcat("run", "leaky", "Do it", cwd=repo, env=_env(fake_openai))
    sent = str(fake_openai.requests[-1].body["messages"])
    assert SECRET not in sent
    assert run.returncode != 0 and "nothing was written" in run.stderr
    assert secret.read_text() == SECRET + "\n"


def test_prompt_parts_never_follow_links_out_fifos_or_huge_files(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    """The CLI run surface: a symlink out, a FIFO and a huge file among the files a prompt is built from."""
    (tmp_path / "secret.md").write_text(SECRET + "\n")
    roster = AGENTS_MD + "\n## Agent: `web`\n\n- **Role:** Web\n- **Output:** apps/web/page.tsx\n"
    repo, codex = _repo(tmp_path, roster)
    (codex / "prompts").mkdir()
    (codex / "prompts" / "planner.md").symlink_to(tmp_path / "secret.md")
    (codex / "PRD.md").unlink()
    (codex / "PRD.md").symlink_to(tmp_path / "secret.md")
    os.mkfifo(codex / "prompts" / "web.md")
    (repo / "apps" / "web").mkdir(parents=True, exist_ok=True)
    with (repo / "apps/web/page.tsx").open("wb") as handle:
        handle.truncate(3 * 1024 * 1024 * 1024)  # 3 GB, sparse
    # a window large enough that the read cap, not the context budget, is what cuts the huge file
    (codex / "techcat.toml").write_text("[provider]\ncontext_window = 65536\n\n[limits]\nmax_read_bytes = 4096\n")
    for agent in ("planner", "web"):
        explain = techcat("run", agent, "Plan", "--explain", cwd=repo, env=_env(fake_openai))
        assert explain.returncode == 0, explain.stderr
        assert SECRET not in explain.stdout
    assert "cut at 4,096 bytes" in explain.stdout and len(explain.stdout) < 64_000
    fake_openai.queue("export const Page = 1\n")
    result = techcat("run", "web", "Build", cwd=repo, env=_env(fake_openai))
    assert result.returncode == 0, result.stderr
    sent = str(fake_openai.requests[-1].body["messages"])
    assert SECRET not in sent and len(sent) < 64_000
    assert (repo / "apps/web/page.tsx").read_text() == "export const Page = 1\n"

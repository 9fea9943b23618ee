"""A run writes inside no `.codex` but its workspace's own. Paths are relative to the repository root (the git top
level); a workspace whose `.codex` is below it — a nested workspace, or any workspace under a folder with a stray
`.git` (a `/tmp/.git` made every test workspace in /tmp/pytest-of-… one repository) — had the planner's
`.codex/PROPOSED-TASKS.md` land in the top folder's `.codex` (that is how /tmp/.codex/PROPOSED-TASKS.md was
written). The real CLI against the local server, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from techcat_core.runtime.changes import ChangeSet, FileChange
from techcat_core.runtime.landing import LandingRefused, plan_landing
from tests.fake_openai import FakeOpenAI
from tests.gitutil import commit_all, init_repo, techcat
from tests.wsbuilder import make_workspace

REPLY = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123", "TECHCAT_HISTORY_URL": ""}


def test_under_a_stray_git_folder_the_planner_writes_no_codex_of_the_parent(tmp_path: Path,
                                                                            fake_openai: FakeOpenAI) -> None:
    (tmp_path / ".git").mkdir()  # not a repository at all, but it makes tmp_path the "repository root"
    workspace = tmp_path / "pytest-of-root" / "test0"
    workspace.mkdir(parents=True)
    make_workspace(workspace)
    fake_openai.queue(REPLY)
    run = techcat("run", "planner", "Plan the next milestone", "--no-chain", cwd=workspace, env=_env(fake_openai))
    assert run.returncode != 0
    assert not (tmp_path / ".codex").exists()
    assert fake_openai.requests == []  # refused before anything was sent
    assert (f"✗ `planner`'s output .codex/PROPOSED-TASKS.md lies in {tmp_path / '.codex'}, not in this workspace's "
            f"{workspace / '.codex'} (paths are relative to the repository root {tmp_path}; name it "
            "pytest-of-root/test0/.codex/PROPOSED-TASKS.md in Output:); nothing was sent or written") in run.stderr


def test_a_nested_workspace_whose_output_names_its_own_codex_lands_there(tmp_path: Path,
                                                                         fake_openai: FakeOpenAI) -> None:
    init_repo(tmp_path)
    nested = tmp_path / "services" / "shop"
    nested.mkdir(parents=True)
    agents = ("# Agents\n\n## Agent: `planner`\n\n- **Role:** Task Forecaster\n"
              "- **Output:** services/shop/.codex/PROPOSED-TASKS.md\n")
    codex = make_workspace(nested, agents=agents)
    commit_all(tmp_path, "start")
    fake_openai.queue(REPLY)
    run = techcat("run", "planner", "Plan the next milestone", "--no-chain", cwd=nested, env=_env(fake_openai))
    assert run.returncode == 0, run.stderr
    assert "- [ ] @frontend_specialist Build the settings page" in (codex / "PROPOSED-TASKS.md").read_text()
    assert "✓ wrote .codex/PROPOSED-TASKS.md" in run.stderr  # shown relative to where it ran
    assert not (tmp_path / ".codex").exists()


def test_landing_refuses_a_change_in_another_codex_whatever_the_outputs(tmp_path: Path) -> None:
    nested = tmp_path / "sub" / ".codex"
    nested.mkdir(parents=True)
    changes = ChangeSet((FileChange(".codex/PROPOSED-TASKS.md", None, b"- [ ] x\n"),))
    with pytest.raises(LandingRefused) as refused:
        plan_landing(tmp_path, changes, [".codex/PROPOSED-TASKS.md"], (), nested)
    assert str(refused.value) == (f'the run changed ".codex/PROPOSED-TASKS.md", which lies in {tmp_path / ".codex"}, '
                                  f"not in this workspace's {nested} (paths are relative to the repository root "
                                  f"{tmp_path}; name it sub/.codex/PROPOSED-TASKS.md in Output:); the whole run was "
                                  "refused and nothing was applied")
    assert not (tmp_path / ".codex").exists()
    own = ChangeSet((FileChange("sub/.codex/PROPOSED-TASKS.md", None, b"- [ ] x\n"),))
    assert [landing.relative for landing in plan_landing(tmp_path, own, ["sub/.codex/PROPOSED-TASKS.md"], (),
                                                         nested)] == ["sub/.codex/PROPOSED-TASKS.md"]

"""Issue 11 §1, the review's findings: a `.codex` or a folder of it linked out of the repository, a task log that is
a FIFO, /dev/zero or too big, a link inside the repository out of an agent's Output: glob, and roster outputs the
run would refuse. Each through the real CLI (`check`, `log`, `run` against tests/fake_openai.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from techcat_core.confine import Refused, is_git_path, writable
from techcat_core.workspace import load_workspace, locate_workspace
from tests.fake_openai import FakeOpenAI
from tests.gitutil import GIT_ENV, init_repo, techcat
from tests.wsbuilder import AGENTS_MD, make_workspace

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test", "OPENAI_MODEL": "gpt-test"}


def _check(cwd: Path) -> tuple[int, list[dict[str, object]]]:
    result = subprocess.run([sys.executable, "-m", "techcat_cli.main", "check", "--format", "json"], cwd=cwd,
                            env=GIT_ENV, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    diagnostics = json.loads(result.stdout)["diagnostics"]
    assert isinstance(diagnostics, list)
    return result.returncode, diagnostics


def _linked_codex(tmp_path: Path) -> tuple[Path, Path]:
    """repo/.codex -> ../outside, a complete workspace outside the repository (the review's repro)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    make_workspace(outside, prd=f"# PRD\n\n{SECRET}\n")
    (outside / ".codex" / "notes.md").write_text(SECRET + "\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    (repo / ".codex").symlink_to(Path("..") / "outside" / ".codex")
    return repo, outside / ".codex"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_codex_linked_out_is_one_tc004_and_nothing_in_it_is_read(tmp_path: Path) -> None:
    repo, _ = _linked_codex(tmp_path)
    code, diagnostics = _check(repo)  # passed before, with the outside files as the workspace
    assert code == 1
    assert [(d["code"], d["message"]) for d in diagnostics] == [(
        "TC004", f".codex leads outside the repository through a symbolic link; it was not read (TechCat reads and "
                 f"writes only inside {repo.resolve()}: make .codex a folder of the repository)")]
    assert SECRET not in json.dumps(diagnostics)
    ws = load_workspace(repo / ".codex")
    assert ws.linked_out and ws.texts == {} and ws.roster is None and ws.root == repo.resolve()
    with pytest.raises(Refused, match="leads outside the repository through a symbolic link"):
        locate_workspace(repo / ".codex")


def test_a_codex_linked_out_is_never_logged_to_nor_explained(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    repo, outside = _linked_codex(tmp_path)
    before = _tree(outside)
    logged = techcat("log", "-a", "planner", "-s", "Planned", cwd=repo)
    assert logged.returncode == 2 and "Traceback" not in logged.stderr
    assert f'"{repo.resolve()}/.codex" leads outside the repository through a symbolic link' in logged.stderr
    assert "nothing was appended" in logged.stderr
    explain = techcat("run", "planner", "Plan", "--explain", cwd=repo, env=_env(fake_openai))
    assert SECRET not in explain.stdout + explain.stderr  # the outside PRD.md went into the prompt before
    assert _tree(outside) == before and not (outside / ".techcat").exists()


def test_a_codex_linked_inside_the_repository_is_still_the_workspace(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    make_workspace(repo / "meta")
    (repo / ".codex").symlink_to(Path("meta") / ".codex")
    place = locate_workspace(repo / ".codex")
    assert place.codex_dir == (repo / "meta" / ".codex").resolve() and place.root == repo.resolve()
    assert techcat("log", "-a", "planner", "-s", "Planned", cwd=repo).returncode == 0
    assert json.loads((repo / "meta/.codex/TASK-LOG.json").read_text())[-1]["summary"] == "Planned"


def test_a_codex_linked_into_git_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    (repo / ".codex").symlink_to(".git")
    code, diagnostics = _check(repo)
    assert code == 1 and [d["code"] for d in diagnostics] == ["TC004"]
    assert "leads into .git through a symbolic link" in str(diagnostics[0]["message"])
    logged = techcat("log", "-a", "planner", "-s", "Planned", cwd=repo)
    assert logged.returncode == 2 and not (repo / ".git" / "TASK-LOG.json").exists()


def test_a_run_never_writes_through_a_codex_linked_out(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    repo, outside = _linked_codex(tmp_path)
    before = _tree(outside)
    fake_openai.queue("- [ ] @planner Next\n")
    result = techcat("run", "planner", "Plan", cwd=repo, env=_env(fake_openai))
    assert result.returncode != 0
    assert "leads outside the repository through a symbolic link" in result.stdout + result.stderr
    assert not fake_openai.requests
    assert _tree(outside) == before and not (outside / ".techcat").exists()


def _fifo_log(tmp_path: Path) -> Path:
    codex = make_workspace(tmp_path)
    (codex / "TASK-LOG.json").unlink()
    os.mkfifo(codex / "TASK-LOG.json")
    return codex


def test_a_fifo_log_does_not_hang_log_nor_the_end_of_a_run(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _fifo_log(tmp_path)
    logged = techcat("log", "-a", "planner", "-s", "Planned", cwd=tmp_path)  # blocked forever in open() before
    assert logged.returncode == 2
    assert logged.stderr == f'techcat: "{codex}/TASK-LOG.json" is a FIFO (named pipe); TechCat reads only regular ' \
                            "files; nothing was appended\n"
    fake_openai.queue("- [ ] @planner Next\n")
    ran = techcat("run", "planner", "Plan", cwd=tmp_path, env=_env(fake_openai))
    assert ran.returncode != 0 and "Traceback" not in ran.stderr
    assert "is a FIFO (named pipe); TechCat reads only regular files; nothing was appended" in ran.stdout + ran.stderr


def test_a_log_linked_to_dev_zero_or_too_big_is_refused_at_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    codex = make_workspace(repo, extra={"techcat.toml": "[limits]\nmax_file_bytes = 4096\n"})
    log = codex / "TASK-LOG.json"
    entries = [{"task_id": f"task-{n:03d}", "agent": "planner", "date": "2025-01-01", "summary": "x" * 60,
                "output_files": []} for n in range(1, 60)]
    log.write_text(json.dumps(entries, indent=2))
    before = log.read_bytes()
    big = techcat("log", "-a", "planner", "-s", "Planned", cwd=repo)
    assert big.returncode == 2
    assert f"{log} is over the 4,096-byte limit ([limits] max_file_bytes in techcat.toml); nothing was appended" \
        in big.stderr
    assert log.read_bytes() == before
    log.unlink()
    log.symlink_to("/dev/zero")  # read whole, this took all memory before
    zero = techcat("log", "-a", "planner", "-s", "Planned", cwd=repo)
    assert zero.returncode == 2 and "leads outside the repository through a symbolic link" in zero.stderr
    assert os.readlink(log) == "/dev/zero"


@pytest.mark.parametrize("folder", ["templates", "agents", "prompts", "skills"])
def test_a_folder_of_codex_linked_out_is_one_tc004_and_never_walked(tmp_path: Path, folder: str) -> None:
    outside = tmp_path / "outside"
    for n in range(40):
        (outside / f"d{n}").mkdir(parents=True)
        (outside / f"d{n}" / "planner.md").write_text(SECRET)
        (outside / f"d{n}" / "spy.toml").write_text(f'name = "spy{n}"\ndescription = "{SECRET}"\n')
    (outside / "planner.md").write_text(SECRET)
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    codex = make_workspace(repo)
    (codex / folder).symlink_to(outside)
    _, diagnostics = _check(repo)
    found = [d for d in diagnostics if d["code"] == "TC004"]
    assert [d["message"] for d in found] == [f".codex/{folder} leads outside the repository through a symbolic "
                                             "link; it was not read (TechCat reads only files inside it)"]
    assert SECRET not in json.dumps(diagnostics) and "spy" not in json.dumps(diagnostics)
    assert "d1" not in json.dumps(diagnostics)  # no outside name is listed
    assert [d for d in diagnostics if d["code"] == "TC204"] == []  # no "has no prompt file" for a folder not read
    ws = load_workspace(codex)
    assert ws.templates == [] and ws.prompts == {} and ws.custom_agents == [] and not ws.uses_prompts


def test_a_folder_of_codex_linked_to_the_file_system_root_finishes(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (codex / "templates").symlink_to("/")  # exit 2 after walking the whole machine before
    code, diagnostics = _check(tmp_path)
    assert code == 1 and [d["code"] for d in diagnostics if d["severity"] == "error"] == ["TC004"]


def test_an_inner_link_does_not_widen_an_output_glob(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    roster = AGENTS_MD + "\n## Agent: `web`\n\n- **Role:** Web\n- **Output:** apps/web/**\n"
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    make_workspace(repo, agents=roster)
    (repo / "src").mkdir()
    (repo / "src" / "main.py").write_text("print('mine')\n")
    (repo / "apps" / "web" / "shared").symlink_to(Path("..") / ".." / "src")
    with pytest.raises(Refused, match=r"leads to src/main\.py through a symbolic link, which is not among"):
        writable(repo, "apps/web/shared/main.py", ["apps/web/**"])
    assert writable(repo, "apps/web/page.tsx", ["apps/web/**"]) == repo / "apps/web/page.tsx"
    assert writable(repo, "apps/web/shared/main.py", ["apps/web/**", "src/**"]) == repo / "apps/web/shared/main.py"
    fake_openai.queue("Shared.\n\n```python path=apps/web/shared/main.py\nprint('model')\n```\n")
    result = techcat("run", "web", "Write", cwd=repo, env=_env(fake_openai))
    assert result.returncode != 0 and "nothing was written" in result.stderr
    assert (repo / "src" / "main.py").read_text() == "print('mine')\n"


@pytest.mark.parametrize("output, problem", [
    ("apps/../src/x.py", "has a `..` part (a written path names its file directly)"),
    (".codex/TASK-LOG.json", "is the task log, which only the store appends to"),
    (".GIT/hooks/pre-commit", "lies inside .git/ (git's own files are never written)"),
])
def test_outputs_the_run_would_refuse_are_tc206(tmp_path: Path, output: str, problem: str) -> None:
    roster = AGENTS_MD + f"\n## Agent: `bad`\n\n- **Role:** Bad\n- **Output:** {output}\n"
    make_workspace(tmp_path, agents=roster)
    _, diagnostics = _check(tmp_path)
    assert [d["message"] for d in diagnostics if d["code"] == "TC206"] == [
        f"`bad`'s Output: `{output}` {problem}; TechCat never reads it into a prompt nor writes it: name a path "
        "inside the repository, outside .git/"]


@pytest.mark.parametrize("name", [".g\u200cit", ".gi\u200dt", "\ufeff.git", ".git\u200e", ".G\u206aIT"])
def test_names_macos_reads_as_git_are_git(tmp_path: Path, name: str) -> None:
    assert is_git_path(f"{name}/config")
    with pytest.raises(Refused, match=r"lies inside \.git/"):
        writable(tmp_path, f"{name}/hooks/post-commit", ["**"])


def test_the_hooks_folder_git_runs_is_never_written(tmp_path: Path) -> None:
    """For the runtime to pass git's `core.hooksPath` (a tracked `.githooks/` runs at the user's next commit)."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "hooks-link").symlink_to(".githooks")
    for path in (".githooks/pre-commit", ".GitHooks/post-commit", ".githooks"):
        with pytest.raises(Refused, match=r"the folder git runs hooks from \(core\.hooksPath\)"):
            writable(tmp_path, path, ["**"], hooks=("./.githooks/",))
    with pytest.raises(Refused, match=r"leads to \.githooks/pre-commit through a symbolic link, in the folder git"):
        writable(tmp_path, "hooks-link/pre-commit", ["**"], hooks=(".githooks",))
    assert writable(tmp_path, ".githooks-notes.md", ["**"], hooks=(".githooks",)) == tmp_path / ".githooks-notes.md"
    assert writable(tmp_path, ".githooks/pre-commit", ["**"]) == tmp_path / ".githooks/pre-commit"


def test_the_built_in_task_logger_may_name_the_task_log(tmp_path: Path) -> None:
    """`task_logger` is the store itself (it runs no model and writes no reply): its Output: is the log."""
    roster = AGENTS_MD + "\n## Agent: `task_logger`\n\n- **Role:** Tracker\n- **Output:** .codex/TASK-LOG.json\n"
    make_workspace(tmp_path, agents=roster)
    _, diagnostics = _check(tmp_path)
    assert [d for d in diagnostics if d["code"] == "TC206"] == []


def test_a_fifo_techcat_toml_hangs_neither_runs_nor_a_run(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    """The run history reads techcat.toml on its own (techcat_core.config.load_config): confined too."""
    codex = make_workspace(tmp_path)
    os.mkfifo(codex / "techcat.toml")
    runs = techcat("runs", cwd=tmp_path)  # blocked forever in open() before
    assert runs.returncode == 2
    assert f'cannot read: "{codex}/techcat.toml" is a FIFO (named pipe); TechCat reads only regular files' \
        in runs.stderr
    fake_openai.queue("- [ ] @planner Next\n")
    ran = techcat("run", "planner", "Plan", cwd=tmp_path, env=_env(fake_openai))
    assert "Traceback" not in ran.stderr and len(fake_openai.requests) == 1


def test_a_codex_linked_out_named_directly_is_refused_too(tmp_path: Path) -> None:
    repo, _ = _linked_codex(tmp_path)
    for args, cwd in ((["--workspace", str(repo / ".codex")], tmp_path), ([], repo / ".codex")):
        result = subprocess.run([sys.executable, "-m", "techcat_cli.main", "check", "--format", "json", *args],
                                cwd=cwd, env={**GIT_ENV, "PWD": str(cwd)},  # as a shell's `cd` sets it
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1, result.stderr
        assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == ["TC004"]


def test_watch_refuses_a_codex_linked_out_instead_of_idling(tmp_path: Path) -> None:
    repo, outside = _linked_codex(tmp_path)
    before = _tree(outside)
    result = techcat("watch", cwd=repo)
    assert result.returncode == 2
    assert "leads outside the repository through a symbolic link" in result.stderr
    assert "nothing will run" in result.stderr
    assert _tree(outside) == before

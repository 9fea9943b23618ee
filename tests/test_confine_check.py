"""`techcat check` under issue 11 §1: a FIFO, a link to /dev/zero, a link out and a huge file are TC004, unsafe
roster outputs are TC206, and check always finishes (real CLI subprocesses with a timeout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.gitutil import GIT_ENV, init_repo
from tests.wsbuilder import AGENTS_MD, make_workspace


def _check(cwd: Path) -> tuple[int, dict[str, object]]:
    result = subprocess.run([sys.executable, "-m", "techcat_cli.main", "check", "--format", "json"], cwd=cwd,
                            env=GIT_ENV, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _codes(report: dict[str, object], code: str) -> list[dict[str, object]]:
    diagnostics = report["diagnostics"]
    assert isinstance(diagnostics, list)
    return [d for d in diagnostics if d["code"] == code]


def test_a_fifo_prd_does_not_hang_check(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (codex / "PRD.md").unlink()
    os.mkfifo(codex / "PRD.md")
    code, report = _check(tmp_path)  # would block forever in open() before
    assert code == 1
    [found] = _codes(report, "TC004")
    assert found["message"] == ".codex/PRD.md is a FIFO (named pipe); it was not read (TechCat reads only regular " \
                               "files)"
    assert str(found["path"]).endswith(".codex/PRD.md")


def test_links_to_dev_zero_and_out_of_the_repository_are_not_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    (tmp_path / "secret.md").write_text("# Secret\n")
    codex = make_workspace(repo)
    (codex / "ARCHITECTURE.md").unlink()
    (codex / "ARCHITECTURE.md").symlink_to("/dev/zero")  # read whole, this exhausts memory
    (codex / "PRD.md").unlink()
    (codex / "PRD.md").symlink_to(tmp_path / "secret.md")
    (codex / "prompts").mkdir()
    (codex / "prompts" / "planner.md").symlink_to(tmp_path / "secret.md")
    (codex / "notes.md").symlink_to("/dev/zero")
    code, report = _check(repo)
    assert code == 1
    messages = sorted(str(d["message"]) for d in _codes(report, "TC004"))
    assert messages == [
        ".codex/ARCHITECTURE.md leads outside the repository through a symbolic link; it was not read (TechCat "
        "reads only files inside it)",
        ".codex/PRD.md leads outside the repository through a symbolic link; it was not read (TechCat reads only "
        "files inside it)",
        ".codex/prompts/planner.md leads outside the repository through a symbolic link; it was not read (TechCat "
        "reads only files inside it)",
    ]


def test_a_huge_file_is_over_the_cap(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    with (codex / "PROPOSED-TASKS.md").open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse, over the default 256 MiB cap
    code, report = _check(tmp_path)
    assert code == 1
    [found] = _codes(report, "TC004")
    assert found["message"] == (".codex/PROPOSED-TASKS.md is over the 268,435,456-byte limit ([limits] "
                                "max_file_bytes); it was not read (split it or raise the limit in techcat.toml)")
    (codex / "techcat.toml").write_text("[limits]\nmax_file_bytes = 2048\n")
    (codex / "PROPOSED-TASKS.md").write_text("# Proposed\n\n" + "- [ ] @planner Plan more\n" * 200)
    _, report = _check(tmp_path)
    assert [d["message"] for d in _codes(report, "TC004")] == [
        ".codex/PROPOSED-TASKS.md is over the 2,048-byte limit ([limits] max_file_bytes); it was not read (split it "
        "or raise the limit in techcat.toml)"]


def test_unsafe_roster_outputs_are_tc206(tmp_path: Path) -> None:
    roster = AGENTS_MD + ("\n## Agent: `leaky`\n\n- **Role:** Leaks\n- **Output:** /etc/passwd, ../x, .GIT/config, "
                          "apps/ok.md\n")
    make_workspace(tmp_path, agents=roster)
    code, report = _check(tmp_path)
    assert code == 1
    found = _codes(report, "TC206")
    assert [str(d["message"]).split(";")[0] for d in found] == [
        "`leaky`'s Output: `/etc/passwd` is absolute",
        "`leaky`'s Output: `../x` escapes the repository",
        "`leaky`'s Output: `.GIT/config` lies inside .git/ (git's own files are never written)",
    ]
    line = roster.splitlines().index("- **Output:** /etc/passwd, ../x, .GIT/config, apps/ok.md") + 1
    assert [(d["path"], d["line"], d["column"]) for d in found] == [
        (".codex/AGENTS.md", line, 15), (".codex/AGENTS.md", line, 28), (".codex/AGENTS.md", line, 34)]

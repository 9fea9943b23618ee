"""Real-world `.codex/` folders: Codex CLI's own files, free-form AGENTS.md, foreign task logs (issue 14).

The fixtures in tests/fixtures/realworld/ are modeled on the public folders their README names; the
folders of ../shared/realworld/ are real copies, used in place when present.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gitutil import techcat

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "realworld"
REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
needs_shared = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is absent on this machine")


def copy_fixture(name: str, tmp_path: Path, source: Path = FIXTURES) -> Path:
    """A copy of the fixture's repository (so `--fix` could write, and nothing is under this git checkout)."""
    root = tmp_path / name
    shutil.copytree(source / name, root)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_json(root: Path, *extra: str) -> tuple[int, list[dict[str, object]]]:
    result = techcat("check", "--format", "json", "--no-git", *extra, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["diagnostics"]


def found(diagnostics: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(d["code"], d["severity"], d["path"]) for d in diagnostics]


def assert_fix_changes_nothing(root: Path) -> None:
    before = snapshot(root)
    result = techcat("check", "--fix", "--no-git", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    assert "Applied 0 fixes." in result.stderr
    assert snapshot(root) == before  # not a byte changed, and no file (.codex/.techcat/ included) created


def test_codex_cli_folder_with_declared_agents_is_one_note(tmp_path: Path) -> None:
    root = copy_fixture("codex-cli-declared", tmp_path)
    code, diagnostics = check_json(root)
    assert code == 0
    assert found(diagnostics) == [("TC005", "info", ".codex/AGENTS.md")]
    message = str(diagnostics[0]["message"])
    assert message.startswith(".codex/ is not a TechCat workspace: it has none of TechCat's files")
    assert "Codex CLI's config.toml, 3 Codex CLI agents (docs_researcher, explorer, reviewer)" in message
    assert "a free-form AGENTS.md" in message and "run `techcat init`" in message
    assert "Codex CLI's files stay as they are" in message
    assert_fix_changes_nothing(root)


def test_codex_cli_agents_are_listed_under_codex_names_with_their_origin(tmp_path: Path) -> None:
    root = copy_fixture("codex-cli-declared", tmp_path)
    result = techcat("agents", cwd=root)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert sorted(lines) == ["docs_researcher", "explorer", "reviewer"]  # not `docs-researcher`, the stem
    assert "agents/docs-researcher.toml:1 (named by [agents.docs_researcher] in config.toml)" in lines[
        "docs_researcher"]
    assert lines["docs_researcher"].endswith("Checks APIs and framework behaviour against their primary documentation.")
    assert "→" not in result.stdout  # "Invoke for docs/API/setup questions" hands off to no one


def test_codex_cli_named_agents_chain_only_where_a_hand_off_is_written(tmp_path: Path) -> None:
    root = copy_fixture("codex-cli-named", tmp_path)
    code, diagnostics = check_json(root)
    assert code == 0
    assert found(diagnostics) == [("TC005", "info", ".codex/config.toml")]
    assert "5 Codex CLI agents" in str(diagnostics[0]["message"]) and "1 skill" in str(diagnostics[0]["message"])
    listing = techcat("agents", cwd=root).stdout
    chains = {line.split()[0]: line.split("→ ")[1] if "→" in line else "" for line in listing.splitlines()}
    assert chains == {"developer": "tester", "manager": "", "reviewer": "security-reviewer",
                      "security-reviewer": "", "tester": "reviewer"}
    assert "(named by `name` in agents/security-reviewer.toml)" in listing
    assert_fix_changes_nothing(root)


def test_a_mismatched_hand_off_in_a_codex_agent_is_caught_and_never_fixed_in_its_file(tmp_path: Path) -> None:
    root = copy_fixture("codex-cli-named", tmp_path)
    reviewer = root / ".codex" / "agents" / "reviewer.toml"
    reviewer.write_text(reviewer.read_text().replace("escalate to `security-reviewer`",
                                                     "escalate to `security_reviewer`"))
    code, diagnostics = check_json(root)
    assert code == 1
    tc202 = [d for d in diagnostics if d["code"] == "TC202"]
    assert [(d["path"], d["line"], d["message"]) for d in tc202] == [
        (".codex/agents/reviewer.toml", 6, "`reviewer` chains to `security_reviewer`, which is not in the roster; "
                                           "did you mean `security-reviewer`?")]
    assert tc202[0]["fixes"] == []  # .codex/agents/*.toml is read-only to TechCat
    before = snapshot(root)
    techcat("check", "--fix", "--no-git", cwd=root)
    assert {k: v for k, v in snapshot(root).items() if not k.startswith(".codex/.techcat/")} == before


@pytest.mark.parametrize("name", ["free-form-zh"])
def test_free_form_agents_md_in_another_language_is_one_note(tmp_path: Path, name: str) -> None:
    root = copy_fixture(name, tmp_path)
    code, diagnostics = check_json(root)
    assert code == 0
    assert found(diagnostics) == [("TC005", "info", ".codex/AGENTS.md")]
    assert "a free-form AGENTS.md (instructions for a coding agent)" in str(diagnostics[0]["message"])
    assert_fix_changes_nothing(root)


def test_a_markdown_log_of_another_shape_gets_a_hint_and_a_one_line_import_refusal(tmp_path: Path) -> None:
    root = copy_fixture("foreign-log-zh", tmp_path)
    code, diagnostics = check_json(root)
    assert code == 0
    assert found(diagnostics) == [("TC005", "info", ".codex/task-log.md"), ("TC006", "info", ".codex/task-log.md")]
    assert "it holds task-log.md" in str(diagnostics[0]["message"])
    assert "`techcat import-log` reads only `### Task Completed` blocks, and this file has none" in str(
        diagnostics[1]["message"])
    assert_fix_changes_nothing(root)
    result = techcat("import-log", ".codex/task-log.md", cwd=root)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "techcat: .codex/task-log.md is not a task log TechCat knows: it has no `### Task Completed` blocks with "
        "`**Agent:**` and `**Summary:**` lines (TechCat's own log is .codex/TASK-LOG.json; `techcat log` appends to "
        "it); nothing was imported"]
    assert not (root / ".codex" / "TASK-LOG.json").exists()


def test_a_wrapped_task_list_is_a_near_miss(tmp_path: Path) -> None:
    root = copy_fixture("tasks-wrapper", tmp_path)
    code, diagnostics = check_json(root)
    assert code == 0
    assert found(diagnostics) == [("TC005", "info", ".codex/tasks.json"), ("TC006", "info", ".codex/tasks.json")]
    assert str(diagnostics[1]["message"]).startswith("tasks.json looks like a task log or task list; TechCat's task "
                                                     "log is `.codex/TASK-LOG.json`")
    assert_fix_changes_nothing(root)


def test_a_task_log_of_another_tools_shape_is_one_error_and_no_fix(tmp_path: Path) -> None:
    root = copy_fixture("foreign-json-log", tmp_path)
    code, diagnostics = check_json(root)
    assert code == 1
    assert [d["code"] for d in diagnostics] == ["TC002"] * 4 + ["TC103"]  # a partial TechCat folder: TC002 stays
    message = str(diagnostics[-1]["message"])
    assert message.startswith("this is a log of another format: none of its 4 entries have the fields of TechCat's "
                              "task log")
    assert "they have `task`, `timestamp`, `result`" in message
    assert_fix_changes_nothing(root)


@needs_shared
def test_shared_free_form_agents_md_is_one_note(tmp_path: Path) -> None:
    root = copy_fixture("codex-instructions", tmp_path, REALWORLD)
    code, diagnostics = check_json(root)
    assert (code, found(diagnostics)) == (0, [("TC005", "info", ".codex/AGENTS.md")])
    assert_fix_changes_nothing(root)


@needs_shared
def test_shared_lake_forge_log_is_a_partial_workspace_and_fix_changes_nothing(tmp_path: Path) -> None:
    root = copy_fixture("lake-forge", tmp_path, REALWORLD)
    code, diagnostics = check_json(root)
    assert code == 0
    assert sorted((d["code"], d["path"]) for d in diagnostics) == [
        ("TC002", f".codex/{name}") for name in ("AGENTS.md", "ARCHITECTURE.md", "PRD.md", "PROPOSED-TASKS.md")]
    assert_fix_changes_nothing(root)


@needs_shared
def test_shared_techcat_studio_fix_in_git_rewrites_no_history(tmp_path: Path) -> None:
    from tests.gitutil import commit_all, init_repo

    root = tmp_path / "studio"
    shutil.copytree(REALWORLD / "techcat-studio" / ".codex", root / ".codex")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    for line in (REALWORLD / "techcat-studio" / "FILES-AT-HEAD.txt").read_text().splitlines():
        if line.strip() and not line.startswith(".codex/"):
            (root / line.strip()).parent.mkdir(parents=True, exist_ok=True)
            (root / line.strip()).touch()
    init_repo(root)
    commit_all(root, "the real log, duplicates and all")

    def counts() -> dict[str, int]:
        payload = json.loads(techcat("check", "--format", "json", cwd=root).stdout)["diagnostics"]
        return {code: sum(1 for d in payload if d["code"] == code) for code in {d["code"] for d in payload}}

    before = counts()
    assert before["TC111"] == 3
    fixed = techcat("check", "--fix", cwd=root)
    assert "Applied 3 fixes." in fixed.stderr
    after = counts()
    assert "TC403" not in after and "TC111" not in after
    assert after == {code: n for code, n in before.items() if code != "TC111"}


def test_a_verbatim_codex_cli_folder_is_one_note_and_its_hand_offs_are_none(tmp_path: Path) -> None:
    """affaan-m/everything-claude-code's `.codex/` as published (MIT; README names the commit): Codex CLI's
    config with three `[agents.NAME]` tables, their agent files without a `name` key, a free-form AGENTS.md."""
    root = copy_fixture("verbatim-ecc", tmp_path)
    code, diagnostics = check_json(root)
    assert (code, found(diagnostics)) == (0, [("TC005", "info", ".codex/AGENTS.md")])
    assert str(diagnostics[0]["message"]).split("; ")[1] == (
        "it holds Codex CLI's config.toml, 3 Codex CLI agents (docs_researcher, explorer, reviewer) and a free-form "
        "AGENTS.md (instructions for a coding agent). To keep TechCat's agent memory beside them, run `techcat init`: "
        "it adds the missing files and never changes a file that exists")
    listed = techcat("agents", cwd=root).stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["docs_researcher", "explorer", "reviewer"]
    assert "agents/docs-researcher.toml:1 (named by [agents.docs_researcher] in config.toml)" in listed[0]
    assert not any("→" in line for line in listed)  # "Use available MCP servers" and the like chain nowhere
    assert_fix_changes_nothing(root)


def test_a_verbatim_japanese_free_form_agents_md_is_one_note(tmp_path: Path) -> None:
    """s977043/river-reviewer's `.codex/` as published (MIT): a Japanese free-form AGENTS.md beside Codex CLI's
    config.toml; "Gemini / Codex レビュー依頼" and `npm test` are no agents."""
    root = copy_fixture("verbatim-river-ja", tmp_path)
    code, diagnostics = check_json(root)
    assert (code, found(diagnostics)) == (0, [("TC005", "info", ".codex/AGENTS.md")])
    assert "it holds Codex CLI's config.toml and a free-form AGENTS.md (instructions for a coding agent)." in \
        str(diagnostics[0]["message"])
    assert techcat("agents", cwd=root).stdout.startswith("No roster: AGENTS.md is free-form instructions")
    assert_fix_changes_nothing(root)

"""The `techcat` command as a user runs it: formats, exit codes, init, schema, demo, real-world folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from techcat_core.schema import task_log_schema_text
from tests.gitutil import techcat
from tests.wsbuilder import entry, make_workspace

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = ROOT.parent / "shared" / "realworld"
needs_shared = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is absent on this machine")


def test_schema_file_is_in_sync() -> None:
    assert (ROOT / "schemas" / "task-log.schema.json").read_text() == task_log_schema_text()


def test_schema_validates_a_real_entry_shape() -> None:
    schema = json.loads(task_log_schema_text())
    item = schema["$defs"]["TaskEntry"]
    assert item["required"] == ["task_id", "agent", "date", "summary", "output_files"]
    assert item["additionalProperties"] is False


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    import importlib.metadata

    from techcat_core import __version__

    result = techcat("--version", cwd=tmp_path)  # no workspace needed
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"techcat {importlib.metadata.version('techcat-studio')}\n"
    assert __version__ == importlib.metadata.version("techcat-studio")  # the code and the package agree


def test_schema_command_prints_the_committed_schema(tmp_path: Path) -> None:
    result = techcat("schema", cwd=tmp_path)  # no workspace needed
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    committed = json.loads((ROOT / "schemas" / "task-log.schema.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == committed
    assert committed["$defs"]["TaskEntry"]["required"] == ["task_id", "agent", "date", "summary", "output_files"]


def test_text_format_points_at_the_mistake(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[entry(1), entry(2, date="2025/07/14")])
    result = techcat("check", "--no-git", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == ('.codex/TASK-LOG.json:14:13: TC108 [error] date "2025/07/14" is not YYYY-MM-DD; '
                        "did you mean 2025-07-14?")
    assert lines[1] == '  14 |     "date": "2025/07/14",'
    assert lines[2] == "     |             ^^^^^^^^^^^^"
    assert lines[-1] == "Found 1 error (1 fixable with `techcat check --fix`)."


def test_json_format_is_versioned(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[entry(1), entry(2, agent="plannr")])
    payload = json.loads(techcat("check", "--format", "json", "--no-git", cwd=tmp_path).stdout)
    assert payload["schemaVersion"] == 1
    assert payload["summary"] == {"error": 1, "warning": 0, "info": 0}
    diagnostic = payload["diagnostics"][0]
    assert diagnostic["code"] == "TC401" and diagnostic["name"] == "unknown-agent"
    assert diagnostic["range"]["start"] == {"line": 12, "character": 13}
    assert diagnostic["fixes"][0]["edits"][0]["newText"] == '"planner"'
    assert diagnostic["url"].endswith("#tc401-unknown-agent")


def test_github_format(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[entry(1), entry(2, date="2031-01-01")])
    out = techcat("check", "--format", "github", "--no-git", cwd=tmp_path).stdout
    assert out.splitlines()[0].startswith("::warning file=.codex/TASK-LOG.json,line=14,col=13,endLine=14,"
                                          "endColumn=25,title=TC109::date \"2031-01-01\" is in the future")


def test_exit_codes(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    assert techcat("check", "--no-git", cwd=tmp_path).returncode == 0
    make_workspace(tmp_path, log=[entry(1), entry(3)])  # a gap: info only
    assert techcat("check", "--no-git", cwd=tmp_path).returncode == 0
    assert techcat("check", "--no-git", "--strict", cwd=tmp_path).returncode == 1
    usage = techcat("check", "--format", "xml", cwd=tmp_path)
    assert usage.returncode == 2
    (tmp_path / "nowhere").mkdir()
    assert techcat("check", cwd=tmp_path / "nowhere").returncode == 0  # finds the workspace upward
    lost = techcat("check", "--workspace", "/nonexistent/place", cwd=tmp_path)
    assert lost.returncode == 2 and "no such directory" in lost.stderr


def test_no_workspace_is_a_sentence(tmp_path: Path) -> None:
    result = techcat("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "no .codex/ folder" in result.stderr and "techcat init" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_creates_a_clean_workspace_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "PRD.md").write_text("# Mine\n")
    result = techcat("init", cwd=tmp_path)
    assert result.returncode == 0
    assert "kept    .codex/PRD.md (already there)" in result.stdout
    assert (tmp_path / ".codex" / "PRD.md").read_text() == "# Mine\n"
    assert techcat("check", "--no-git", cwd=tmp_path).returncode == 0
    assert techcat("check", "--no-git", "--strict", cwd=tmp_path).stdout.strip() == "All checks passed."


def test_fix_applies_safe_fixes_atomically(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[entry(1), entry(1, summary="dup"), entry(2, date="2025/07/14")])
    result = techcat("check", "--fix", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "Applied 2 fixes." in result.stderr
    ids = [e["task_id"] for e in json.loads((tmp_path / ".codex" / "TASK-LOG.json").read_text())]
    assert ids == ["task-001", "task-003", "task-002"]


def test_agents_command(tmp_path: Path) -> None:
    make_workspace(tmp_path)
    out = techcat("agents", cwd=tmp_path).stdout
    assert "frontend_specialist     2 tasks" in out and "→ task_logger" in out


def test_demo_check_reports_the_sample_mistakes(tmp_path: Path) -> None:
    result = techcat("demo", "--check-only", cwd=tmp_path)
    assert result.returncode == 0
    codes = sorted(line.split(": ")[1].split(" ")[0] for line in result.stdout.splitlines()
                   if line.startswith(".codex/") or "/.codex/" in line.split(":")[0])
    assert codes == sorted(["TC111", "TC108", "TC106", "TC401", "TC114", "TC113", "TC204", "TC301", "TC302",
                            "TC402"])


def test_own_workspace_passes_check() -> None:
    result = techcat("check", "--no-git", cwd=ROOT)
    assert result.returncode == 0, result.stdout


@needs_shared
def test_realworld_techcat_studio_faults_are_reported_at_their_lines(tmp_path: Path) -> None:
    studio = REALWORLD / "techcat-studio"
    shutil.copytree(studio / ".codex", tmp_path / ".codex")
    for path in [tmp_path / ".codex", *(tmp_path / ".codex").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    for line in (studio / "FILES-AT-HEAD.txt").read_text().splitlines():
        if line.strip() and not line.startswith(".codex/"):
            (tmp_path / line).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / line).touch()
    payload = json.loads(techcat("check", "--format", "json", "--no-git", cwd=tmp_path).stdout)
    found = {(d["code"], d["line"]) for d in payload["diagnostics"] if d["path"] == ".codex/TASK-LOG.json"}
    expected = {
        ("TC111", 214),  # the second task-019
        ("TC112", 226),  # task-020 never logged
        ("TC103", 287),  # task-027 has no agent
        ("TC112", 300),  # task-028
        ("TC401", 327),  # backend_engineer is not in the roster
        ("TC401", 351),  # backend_refactorer
        ("TC112", 397),  # task-037
        ("TC112", 457),  # task-043
        ("TC111", 481),  # task-045, a second time
        ("TC111", 492),  # and a third
        ("TC112", 503),  # task-046
    }
    assert expected <= found
    missing_files = {line for code, line in found if code == "TC114"}
    assert missing_files  # output files that are not in the repository at its head
    assert found - expected - {("TC114", line) for line in missing_files} == set()


@needs_shared
def test_realworld_lake_forge_log_is_clean() -> None:
    payload = json.loads(techcat("check", "--format", "json", "--no-git", cwd=REALWORLD / "lake-forge").stdout)
    assert [d for d in payload["diagnostics"] if d["path"].endswith("TASK-LOG.json")] == []


@needs_shared
def test_realworld_free_form_agents_md_yields_no_errors() -> None:
    result = techcat("check", "--format", "json", "--no-git", cwd=REALWORLD / "codex-instructions")
    payload = json.loads(result.stdout)
    on_agents = [d for d in payload["diagnostics"] if d["path"].endswith("AGENTS.md")]
    assert [(d["code"], d["severity"]) for d in on_agents] == [("TC005", "info")]  # no TechCat file: one note
    assert payload["summary"]["error"] == 0


def test_init_mcp_adds_the_paragraph_and_prints_snippets(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("# Rules\n\nBe kind.\n")
    result = techcat("init", "--mcp", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[mcp_servers.techcat]" in result.stdout and '"mcpServers"' in result.stdout
    text = (tmp_path / "AGENTS.md").read_text()
    assert text.startswith("# Rules\n\nBe kind.\n\n<!-- TECHCAT START -->") and text.rstrip().endswith(
        "<!-- TECHCAT END -->")
    again = techcat("init", "--mcp", cwd=tmp_path)
    assert (tmp_path / "AGENTS.md").read_text() == text and "kept" in again.stdout

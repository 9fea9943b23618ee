"""`techcat log` and `techcat agents` as a user runs them (real subprocesses): the one logging rule set."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.gitutil import techcat
from tests.wsbuilder import entry, make_workspace


def _log(codex: Path) -> list[dict[str, object]]:
    value = json.loads((codex / "TASK-LOG.json").read_text(encoding="utf-8"))
    assert isinstance(value, list)
    return value


def test_an_unknown_agent_is_refused_with_the_rosters_names_unless_forced(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = (codex / "TASK-LOG.json").read_bytes()
    refused = techcat("log", "-a", "frontend_specialst", "-s", "Built pages", cwd=tmp_path)
    assert refused.returncode == 2, refused
    assert refused.stderr == ("techcat: agent `frontend_specialst` is not in the roster; did you mean "
                              "`frontend_specialist`? known agents: frontend_specialist, planner, task_logger "
                              "(--force to log it anyway)\n")
    assert (codex / "TASK-LOG.json").read_bytes() == before
    forced = techcat("log", "-a", "frontend_specialst", "-s", "Built pages", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced
    assert _log(codex)[-1]["agent"] == "frontend_specialst"


def test_the_built_in_logger_and_a_free_form_agents_md_accept_any_name(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    assert techcat("log", "-a", "task_logger", "-s", "Recorded", cwd=tmp_path).returncode == 0
    (codex / "AGENTS.md").write_text("# Working agreements\n\nRun the tests before you push.\n", encoding="utf-8")
    free = techcat("log", "-a", "anyone", "-s", "Did it", cwd=tmp_path)
    assert free.returncode == 0, free
    assert [e["agent"] for e in _log(codex)[-2:]] == ["task_logger", "anyone"]


def test_a_date_in_the_future_is_refused(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = (codex / "TASK-LOG.json").read_bytes()
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    refused = techcat("log", "-a", "planner", "-s", "Planned", "--date", future, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (f"techcat: date {future} is in the future (today is {dt.date.today().isoformat()}); "
                              "log a task once it is done\n")
    bad = techcat("log", "-a", "planner", "-s", "Planned", "--date", "2025-02-30", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr == "techcat: date '2025-02-30' is not a calendar date in YYYY-MM-DD form\n"
    assert (codex / "TASK-LOG.json").read_bytes() == before
    past = techcat("log", "-a", "planner", "-s", "Planned", "--date", "2025-07-09", cwd=tmp_path)
    assert past.returncode == 0 and _log(codex)[-1]["date"] == "2025-07-09"


def test_a_multi_line_summary_is_refused_not_folded(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = (codex / "TASK-LOG.json").read_bytes()
    refused = techcat("log", "-a", "planner", "-s", "Planned the release.\nAlso fixed CI.", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == ("techcat: the summary has 2 lines; the task log holds one line per task, so write "
                              "one line (the details belong in the files it names)\n")
    assert (codex / "TASK-LOG.json").read_bytes() == before
    blank = techcat("log", "-a", "planner", "-s", "   ", cwd=tmp_path)
    assert blank.returncode == 2 and "the summary is empty" in blank.stderr


def test_an_output_file_that_does_not_exist_is_logged_with_a_warning(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    assert (tmp_path / "apps/web/home.tsx").is_file()  # the builder writes it
    logged = techcat("log", "-a", "frontend_specialist", "-s", "Pages", "-f", "apps/web/home.tsx",
                     "./apps/web/gone.tsx", "apps\\web\\home.tsx", cwd=tmp_path)
    assert logged.returncode == 0, logged
    assert logged.stderr == (f"techcat: warning: output file apps/web/gone.tsx does not exist in "
                             f"{tmp_path.resolve()}; logged as given (check the spelling)\n")
    assert logged.stdout.splitlines()[1] == "  2 files: apps/web/home.tsx, apps/web/gone.tsx"
    assert _log(codex)[-1]["output_files"] == ["apps/web/home.tsx", "apps/web/gone.tsx"]
    one = techcat("log", "-a", "frontend_specialist", "-s", "Home", "-f", "apps/web/home.tsx", cwd=tmp_path)
    assert one.stderr == "" and one.stdout.splitlines()[1] == "  1 file: apps/web/home.tsx"


def test_agents_says_1_task_not_1_tasks(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[entry(1), entry(2, agent="planner"), entry(3, agent="planner")])
    lines = {line.split()[0]: line for line in techcat("agents", cwd=tmp_path).stdout.splitlines()}
    assert "frontend_specialist     1 task  " in lines["frontend_specialist"]
    assert "planner                 2 tasks " in lines["planner"]
    assert "task_logger             0 tasks " in lines["task_logger"]


def test_import_counts_one_entry_and_one_block_in_the_singular(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=[])
    old = tmp_path / "OLD.md"
    old.write_text("### Task Completed\n- **Task ID:** task-007\n- **Agent:** planner\n- **Date:** 2025-07-01\n"
                   "- **Summary:** Planned\n\n### Task Completed\n- **Agent:** planner\n", encoding="utf-8")
    result = techcat("import-log", str(old), cwd=tmp_path)
    assert result.returncode == 0, result
    assert result.stdout.startswith("imported 1 entry into ")
    assert "; 1 block skipped (see above)" in result.stdout

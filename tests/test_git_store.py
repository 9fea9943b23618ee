"""Git-aware store features on real repositories: merge driver, append-only, drift, log --from-git, commits."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from techcat_core.gitops import GitProblem, changed_since, commit_paths, file_at_head
from techcat_core.positions import Position, Range
from tests.gitutil import GIT_ENV, commit_all, git, init_repo, techcat
from tests.wsbuilder import codes, entry, make_workspace


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root)
    assert techcat("init", "--git", cwd=root).returncode == 0
    commit_all(root, "start")
    return root


def _log(root: Path) -> list[dict[str, object]]:
    data = json.loads((root / ".codex" / "TASK-LOG.json").read_text())
    assert isinstance(data, list)
    return data


def _range(line: int, character: int, end_line: int, end_character: int) -> dict[str, dict[str, int]]:
    """A range as `techcat check --format json` writes it (zero-based, end exclusive)."""
    return {"start": {"line": line, "character": character}, "end": {"line": end_line, "character": end_character}}


def _append_on(root: Path, branch: str, summaries: list[str], date: str) -> None:
    git(root, "checkout", "-q", branch)
    for summary in summaries:
        result = techcat("log", "--agent", "planner", "--summary", summary, "--date", date, cwd=root)
        assert result.returncode == 0, result.stderr
    commit_all(root, f"work on {branch}")


def test_two_branches_merge_without_conflict(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "feature")
    _append_on(root, "main", ["main one", "main two"], "2025-07-10")
    _append_on(root, "feature", ["feature one", "feature two"], "2025-07-09")
    git(root, "checkout", "-q", "main")
    merged = git(root, "merge", "--no-edit", "feature", check=False)
    assert "CONFLICT" not in merged
    assert git(root, "status", "--porcelain") == ""
    entries = _log(root)
    summaries = [e["summary"] for e in entries]
    assert {"main one", "main two", "feature one", "feature two"} <= set(summaries)
    ids = [e["task_id"] for e in entries]
    assert len(ids) == len(set(ids)) == 6
    # the union is in date order: the feature's older entries come before main's newer ones
    assert summaries.index("feature two") < summaries.index("main one")
    assert techcat("check", cwd=root).returncode == 0


def test_three_branches_merge_without_conflict(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "a")
    git(root, "branch", "b")
    _append_on(root, "main", ["main"], "2025-07-10")
    _append_on(root, "a", ["a1", "a2"], "2025-07-11")
    _append_on(root, "b", ["b1", "b2", "b3"], "2025-07-12")
    git(root, "checkout", "-q", "main")
    for branch in ("a", "b"):
        merged = git(root, "merge", "--no-edit", branch, check=False)
        assert "CONFLICT" not in merged, merged
        assert git(root, "status", "--porcelain") == ""  # merged and committed, nothing left unmerged
        assert git(root, "diff", "--name-only", "--diff-filter=U") == ""
        assert git(root, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False) == ""
    assert len(git(root, "rev-list", "--merges", "HEAD").split()) == 2  # two real merge commits
    entries = _log(root)
    summaries = [str(e["summary"]) for e in entries]
    # every branch's entries, once each, after the two the repository started with
    assert sorted(summaries[2:]) == ["a1", "a2", "b1", "b2", "b3", "main"]
    assert summaries[:2] == ["Did task number 1.", "Did task number 2."]
    ids = [e["task_id"] for e in entries]
    assert len(ids) == len(set(ids)) == 2 + 1 + 2 + 3
    assert techcat("check", cwd=root).returncode == 0


def test_merge_driver_refuses_missing_paths(tmp_path: Path) -> None:
    present = tmp_path / "present.json"
    present.write_text("[]\n")
    for args in (["gone-base", "gone-ours", "gone-theirs"], [str(present), "gone-ours", str(present)],
                 [str(present), str(present), "gone-theirs"]):
        result = techcat("merge-driver", *args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "no such file" in result.stderr and "Traceback" not in result.stderr
        for name in args:
            if name.startswith("gone-"):
                assert name in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["present.json"]  # nothing was written
    assert present.read_text() == "[]\n"


def test_without_the_driver_git_conflicts(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root)
    commit_all(root, "start")
    git(root, "branch", "feature")
    _append_on(root, "main", ["m"], "2025-07-10")
    _append_on(root, "feature", ["f"], "2025-07-10")
    git(root, "checkout", "-q", "main")
    assert "CONFLICT" in git(root, "merge", "--no-edit", "feature", check=False)


def test_check_fix_repairs_duplicates_after_a_hand_merge(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    log = root / ".codex" / "TASK-LOG.json"
    data = _log(root)
    data += [entry(3, summary="ours"), entry(3, summary="theirs")]
    log.write_text(json.dumps(data, indent=2) + "\n")
    assert techcat("check", cwd=root).returncode == 1
    fixed = techcat("check", "--fix", cwd=root)
    assert fixed.returncode == 0, fixed.stdout
    assert [e["task_id"] for e in _log(root)] == ["task-001", "task-002", "task-003", "task-004"]


def test_history_rewrite_is_reported(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    log = root / ".codex" / "TASK-LOG.json"
    data = _log(root)
    data[0]["summary"] = "Rewritten."
    log.write_text(json.dumps(data, indent=2) + "\n")
    result = techcat("check", "--format", "json", cwd=root)
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    # the only problem, at the `{` that opens the rewritten entry (line 2, column 3)
    assert [(d["code"], d["range"]) for d in payload["diagnostics"]] == [("TC403", _range(1, 2, 1, 3))]
    assert "task-001 was changed" in payload["diagnostics"][0]["message"]
    data.pop(0)
    log.write_text(json.dumps(data, indent=2) + "\n")
    payload = json.loads(techcat("check", "--format", "json", cwd=root).stdout)
    removed = [d for d in payload["diagnostics"] if d["code"] == "TC403"]
    # a removed entry has no place of its own: it is reported at the `[` that opens the log
    assert [(d["range"], d["message"].split(";")[0]) for d in removed] == [
        (_range(0, 0, 0, 1), "task-001 (in the last commit) was removed")]
    # and the only other problem is the one the removal causes: PROPOSED-TASKS.md cites task-001
    assert sorted(d["code"] for d in payload["diagnostics"]) == ["TC302", "TC403"]


def test_drift_reports_unlogged_commits_and_its_fix_logs_them(tmp_path: Path) -> None:
    from techcat_core.engine import apply_fixes, check_path

    root = _repo(tmp_path)
    for name in ("a", "b"):
        (root / "apps" / "web" / f"{name}.tsx").write_text("x\n")
        commit_all(root, f"Add {name}")
    result = check_path(root / ".codex")
    drift = result.diagnostics
    assert [d.code for d in drift] == ["TC404"]  # the only diagnostic
    assert drift[0].message.startswith("2 commits since the last logged task")
    # at the `{` that opens the last logged entry, task-002 (line 11, column 3)
    assert drift[0].range == Range(Position(10, 2), Position(10, 3))
    fix = drift[0].fixes[0]
    assert not fix.safe and fix.title == "Log the 2 unlogged commits as task-003"
    assert [e.range for e in fix.edits] == [Range(Position(18, 3), Position(18, 3))]  # right after task-002's `}`
    for path, text in apply_fixes([fix], result.workspace.texts).items():
        path.write_text(text)
    last = _log(root)[-1]
    assert last["task_id"] == "task-003" and last["agent"] == "task_logger"
    assert last["output_files"] == ["apps/web/a.tsx", "apps/web/b.tsx"]
    assert last["summary"] == "Add a; Add b"
    # until the log change is committed the note stays, now on the new entry; nothing else is reported
    pending = check_path(root / ".codex").diagnostics
    assert [(d.code, d.range) for d in pending] == [("TC404", Range(Position(19, 2), Position(19, 3)))]
    commit_all(root, "log the drift")
    assert check_path(root / ".codex").diagnostics == []  # the fix yields a clean check
    assert techcat("check", "--strict", cwd=root).returncode == 0


def test_log_from_git_fills_output_files(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    start = git(root, "rev-parse", "HEAD").strip()
    (root / "apps" / "web" / "new.tsx").write_text("new\n")
    commit_all(root, "new page")
    (root / "apps" / "web" / "home.tsx").write_text("changed\n")  # modified, not committed
    (root / "notes.md").write_text("untracked\n")
    result = techcat("log", "-a", "frontend_specialist", "-s", "Built pages", "--from-git", start, cwd=root)
    assert result.returncode == 0, result.stderr
    assert _log(root)[-1]["output_files"] == ["apps/web/home.tsx", "apps/web/new.tsx", "notes.md"]


def test_log_errors_are_sentences(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    bad = techcat("log", "-a", "planner", "-s", "x", "--from-git", "nope", cwd=root)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nope" in bad.stderr
    outside = techcat("log", "-a", "planner", "-s", "x", "--files", "../etc/passwd", cwd=root)
    assert outside.returncode == 2 and "escapes the repository" in outside.stderr
    nowhere = techcat("log", "-a", "planner", "-s", "x", cwd=tmp_path)
    assert nowhere.returncode == 2 and "techcat init" in nowhere.stderr


def test_git_helpers(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    log = root / ".codex" / "TASK-LOG.json"
    assert file_at_head(log) == log.read_text()
    (root / "staged.txt").write_text("staged\n")
    git(root, "add", "staged.txt")
    (root / "mine.txt").write_text("mine\n")
    sha = commit_paths(root, ["mine.txt"], "commit exactly mine")
    assert git(root, "show", "--name-only", "--format=", sha).split() == ["mine.txt"]
    assert "A  staged.txt" in git(root, "status", "--porcelain")  # still staged, not committed
    assert changed_since(root, "HEAD") == ["staged.txt"]
    with pytest.raises(GitProblem, match="not inside a git repository"):
        changed_since(tmp_path, "HEAD")
    with pytest.raises(GitProblem, match="revision"):
        changed_since(root, "no-such-rev")
    (root / ".git" / "index.lock").write_text("")
    with pytest.raises(GitProblem, match="index is locked"):
        commit_paths(root, ["mine.txt"], "blocked")


def test_no_head_and_detached(tmp_path: Path) -> None:
    from techcat_core.gitops import current_branch

    root = tmp_path / "fresh"
    root.mkdir()
    init_repo(root)
    codex = make_workspace(root)
    assert file_at_head(codex / "TASK-LOG.json") is None
    assert codes(__import__("techcat_core.engine", fromlist=["check_path"]).check_path(codex)) == []
    commit_all(root, "one")
    git(root, "checkout", "-q", "--detach")
    assert current_branch(root).startswith("detached")


def _repo_with_unlogged_commits(tmp_path: Path, count: int) -> Path:
    root = _repo(tmp_path)
    for n in range(count):
        (root / "apps" / "web" / f"page{n}.tsx").write_text(f"page {n}\n")
        commit_all(root, f"Add page {n}")
    return root


def _check_json(root: Path) -> tuple[int, list[dict[str, object]]]:
    result = techcat("check", "--format", "json", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    diagnostics = json.loads(result.stdout)["diagnostics"]
    assert isinstance(diagnostics, list)
    return result.returncode, diagnostics


def test_shallow_clone_says_so_and_how_to_fix_it(tmp_path: Path) -> None:
    origin = _repo_with_unlogged_commits(tmp_path, 4)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    logged = techcat("log", "-a", "planner", "-s", "x", "--from-git", "HEAD~3", cwd=clone)
    assert logged.returncode == 2 and "Traceback" not in logged.stderr
    assert "HEAD~3" in logged.stderr and "shallow clone" in logged.stderr and "git fetch --unshallow" in logged.stderr
    assert git(clone, "status", "--porcelain") == ""  # nothing was appended
    # check runs (exit 0: notes only) and says why TC404 could not count, instead of a silent "no drift"
    code, diagnostics = _check_json(clone)
    assert code == 0
    assert [(d["code"], d["severity"], d["range"]) for d in diagnostics] == [("TC405", "info", _range(0, 0, 0, 1))]
    message = str(diagnostics[0]["message"])
    assert message.startswith("git history check TC404 (unlogged commits) was skipped: this is a shallow clone")
    assert "git fetch --unshallow" in message
    # and the advice works: with the whole history the drift is counted
    git(clone, "fetch", "-q", "--unshallow")
    code, diagnostics = _check_json(clone)
    assert code == 0 and [d["code"] for d in diagnostics] == ["TC404"]
    assert str(diagnostics[0]["message"]).startswith("4 commits since the last logged task (")


def test_shallow_clone_deep_enough_needs_no_note(tmp_path: Path) -> None:
    origin = _repo_with_unlogged_commits(tmp_path, 0)
    assert techcat("log", "-a", "planner", "-s", "Planned", "--date", "2025-07-09", cwd=origin).returncode == 0
    commit_all(origin, "Log a task")
    (origin / "apps" / "web" / "more.tsx").write_text("more\n")
    commit_all(origin, "Add more")
    clone = tmp_path / "clone"
    # three commits: the one that last changed the log is not at the boundary (its parent was fetched)
    git(tmp_path, "clone", "-q", "--depth", "3", f"file://{origin}", str(clone))
    code, diagnostics = _check_json(clone)
    assert code == 0
    assert [(d["code"], str(d["message"])) for d in diagnostics] == [
        ("TC404", f"1 commit since the last logged task ({git(clone, 'rev-parse', 'HEAD').strip()[:8]}) has no "
                  "task-log entry")]


def test_detached_head_check_and_log(tmp_path: Path) -> None:
    root = _repo_with_unlogged_commits(tmp_path, 3)
    git(root, "checkout", "-q", "--detach", "HEAD~1")
    assert git(root, "branch", "--show-current").strip() == ""
    code, diagnostics = _check_json(root)
    assert code == 0
    assert [d["code"] for d in diagnostics] == ["TC404"]  # the history rules ran, on the detached commit
    assert str(diagnostics[0]["message"]).startswith("2 commits since the last logged task (")
    logged = techcat("log", "-a", "planner", "-s", "Pages", "--from-git", "HEAD~1", cwd=root)
    assert logged.returncode == 0, logged.stderr
    assert _log(root)[-1]["output_files"] == ["apps/web/page1.tsx"]
    assert _log(root)[-1]["task_id"] == "task-003"


def _drop_object(root: Path, revision: str) -> None:
    sha = git(root, "rev-parse", revision).strip()
    (root / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def test_a_damaged_repository_skips_the_history_checks_with_a_note(tmp_path: Path) -> None:
    from techcat_core.engine import check_path
    from techcat_core.history import history_rules
    from techcat_core.workspace import load_workspace

    root = _repo_with_unlogged_commits(tmp_path, 2)
    _drop_object(root, "HEAD")  # HEAD names a commit git cannot read
    found = history_rules(load_workspace(root / ".codex"))
    assert [(d.code, d.severity.label, d.range) for d in found] == [
        ("TC405", "info", Range(Position(0, 0), Position(0, 1)))]
    assert found[0].message.startswith("git history checks TC403 (append-only) and TC404 (unlogged commits) were "
                                       "skipped: git cannot read HEAD's commit")
    assert "git fsck" in found[0].message and "--no-git" in found[0].message
    # the other checks still run beside the note, and `--no-git` leaves the note out
    log = root / ".codex" / "TASK-LOG.json"
    log.write_text(log.read_text().replace('"2025-07-02"', '"2025/07/02"'))
    code, diagnostics = _check_json(root)
    assert code == 1 and sorted(str(d["code"]) for d in diagnostics) == ["TC108", "TC405"]
    assert codes(check_path(root / ".codex", git=False)) == ["TC108"]


def test_a_missing_parent_commit_skips_only_the_drift_check(tmp_path: Path) -> None:
    root = _repo_with_unlogged_commits(tmp_path, 2)
    _drop_object(root, "HEAD~1")  # git log cannot walk past it; HEAD and its log are still readable
    log = root / ".codex" / "TASK-LOG.json"
    data = _log(root)
    data[0]["summary"] = "Rewritten."
    log.write_text(json.dumps(data, indent=2) + "\n")
    code, diagnostics = _check_json(root)
    assert code == 1
    # TC403 still runs (it needs only HEAD), and the note names the one check that could not
    assert [(d["code"], d["range"]) for d in diagnostics] == [("TC405", _range(0, 0, 0, 1)),
                                                             ("TC403", _range(1, 2, 1, 3))]
    assert str(diagnostics[0]["message"]).startswith("git history check TC404 (unlogged commits) was skipped: ")


def test_strict_does_not_count_the_history_note(tmp_path: Path) -> None:
    origin = _repo_with_unlogged_commits(tmp_path, 0)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    strict = techcat("check", "--strict", "--format", "json", cwd=clone)
    assert [d["code"] for d in json.loads(strict.stdout)["diagnostics"]] == ["TC405"]
    assert strict.returncode == 0


# -- the three-way merge driver under real git operations ---------------------------------------------------------


def _append(root: Path, summaries: list[str], date: str = "2025-07-10") -> None:
    """Append in-process through the store (real files), quicker than one CLI process per entry."""
    from techcat_core.tasklog.store import append_entry

    for summary in summaries:
        append_entry(root / ".codex", "planner", summary, date=date)


def _commit_entries(root: Path, summaries: list[str], date: str = "2025-07-10") -> None:
    _append(root, summaries, date)
    commit_all(root, f"log {summaries[0]}")


def _exactly_once(root: Path) -> list[str]:
    """The summaries of the log, after checking every id and every entry's content occurs once."""
    entries = _log(root)
    ids = [e["task_id"] for e in entries]
    assert len(ids) == len(set(ids)), ids
    summaries = [str(e["summary"]) for e in entries]
    assert len(summaries) == len(set(summaries)), summaries
    return summaries


START = ["Did task number 1.", "Did task number 2."]


def test_merging_main_into_a_feature_twice_repeats_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "feature")
    _commit_entries(root, ["main 1"])
    git(root, "checkout", "-q", "feature")
    _commit_entries(root, ["feature 1"])
    assert "CONFLICT" not in git(root, "merge", "--no-edit", "main")
    git(root, "checkout", "-q", "main")
    _commit_entries(root, ["main 2"])
    git(root, "checkout", "-q", "feature")
    _commit_entries(root, ["feature 2"])
    assert "CONFLICT" not in git(root, "merge", "--no-edit", "main")
    assert sorted(_exactly_once(root)) == sorted([*START, "main 1", "main 2", "feature 1", "feature 2"])
    git(root, "checkout", "-q", "main")
    git(root, "merge", "--no-edit", "feature")  # and back: main now holds the same entries, once each
    assert sorted(_exactly_once(root)) == sorted([*START, "main 1", "main 2", "feature 1", "feature 2"])
    result = techcat("check", "--format", "json", cwd=root)
    assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == []


def test_rebasing_ten_logging_commits_onto_ten_gives_exactly_the_union(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root, log=[entry(n) for n in (1, 2, 3)])
    assert techcat("init", "--git", cwd=root).returncode == 0
    commit_all(root, "start")
    git(root, "branch", "feature")
    for n in range(10):
        _commit_entries(root, [f"main {n}.{k}" for k in range(5)])
    git(root, "checkout", "-q", "feature")
    for n in range(10):
        _commit_entries(root, [f"feature {n}.{k}" for k in range(5)], date="2025-07-11")
    rebased = subprocess.run(["git", "rebase", "main"], cwd=root, env=GIT_ENV, capture_output=True, text=True,
                             check=False)
    assert rebased.returncode == 0, rebased.stdout + rebased.stderr
    summaries = _exactly_once(root)
    assert len(summaries) == 3 + 50 + 50 == 103
    assert summaries[3:] == [f"main {n}.{k}" for n in range(10) for k in range(5)] + \
        [f"feature {n}.{k}" for n in range(10) for k in range(5)]
    assert [e["task_id"] for e in _log(root)] == [f"task-{n:03d}" for n in range(1, 104)]


def test_interactive_rebase_with_exec_keeps_every_entry_once(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "feature")
    _commit_entries(root, ["main 1"])
    _commit_entries(root, ["main 2"])
    git(root, "checkout", "-q", "feature")
    for n in range(1, 5):
        _commit_entries(root, [f"feature {n}"], date="2025-07-11")
    # the todo list, reversed, with an `exec` after the first pick that logs and commits one more entry
    editor = tmp_path / "sequence_editor.py"
    log_cmd = (f"{shlex.quote(sys.executable)} -m techcat_cli.main log -a planner -s 'logged by exec' "
               "--date 2025-07-12 && git commit -qam 'exec entry'")
    editor.write_text(textwrap.dedent(f"""
        import sys
        path = sys.argv[1]
        picks = [line for line in open(path) if line.startswith("pick ")]
        picks.reverse()
        picks.insert(1, {("exec " + log_cmd + chr(10))!r})
        open(path, "w").writelines(picks)
    """))
    env = {**GIT_ENV, "GIT_SEQUENCE_EDITOR": f"{shlex.quote(sys.executable)} {shlex.quote(str(editor))}"}
    rebased = subprocess.run(["git", "rebase", "-i", "main"], cwd=root, env=env, capture_output=True, text=True,
                             check=False)
    assert rebased.returncode == 0, rebased.stdout + rebased.stderr
    assert "exec" in git(root, "log", "--format=%s", "-n", "4")
    summaries = _exactly_once(root)
    assert summaries == [*START, "main 1", "main 2", "feature 4", "feature 3", "feature 2", "feature 1",
                         "logged by exec"]


def test_cherry_pick_brings_only_its_entry_and_revert_removes_it(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "feature")
    _commit_entries(root, ["main 1"])
    git(root, "checkout", "-q", "feature")
    _commit_entries(root, ["feature 1"])
    _commit_entries(root, ["feature 2"])
    picked = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "main")
    git(root, "cherry-pick", picked)
    assert _exactly_once(root) == [*START, "main 1", "feature 2"]
    assert _log(root)[-1]["task_id"] == "task-004"  # its id was taken by main 1: the next free one
    _commit_entries(root, ["main 2"])
    git(root, "revert", "--no-edit", "HEAD~1")
    assert _exactly_once(root) == [*START, "main 1", "main 2"]


def test_an_entry_deleted_on_one_side_stays_deleted(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "feature")
    log = root / ".codex" / "TASK-LOG.json"
    data = _log(root)
    log.write_text(json.dumps(data[1:], indent=2) + "\n")  # main deletes task-001 (on purpose)
    commit_all(root, "drop the first entry")
    git(root, "checkout", "-q", "feature")
    _commit_entries(root, ["feature 1"])
    git(root, "checkout", "-q", "main")
    assert "CONFLICT" not in git(root, "merge", "--no-edit", "feature")
    assert _exactly_once(root) == [START[1], "feature 1"]
    git(root, "checkout", "-q", "feature")
    assert "CONFLICT" not in git(root, "merge", "--no-edit", "main")
    assert _exactly_once(root) == [START[1], "feature 1"]


def test_different_edits_to_one_entry_are_a_reported_conflict(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "branch", "feature")
    log = root / ".codex" / "TASK-LOG.json"
    for branch, summary in (("main", "Fixed on main."), ("feature", "Fixed on the feature.")):
        git(root, "checkout", "-q", branch)
        log.write_text(log.read_text().replace('"Did task number 2."', json.dumps(summary)))
        _append(root, [f"{branch} work"])
        commit_all(root, f"edit on {branch}")
    git(root, "checkout", "-q", "main")
    merged = subprocess.run(["git", "merge", "--no-edit", "feature"], cwd=root, env=GIT_ENV, capture_output=True,
                            text=True, check=False)
    assert merged.returncode == 1
    assert "CONFLICT (content): Merge conflict in .codex/TASK-LOG.json" in merged.stdout
    assert "task-002 was changed differently on both branches" in merged.stdout + merged.stderr
    assert git(root, "diff", "--name-only", "--diff-filter=U").split() == [".codex/TASK-LOG.json"]
    text = log.read_text()
    assert text.count("<<<<<<< ours: task-002 on this branch\n") == 1
    assert text.count('"Fixed on main."') == 1 and text.count('"Fixed on the feature."') == 1
    assert text.count('"main work"') == 1 and text.count('"feature work"') == 1  # the rest is merged
    assert techcat("check", cwd=root).returncode == 1  # never "All checks passed" with markers in it

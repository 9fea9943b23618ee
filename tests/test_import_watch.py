"""Legacy Markdown import and the workspace watcher."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from techcat_core.watcher import ChangeKind, watch_workspace
from tests.gitutil import techcat
from tests.wsbuilder import make_workspace

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
needs_shared = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is absent on this machine")


@needs_shared
def test_import_real_legacy_log(tmp_path: Path) -> None:
    studio = REALWORLD / "techcat-studio"
    codex = tmp_path / ".codex"
    shutil.copytree(studio / ".codex", codex)
    for path in [codex, *codex.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (codex / "TASK-LOG.json").write_text("[]\n")
    for line in (studio / "FILES-AT-HEAD.txt").read_text().splitlines():
        if line.strip() and not line.startswith(".codex/"):
            target = tmp_path / line.strip()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
    result = techcat("import-log", str(studio / "legacy-TASK-LOG.md"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "imported 35 entries" in result.stdout
    assert "task-019 is already taken; imported as task-020" in result.stderr
    entries = json.loads((codex / "TASK-LOG.json").read_text())
    assert len(entries) == 35
    check = json.loads(techcat("check", "--format", "json", "--no-git", cwd=tmp_path).stdout)
    found = {(d["code"], d["message"].split(" is not")[0]) for d in check["diagnostics"]
             if d["path"].endswith("TASK-LOG.json")}
    # what remains are faults the old log really has: agents outside the roster, and gaps in its ids
    assert {code for code, _ in found} <= {"TC401", "TC112", "TC114"}
    assert ("TC401", "agent `backend_engineer`") in found
    assert ("TC401", "agent `backend_refactorer`") in found


def test_import_reports_what_it_cannot_read(tmp_path: Path) -> None:
    make_workspace(tmp_path, log="[]\n")
    old = tmp_path / "old.md"
    old.write_text("### Task Completed\n\n**Agent:** planner\n**Task Id:** task-001\n**Date:** 2025-07-01\n"
                   "**Summary:** Planned.\n**Output Files:** [`.codex/PROPOSED-TASKS.md`]\n\n---\n\n"
                   "### Task Completed\n\n**Task Id:** task-002\n**Date:** 2025-07-02\n")
    result = techcat("import-log", str(old), cwd=tmp_path)
    assert result.returncode == 0
    assert f"{old}:11: block skipped: no agent or summary" in result.stderr
    entries = json.loads((tmp_path / ".codex" / "TASK-LOG.json").read_text())
    assert entries == [{"task_id": "task-001", "agent": "planner", "date": "2025-07-01", "summary": "Planned.",
                        "output_files": [".codex/PROPOSED-TASKS.md"]}]


async def test_watcher_sees_another_process_append(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    stop, ready, arrived = asyncio.Event(), asyncio.Event(), asyncio.Event()
    events = []

    async def consume() -> None:
        async for event in watch_workspace(codex, stop=stop, ready=ready):
            events.append((time.monotonic(), event))
            arrived.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(ready.wait(), 30)  # the watcher says when its watch is in place
    # the store's own temp and lock files appear during the append; they must not produce events of their own
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from pathlib import Path; from techcat_core.tasklog.store import "
        "append_entry; append_entry(Path(sys.argv[1]), 'planner', 'from another process')", str(codex), env=env)
    assert await proc.wait() == 0
    done = time.monotonic()
    await asyncio.wait_for(arrived.wait(), 30)
    # anything else the append caused would come before the event of a later write: make one and wait for it
    (codex / "PRD.md").write_text("# PRD\n\nVision, revised.\n", encoding="utf-8")
    while not any(ChangeKind.PRD in event.kinds for _, event in events):
        arrived.clear()
        await asyncio.wait_for(arrived.wait(), 30)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert [event.kinds for _, event in events] == [frozenset({ChangeKind.TASK_LOG}), frozenset({ChangeKind.PRD})]
    seen_at, event = events[0]
    assert event.workspace.task_log is not None
    assert event.workspace.task_log.entries[-1].summary == "from another process"
    assert seen_at - done < 1.0  # debounced at 50 ms: well under a second even on a busy machine


def test_watcher_ignores_scratch_files() -> None:
    from techcat_core.watcher import is_ignored

    assert is_ignored(Path("/w/.codex/.techcat-tmp-abc"))
    assert is_ignored(Path("/w/.codex/.techcat/task-log.lock"))
    assert not is_ignored(Path("/w/.codex/TASK-LOG.json"))


def test_subprocess_cli_never_tracebacks_on_garbage(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=b"\xff\xfe[{".decode("latin-1"))
    result = subprocess.run([sys.executable, "-m", "techcat_cli.main", "check"], cwd=tmp_path, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout

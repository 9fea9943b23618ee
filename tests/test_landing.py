"""Landing a ChangeSet (runtime/landing.py) in a real working tree: confined, three-way, all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from techcat_core.runtime.changes import ChangeSet, FileChange
from techcat_core.runtime.landing import LandingRefused, land, merge3, plan_landing
from tests.wsbuilder import make_workspace

OUTPUTS = ["apps/web/**"]
BASE = b"line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n"


def test_the_users_uncommitted_edit_survives_a_three_way_apply(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    page = tmp_path / "apps/web/page.tsx"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(BASE.replace(b"line 1", b"line 1 edited by you"))
    run = BASE.replace(b"line 6", b"line 6 changed by the run")
    landings = plan_landing(tmp_path, ChangeSet((FileChange("apps/web/page.tsx", BASE, run),)), OUTPUTS)
    assert landings[0].merged
    entry = land(codex, "frontend_specialist", landings, "Changed line 6", dt.date(2025, 8, 1))
    assert page.read_bytes() == b"line 1 edited by you\nline 2\nline 3\nline 4\nline 5\nline 6 changed by the run\n"
    assert entry["output_files"] == ["apps/web/page.tsx"]
    assert json.loads((codex / "TASK-LOG.json").read_text())[-1] == entry


def test_a_conflict_refuses_naming_the_file_and_changes_nothing(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (tmp_path / "apps/web").mkdir(parents=True, exist_ok=True)
    clean, clashing = tmp_path / "apps/web/a.tsx", tmp_path / "apps/web/b.tsx"
    clean.write_bytes(BASE)
    clashing.write_bytes(BASE.replace(b"line 3", b"line 3 by you"))
    log_before = (codex / "TASK-LOG.json").read_bytes()
    changes = ChangeSet((FileChange("apps/web/a.tsx", BASE, b"new a\n"),
                         FileChange("apps/web/b.tsx", BASE, BASE.replace(b"line 3", b"line 3 by the run"))))
    with pytest.raises(LandingRefused, match=r"conflict with what changed in apps/web/b.tsx since it started "
                                             r"\(your edits or another run's\); nothing was applied") as refused:
        plan_landing(tmp_path, changes, OUTPUTS)
    assert refused.value.paths == ("apps/web/b.tsx",)
    assert clean.read_bytes() == BASE and (codex / "TASK-LOG.json").read_bytes() == log_before


@pytest.mark.parametrize("path, reason", [
    (".git/config", "lies inside .git/"),
    ("src/server.py", "is not among this agent's outputs"),
    (".codex/TASK-LOG.json", "is the task log"),
    ("apps/web/../../etc/x", "has a `..` part"),
])
def test_one_stray_path_refuses_the_whole_run(tmp_path: Path, path: str, reason: str) -> None:
    make_workspace(tmp_path)
    changes = ChangeSet((FileChange("apps/web/ok.tsx", None, b"fine\n"), FileChange(path, None, b"evil\n")))
    with pytest.raises(LandingRefused, match="the whole run was refused and nothing was applied") as refused:
        plan_landing(tmp_path, changes, OUTPUTS)
    assert reason in str(refused.value) and refused.value.paths == (path,)
    assert not (tmp_path / "apps/web/ok.tsx").exists()


def test_deletions_modes_and_binary_files(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    web = tmp_path / "apps/web"
    web.mkdir(parents=True, exist_ok=True)
    (web / "old.tsx").write_bytes(b"old\n")
    (web / "logo.png").write_bytes(b"\x89PNG\0v1")
    changes = ChangeSet((FileChange("apps/web/old.tsx", b"old\n", None),
                         FileChange("apps/web/run.sh", None, b"#!/bin/sh\necho hi\n", 0o100755),
                         FileChange("apps/web/logo.png", b"\x89PNG\0v1", b"\x89PNG\0v2")))
    land(codex, "frontend_specialist", plan_landing(tmp_path, changes, OUTPUTS), "Tidy", dt.date(2025, 8, 1))
    assert not (web / "old.tsx").exists()
    assert os.access(web / "run.sh", os.X_OK) and (web / "run.sh").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert (web / "logo.png").read_bytes() == b"\x89PNG\0v2"


def test_merge3_cases() -> None:
    assert merge3(b"a\n", b"a\n", b"b\n") == b"b\n"
    assert merge3(b"a\n", b"b\n", b"a\n") == b"b\n"
    assert merge3(None, None, b"new\n") == b"new\n"
    assert merge3(b"a\n", b"a\n", None) is None
    conflicts = [merge3(None, b"yours\n", b"run's\n"), merge3(b"a\n", None, b"b\n"), merge3(b"a\n", b"b\n", None),
                 merge3(b"\0a", b"\0b", b"\0c"), merge3(b"x\n", b"y\n", b"z\n")]
    assert all(not isinstance(c, bytes | None) for c in conflicts)


def test_a_failing_log_append_puts_every_file_back(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    web = tmp_path / "apps/web"
    web.mkdir(parents=True, exist_ok=True)
    (web / "a.tsx").write_bytes(b"mine\n")
    (codex / "TASK-LOG.json").write_text("[ not json")  # the store refuses to append to a broken log
    changes = ChangeSet((FileChange("apps/web/a.tsx", b"mine\n", b"run\n"), FileChange("apps/web/b.tsx", None, b"b")))
    with pytest.raises(Exception):  # noqa: B017 - the store's own error; what matters is what is on disk
        land(codex, "frontend_specialist", plan_landing(tmp_path, changes, OUTPUTS), "x", dt.date(2025, 8, 1))
    assert (web / "a.tsx").read_bytes() == b"mine\n" and not (web / "b.tsx").exists()

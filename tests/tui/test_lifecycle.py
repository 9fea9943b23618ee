"""The app's lifecycle rules without a screen: quick then exact loads, one check at a time, what a change asks for."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from techcat_core.watcher import ChangeAction, ChangeBatch, ChangeKind, PathChange
from techcat_tui.lifecycle import Lifecycle, LoadReason
from techcat_tui.snapshot import Snapshot, load_snapshot

TUI = Path(__file__).resolve().parents[2] / "techcat_tui"


def loaded(codex: Path, *, exact: bool = True) -> Snapshot:
    """A snapshot of the workspace; `exact=False`: as the quick first read gives it (no log state yet)."""
    snapshot = load_snapshot(codex)
    return snapshot if exact else replace(snapshot, exact=False, log_state=None)


def batch(codex: Path, *changes: tuple[str, ChangeKind]) -> ChangeBatch:
    return ChangeBatch(tuple(PathChange(codex / name, kind, ChangeAction.MODIFIED) for name, kind in changes))


def test_the_lifecycle_imports_no_textual() -> None:
    tree = ast.parse((TUI / "lifecycle.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] == "textual"}
    assert "techcat_tui.snapshot" in imported


def test_workers_only_post_messages() -> None:
    """No worker calls back into the app or a widget from its thread (issue 15: 15 `call_from_thread` before)."""
    offenders = [str(path.relative_to(TUI)) for path in TUI.rglob("*.py")
                 if "call_from_thread" in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_a_quick_load_is_completed_by_an_exact_one_and_then_checked(sample: Path) -> None:
    life = Lifecycle()
    quick = loaded(sample, exact=False)
    assert not quick.exact
    first = life.accept(quick, LoadReason.OPEN)
    assert first is not None and first.first and not first.check
    assert life.start_check() is None  # never on a quick snapshot
    assert life.first_screen_shown() is True  # the exact load starts now
    assert life.read_after(LoadReason.EXACT) is quick and life.read_after(LoadReason.DISK) is None
    exact = loaded(sample)
    done = life.accept(exact, LoadReason.EXACT)
    assert done is not None and done.check and not done.first and done.previous is quick
    assert life.start_check() is None  # the Problems view is not there yet: asked again once it is
    assert life.mounted() is True
    assert life.start_check() == 1 and life.check_target is exact.workspace


def test_an_exact_load_overtaken_by_a_reload_is_dropped(sample: Path) -> None:
    life = Lifecycle()
    life.accept(loaded(sample, exact=False), LoadReason.OPEN)
    life.first_screen_shown()
    reloaded = loaded(sample)
    accepted = life.accept(reloaded, LoadReason.RELOAD)
    assert accepted is not None and accepted.announce
    assert life.accept(loaded(sample), LoadReason.EXACT) is None
    assert life.snapshot is reloaded


def test_checks_run_one_at_a_time_with_one_more_queued(sample: Path) -> None:
    life = Lifecycle()
    life.accept(loaded(sample), LoadReason.OPEN)
    assert life.first_screen_shown() is False  # already exact: the check comes once the views are mounted
    assert life.mounted() is True
    assert life.start_check() == 1
    assert life.start_check() is None and life.start_check() is None  # queued once, not twice
    assert life.check_running
    assert life.check_finished() is True
    assert life.start_check() == 2
    assert life.check_finished() is False and not life.check_running


def test_catching_up_waits_for_the_watcher_and_the_exact_snapshot(sample: Path) -> None:
    life = Lifecycle()
    life.accept(loaded(sample, exact=False), LoadReason.OPEN)
    life.first_screen_shown()
    assert life.watch_ready() is False  # the quick snapshot has no exact end of log to read from
    accepted = life.accept(loaded(sample), LoadReason.EXACT)
    assert accepted is not None and accepted.catch_up
    life.watch_stopped()
    assert not life.can_catch_up()


def test_what_a_change_on_disk_asks_for(sample: Path) -> None:
    life = Lifecycle()
    life.accept(loaded(sample), LoadReason.OPEN)
    log = life.disk_changed(batch(sample, ("TASK-LOG.json", ChangeKind.TASK_LOG)))
    assert (log.read_tail, log.reload, log.refresh_git, log.refresh_previews) == (True, False, True, False)
    mixed = life.disk_changed(batch(sample, ("TASK-LOG.json", ChangeKind.TASK_LOG), ("AGENTS.md", ChangeKind.ROSTER)))
    assert (mixed.read_tail, mixed.reload) == (False, True)
    output = life.disk_changed(batch(sample.parent, ("apps/web/x.tsx", ChangeKind.OUTPUT_FILE)))
    assert (output.read_tail, output.reload, output.refresh_git, output.refresh_previews) == (False, False, True, True)
    other = life.disk_changed(batch(sample, ("NOTES.md", ChangeKind.OTHER)))
    assert (other.reload, other.refresh_git, other.external) == (False, False, (sample / "NOTES.md",))


def test_the_apps_own_writes_are_not_news(sample: Path) -> None:
    life = Lifecycle()
    life.accept(loaded(sample), LoadReason.OPEN)
    proposed = sample / "PROPOSED-TASKS.md"
    proposed.write_text(proposed.read_text(encoding="utf-8") + "- [ ] @planner One more\n", encoding="utf-8")
    life.record_own_write([proposed])
    assert life.disk_changed(batch(sample, ("PROPOSED-TASKS.md", ChangeKind.PROPOSED))).external == ()
    proposed.write_text(proposed.read_text(encoding="utf-8") + "- [ ] @planner Someone else's\n", encoding="utf-8")
    assert life.disk_changed(batch(sample, ("PROPOSED-TASKS.md", ChangeKind.PROPOSED))).external == (proposed,)


def test_appends_settle_once_per_burst(sample: Path) -> None:
    life = Lifecycle()
    snapshot = loaded(sample)
    life.accept(snapshot, LoadReason.OPEN)
    assert life.appended_to_current(len(snapshot.rows)) and not life.appended_to_current(len(snapshot.rows) - 1)
    assert life.arm_sync() is True
    assert life.arm_sync() is False
    life.sync_due()
    assert life.arm_sync() is True


def test_the_tui_sets_no_garbage_collector_policy_of_its_own() -> None:
    """The core's one policy (techcat_core.gc_policy) decides when a big log is built paused and frozen."""
    offenders = [str(path.relative_to(TUI)) for path in TUI.rglob("*.py")
                 if "import gc" in path.read_text(encoding="utf-8")]
    assert offenders == []

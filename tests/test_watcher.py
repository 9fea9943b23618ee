"""The one core watcher: classified batches (which kind of file, added / modified / deleted), a ready signal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.watcher import (
    ChangeAction,
    ChangeBatch,
    ChangeKind,
    PathChange,
    classify,
    classify_batch,
    watch_changes,
    watch_workspace,
)
from tests.wsbuilder import make_workspace


@contextlib.asynccontextmanager
async def watching(codex: Path, folders: tuple[Path, ...] = ()) -> AsyncIterator[asyncio.Queue[ChangeBatch]]:
    """The watcher running, with its batches in a queue; returns once the watcher says it is ready."""
    stop, ready = asyncio.Event(), asyncio.Event()
    queue: asyncio.Queue[ChangeBatch] = asyncio.Queue()

    async def consume() -> None:
        async for batch in watch_changes(codex, folders, stop=stop, ready=ready, debounce_ms=200, poll_ms=100):
            queue.put_nowait(batch)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(ready.wait(), timeout=20)
    try:
        yield queue
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


async def next_with(queue: asyncio.Queue[ChangeBatch], found: Callable[[PathChange], bool]) -> PathChange:
    """The first reported change `found` accepts (within a generous timeout)."""
    async def search() -> PathChange:
        while True:
            batch = await queue.get()
            for change in batch.changes:
                if found(change):
                    return change

    return await asyncio.wait_for(search(), timeout=20)


def test_classify_names_every_kind_of_file(tmp_path: Path) -> None:
    codex = tmp_path / ".codex"
    expected = {"TASK-LOG.json": ChangeKind.TASK_LOG, "AGENTS.md": ChangeKind.ROSTER,
                "PROPOSED-TASKS.md": ChangeKind.PROPOSED, "PRD.md": ChangeKind.PRD,
                "ARCHITECTURE.md": ChangeKind.ARCHITECTURE, "techcat.toml": ChangeKind.CONFIG,
                "agents/qa.md": ChangeKind.CUSTOM_AGENT, "prompts/x.md": ChangeKind.PROMPT,
                "templates/t.md": ChangeKind.TEMPLATE, "NOTES.md": ChangeKind.OTHER}
    assert {name: classify(codex / name, codex) for name in expected} == expected
    assert classify(tmp_path / "apps" / "web.tsx", codex) is ChangeKind.OUTPUT_FILE
    assert classify(codex, codex) is ChangeKind.OTHER  # the folder itself, removed: not an IndexError


async def test_removing_the_whole_folder_is_reported_not_a_crash(tmp_path: Path) -> None:
    import shutil

    codex = make_workspace(tmp_path).resolve()
    async with watching(codex) as queue:
        shutil.rmtree(codex)
        change = await next_with(queue, lambda c: c.path == codex)
        assert (change.kind, change.action) == (ChangeKind.OTHER, ChangeAction.DELETED)


def test_a_burst_reports_each_path_once_with_what_happened_to_it(tmp_path: Path) -> None:
    codex = tmp_path / ".codex"
    raw = [(3, str(codex / "AGENTS.md")), (1, str(codex / "AGENTS.md")),  # replaced by another tool
           (1, str(codex / "PRD.md")), (2, str(codex / "PRD.md")),  # created, then written
           (2, str(codex / "TASK-LOG.json")), (3, str(codex / "NOTES.md"))]
    batch = classify_batch(raw, codex)
    assert batch.changes == (
        PathChange(codex / "AGENTS.md", ChangeKind.ROSTER, ChangeAction.MODIFIED),
        PathChange(codex / "NOTES.md", ChangeKind.OTHER, ChangeAction.DELETED),
        PathChange(codex / "PRD.md", ChangeKind.PRD, ChangeAction.ADDED),
        PathChange(codex / "TASK-LOG.json", ChangeKind.TASK_LOG, ChangeAction.MODIFIED),
    )
    assert batch.kinds == {ChangeKind.ROSTER, ChangeKind.OTHER, ChangeKind.PRD, ChangeKind.TASK_LOG}
    assert batch.describe(tmp_path) == ".codex/AGENTS.md, .codex/NOTES.md, .codex/PRD.md and 1 more changed on disk"
    assert batch.of_kind(ChangeKind.PRD) == (batch.changes[2],)


async def test_the_watcher_reports_added_modified_and_deleted_files_by_kind(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path).resolve()
    async with watching(codex) as queue:
        (codex / "PROPOSED-TASKS.md").write_text("- [ ] @planner Plan\n", encoding="utf-8")
        change = await next_with(queue, lambda c: c.path.name == "PROPOSED-TASKS.md")
        assert (change.kind, change.action) == (ChangeKind.PROPOSED, ChangeAction.MODIFIED)

        (codex / "agents").mkdir()
        # a file made before the watcher has its watch on the new folder can be missed by inotify: wait for the
        # folder's own report first, as a user's editor would take longer than that anyway
        await next_with(queue, lambda c: c.path == codex / "agents")
        (codex / "agents" / "qa.md").write_text("# qa\n", encoding="utf-8")
        change = await next_with(queue, lambda c: c.path.name == "qa.md")
        assert (change.kind, change.action) == (ChangeKind.CUSTOM_AGENT, ChangeAction.ADDED)

        (codex / "ARCHITECTURE.md").unlink()
        change = await next_with(queue, lambda c: c.path.name == "ARCHITECTURE.md")
        assert (change.kind, change.action) == (ChangeKind.ARCHITECTURE, ChangeAction.DELETED)


async def test_the_stores_scratch_files_never_make_a_batch_of_their_own(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path).resolve()
    async with watching(codex) as queue:
        (codex / ".techcat").mkdir()
        (codex / ".techcat" / "task-log.lock").write_text("", encoding="utf-8")
        (codex / "AGENTS.md.swp").write_text("", encoding="utf-8")
        write_atomic(codex / "PRD.md", "# PRD\n\nNew vision.\n")  # its temp file is ignored too
        change = await next_with(queue, lambda c: True)
        assert (change.path.name, change.kind) == ("PRD.md", ChangeKind.PRD)
        assert queue.empty()


async def test_output_folders_are_watched_and_filtered(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path).resolve()
    web = (tmp_path / "apps" / "web").resolve()
    async with watching(codex, (web, tmp_path / "gone")) as queue:  # a folder that is not there is skipped
        (web / "settings.tsx").write_text("export {}\n", encoding="utf-8")
        change = await next_with(queue, lambda c: True)
        assert (change.path, change.kind) == (web / "settings.tsx", ChangeKind.OUTPUT_FILE)


async def test_watch_workspace_parses_after_each_batch(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path).resolve()
    stop, ready = asyncio.Event(), asyncio.Event()

    async def first() -> set[str]:
        async for event in watch_workspace(codex, stop=stop, ready=ready):
            assert event.workspace.prd is not None
            return {agent for agent in event.workspace.agent_names}
        raise AssertionError("the watcher stopped without a change")

    task = asyncio.create_task(first())
    await asyncio.wait_for(ready.wait(), timeout=20)
    (codex / "PRD.md").write_text("# PRD\n\nChanged.\n", encoding="utf-8")
    names = await asyncio.wait_for(task, timeout=20)
    stop.set()
    assert "planner" in names

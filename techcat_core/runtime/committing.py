"""After a run is logged: tick the checklist item it came from, and commit exactly its own changes if asked.

The commit holds the run's files and the task log and, of a PROPOSED-TASKS.md the run did not write
itself, only the run's tick (HEAD's version plus the tick), so the user's own uncommitted edits there
stay in the working tree, uncommitted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from techcat_core.runtime.events import Committed, Notice, RunEvent, RunFailed
from techcat_core.workspace import Workspace


def _tick(ws: Workspace, number: int, item_text: str, task_id: str) -> str | None:
    """Tick the proposed item the run came from; returns why it could not be, or None.

    The item is found by its text as read before the run, not just its number: the run itself (a
    planner whose output is PROPOSED-TASKS.md) or a user may have renumbered the checklist meanwhile.
    """
    from techcat_core.proposed_edit import ProposedEditError, tick_item

    try:
        tick_item(ws.codex_dir, number, item_text, task_id)
    except (ProposedEditError, OSError) as error:
        return f"item {number} was not ticked: {error}"
    return None


async def tick_and_commit(ws: Workspace, files: list[Path], entry: dict[str, Any], item: int | None,
                          item_text: str | None, commit: bool, run_id: str) -> AsyncIterator[RunEvent]:
    """After the entry is logged: tick the item the run came from, then commit if asked."""
    ticked = False
    if item is not None:
        if item_text is None:
            problem: str | None = (f"PROPOSED-TASKS.md had no item {item} when the run started; "
                                   "nothing was ticked")
        else:
            problem = await asyncio.shield(asyncio.ensure_future(asyncio.to_thread(
                _tick, ws, item, item_text, entry["task_id"])))
        ticked = problem is None
        if problem:
            yield Notice(run_id, problem)
    if commit:
        async for event in _commit(ws, files, entry, run_id, item_text if ticked else None):
            yield event


def _tick_only(ws: Workspace, item_text: str, task_id: str) -> bytes | None:
    """HEAD's checklist with just the run's tick: the user's own uncommitted edits there stay uncommitted."""
    from techcat_core.gitops import file_at_head
    from techcat_core.proposed_edit import tick_in_text

    head = file_at_head(ws.codex_dir / "PROPOSED-TASKS.md")
    ticked = tick_in_text(head, item_text, task_id) if head is not None else None
    return ticked.encode("utf-8") if ticked is not None else None


async def _commit(ws: Workspace, files: list[Path], entry: dict[str, Any], run_id: str,
                  ticked_item: str | None) -> AsyncIterator[RunEvent]:
    """Commit exactly the run's own changes: its files, the task log, and, of the checklist it did not write
    itself, only its own tick (staged from HEAD's version plus the tick)."""
    from techcat_core.gitops import GitProblem, commit_paths

    message = f"{entry['task_id']} ({entry['agent']}): {entry['summary']}"
    paths = [*files, ws.codex_dir / "TASK-LOG.json"]  # the run's files (removed ones too) and the log
    proposed = ws.codex_dir / "PROPOSED-TASKS.md"
    contents: dict[Path | str, bytes] = {}
    try:
        if ticked_item is not None and proposed not in paths:
            blob = await asyncio.to_thread(_tick_only, ws, ticked_item, entry["task_id"])
            if blob is None:
                yield Notice(run_id, "the tick is not in the commit: the item is not in PROPOSED-TASKS.md as "
                                     "committed at HEAD (commit the checklist, then the tick can follow)")
            else:
                contents[proposed] = blob
        sha = await asyncio.to_thread(commit_paths, ws.root, paths, message, contents)
    except GitProblem as error:
        yield RunFailed(run_id, f"the run succeeded but the commit failed: {error}")
        return
    yield Committed(run_id, sha, message)

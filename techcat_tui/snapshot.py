"""Everything the views show about a workspace, loaded in one go off the main thread.

The first screen comes from a quick load: a well-formed task log is decoded straight into rows
(`quick_rows`), without the exact parse that records every entry's offsets. The exact load follows
right after the first screen, on the very text the rows came from, and keeps those rows; the checks,
jumps and live tail reading wait for it (`Snapshot.exact`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.gc_policy import collector_paused, release_frozen
from techcat_core.workspace import TASK_LOG, Workspace, load_workspace
from techcat_tui.log_rows import (
    AgentStats,
    LogRow,
    agent_stats,
    fill_search_texts,
    quick_rows,
    rows_from_entries,
    same_row,
)
from techcat_tui.log_tail import LogState, state_of

FULL_COLLECTION_EVERY = 25  # reloads
_loads = [0]


@dataclass(slots=True)
class Snapshot:
    workspace: Workspace
    rows: list[LogRow]
    log_state: LogState | None
    seconds: float
    # False for a quick load: `workspace.task_log` is not parsed yet, `log_bytes` is what the rows came from
    exact: bool = True
    log_bytes: bytes | None = field(default=None, repr=False)

    def agent_stats(self) -> dict[str, AgentStats]:
        return agent_stats(self.rows)


def shows_same_rows(previous: Snapshot, shown: list[LogRow], new: Snapshot) -> bool:
    """Whether `new` has exactly the rows on screen (`shown`, the rows of `previous`), so a reload may keep them.

    The count and the last row are not enough: an editor, `check --fix` or the app's own fix changes an
    entry in the middle in place. Two reads of the same bytes have the same rows (a memcmp, a few
    milliseconds for 30 MB); without the bytes (a log that is not valid JSON) every row is compared.
    """
    if not (len(previous.rows) == len(shown) == len(new.rows)) or not shown:
        return False
    if previous.rows is shown and previous.log_state is not None and new.log_state is not None:
        return previous.log_state.data == new.log_state.data
    return all(map(same_row, shown, new.rows))


def load_snapshot(codex_dir: Path, *, quick: bool = False, after: Snapshot | None = None) -> Snapshot:
    """Parse the workspace and build the log rows with the collector paused, the result frozen.

    Frozen, the parsed log is out of the collector's sight, so later collections (many per second
    while the UI runs) do not walk 100k entries each time. `quick` tries a quick load first (see the
    module docstring); `after` is the quick snapshot the exact load completes.
    """
    start = time.perf_counter()
    _loads[0] += 1
    if _loads[0] % FULL_COLLECTION_EVERY == 0:
        # Freezing also keeps whatever cyclic garbage was made while the collector was paused; now and
        # then, in this worker thread, give it all back to the collector once.
        release_frozen()
    with collector_paused():
        if quick:
            snapshot = _quick_snapshot(codex_dir, start)
            if snapshot is not None:
                return snapshot
        data = after.log_bytes if after is not None else None
        # the exact parse of the same text as the quick rows: they stay true whatever changed on disk since
        overrides = {after.workspace.path(TASK_LOG): data.decode("utf-8")} if after and data is not None else None
        workspace = load_workspace(codex_dir, overrides)
        log = workspace.task_log
        if after is not None and log is not None and log.valid and len(log.entries) == len(after.rows):
            rows = after.rows
        else:
            rows = rows_from_entries(log.entries) if log else []
            fill_search_texts(rows)  # here in the worker, not at the first filter key
    return Snapshot(workspace, rows, state_of(workspace.task_log, data), time.perf_counter() - start)


def _quick_snapshot(codex_dir: Path, start: float) -> Snapshot | None:
    from techcat_core.workspace import read_bytes  # confined: no FIFO, no link out of the repository, bounded

    data = read_bytes(codex_dir / TASK_LOG)
    if data is None:
        return None  # missing or unreadable: the exact load says which
    rows = quick_rows(data)
    if rows is None:
        return None
    workspace = load_workspace(codex_dir, task_log=False)
    return Snapshot(workspace, rows, None, time.perf_counter() - start, exact=False, log_bytes=data)

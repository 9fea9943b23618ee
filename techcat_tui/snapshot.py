"""Everything the views show about a workspace, loaded in one go off the main thread."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from techcat_core.workspace import Workspace, load_workspace
from techcat_tui.log_rows import AgentStats, LogRow, agent_stats, gc_paused, rows_from_entries
from techcat_tui.log_tail import LogState, state_of

FULL_COLLECTION_EVERY = 25  # reloads
_loads = [0]


@dataclass(slots=True)
class Snapshot:
    workspace: Workspace
    rows: list[LogRow]
    log_state: LogState | None
    seconds: float

    def agent_stats(self) -> dict[str, AgentStats]:
        return agent_stats(self.rows)


def load_snapshot(codex_dir: Path) -> Snapshot:
    """Parse the workspace and build the log rows with the collector paused, the result frozen.

    Frozen, the parsed log is out of the collector's sight, so later collections (many per second
    while the UI runs) do not walk 100k entries each time.
    """
    start = time.perf_counter()
    _loads[0] += 1
    if _loads[0] % FULL_COLLECTION_EVERY == 0:
        # Freezing also keeps whatever cyclic garbage was made while the collector was paused; now and
        # then, in this worker thread, give it all back to the collector once.
        gc.unfreeze()
        gc.collect()
    with gc_paused():
        workspace = load_workspace(codex_dir)
        rows = rows_from_entries(workspace.task_log.entries) if workspace.task_log else []
    return Snapshot(workspace, rows, state_of(workspace.task_log), time.perf_counter() - start)

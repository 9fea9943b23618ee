"""Everything the views show about a workspace, loaded in one go off the main thread."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from techcat_core.workspace import Workspace, load_workspace
from techcat_tui.log_rows import AgentStats, LogRow, agent_stats, gc_paused, rows_from_entries
from techcat_tui.log_tail import LogState, state_of


@dataclass(slots=True)
class Snapshot:
    workspace: Workspace
    rows: list[LogRow]
    log_state: LogState | None
    seconds: float

    def agent_stats(self) -> dict[str, AgentStats]:
        return agent_stats(self.rows)


def load_snapshot(codex_dir: Path) -> Snapshot:
    """Parse the workspace and build the log rows; the collector is paused and the result frozen.

    Freezing moves the parsed log out of the collector's sight, so later collections (many per
    second while the UI runs) do not walk 100k entries each time.
    """
    start = time.perf_counter()
    with gc_paused():
        workspace = load_workspace(codex_dir)
        rows = rows_from_entries(workspace.task_log.entries) if workspace.task_log else []
    gc.freeze()
    return Snapshot(workspace, rows, state_of(workspace.task_log), time.perf_counter() - start)

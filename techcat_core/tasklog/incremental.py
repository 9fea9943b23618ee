"""The incremental parse and check of `TASK-LOG.json`, for editors that send one keystroke at a time.

The names callers import, from the modules that hold them: `block_lines` (the line index an edit updates
locally), `reparse` (re-parsing from the last clean entry before an edit), `recheck` (re-running the rules
on the entries an edit replaced) and `engine.check_workspace_incremental` (every rule, as the full check).
"""

from __future__ import annotations

from techcat_core.engine import check_workspace_incremental
from techcat_core.tasklog.block_lines import BLOCK_LINES, BlockLineIndex, line_index_for
from techcat_core.tasklog.recheck import LogChecker
from techcat_core.tasklog.reparse import Splice, reparse, reparse_spliced

__all__ = ["BLOCK_LINES", "BlockLineIndex", "LogChecker", "Splice", "check_workspace_incremental", "line_index_for",
           "reparse", "reparse_spliced"]

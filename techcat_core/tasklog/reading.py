"""The one reader of `TASK-LOG.json` for callers that want the log alone (not a whole workspace snapshot).

Every read goes through the workspace's confined, bounded read (a FIFO, a link out of the repository or a
file over `[limits] max_file_bytes` is refused, never opened), undecodable bytes are reported, not fatal,
and the parse runs under the core's one garbage-collector policy (`gc_policy`, applied by `parse_task_log`).
`load_workspace` reads the log with the same two steps among the other files.
"""

from __future__ import annotations

from pathlib import Path

from techcat_core.confine import DEFAULT_MAX_FILE_BYTES
from techcat_core.tasklog.parse import TaskLog, parse_task_log
from techcat_core.workspace import DecodeProblem, UnsafeFile, read_text


def read_log_text(path: Path, problems: list[DecodeProblem] | None = None, *, root: Path | None = None,
                  limit: int = DEFAULT_MAX_FILE_BYTES, unsafe: list[UnsafeFile] | None = None) -> str | None:
    """The log's text, or None when it is missing or may not be read (the refusal added to `unsafe`)."""
    return read_text(path, problems, root=root, limit=limit, unsafe=unsafe)


def read_task_log(path: Path, problems: list[DecodeProblem] | None = None, *, root: Path | None = None,
                  limit: int = DEFAULT_MAX_FILE_BYTES, unsafe: list[UnsafeFile] | None = None,
                  share_strings: bool = False) -> TaskLog | None:
    """The parsed log (see `parse_task_log` for `share_strings`), or None when it cannot be read."""
    text = read_log_text(path, problems, root=root, limit=limit, unsafe=unsafe)
    return None if text is None else parse_task_log(text, path, share_strings=share_strings)

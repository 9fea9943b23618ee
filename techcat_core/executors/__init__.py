"""External coding agents as executors: a roster's `- **Executor:**` line names who does an agent's work.

`parse_executor` reads the line; `run_executor` runs the executor in the run's worktree and yields what it
prints. Each kind (command.py, codex.py, claude.py, aider.py) says only how its program is called (base.py).
"""

from __future__ import annotations

from techcat_core.executors.base import ExecutorJob, ExecutorKind, kind_for, register
from techcat_core.executors.process import ExecutorFailed, ExecutorUnavailable
from techcat_core.executors.run import AGENT_VAR, PROMPT_FILE_VAR, TASK_VAR, run_executor
from techcat_core.executors.spec import ACCEPTED, BUILTIN, ExecutorError, ExecutorSpec, parse_executor

__all__ = ["ACCEPTED", "AGENT_VAR", "BUILTIN", "PROMPT_FILE_VAR", "TASK_VAR", "ExecutorError", "ExecutorFailed",
           "ExecutorJob", "ExecutorKind", "ExecutorSpec", "ExecutorUnavailable", "kind_for", "parse_executor",
           "register", "run_executor"]

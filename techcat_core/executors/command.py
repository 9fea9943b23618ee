"""`Executor: command: CMD`: any program, run as `sh -c CMD` in the run's worktree.

The contract is three environment variables (TECHCAT_PROMPT_FILE, TECHCAT_TASK, TECHCAT_AGENT) set for every
executor by `run_executor`; the command edits files in its working directory and exits 0 when done.
"""

from __future__ import annotations

from techcat_core.executors.base import ExecutorJob, ExecutorKind, register


class CommandExecutor(ExecutorKind):
    name = "command"
    program = "sh"
    install_hint = "a POSIX shell (`sh`) is needed to run `command:` executors"

    def argv(self, job: ExecutorJob) -> list[str]:
        return [self.binary(job.env) or "/bin/sh", "-c", job.spec.command]


COMMAND = register(CommandExecutor())

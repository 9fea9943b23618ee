"""`run_executor`: give an external coding agent its prompt and let it work in the run's worktree.

The runner (runtime/runner.py) makes the worktree and reads the changes from it afterwards; this module only
prepares the prompt file and the executor's private scratch folder (both outside the worktree, so they are
never mistaken for the agent's changes) and runs the kind's command line through `stream_process`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from techcat_core.executors.base import ExecutorJob, kind_for
from techcat_core.executors.process import ExecutorFailed, ExecutorUnavailable, stream_process
from techcat_core.executors.spec import ExecutorSpec
from techcat_core.executors.text import env_safe, valid_text
from techcat_core.gitops import without_git_location
from techcat_core.runs.scrub import MIN_SECRET, configured_secrets
from techcat_core.runtime.settings import ProviderSettings

PROMPT_FILE_VAR = "TECHCAT_PROMPT_FILE"
TASK_VAR = "TECHCAT_TASK"
AGENT_VAR = "TECHCAT_AGENT"
DEFAULT_TIMEOUT_SETTING = "the run's time limit"
MAX_TASK_BYTES = 64 * 1024


async def run_executor(spec: ExecutorSpec, *, root: Path, prompt_text: str, task: str, agent: str,
                       model: str | None, settings: ProviderSettings, cancel: asyncio.Event | None = None,
                       timeout: float | None = None, env: Mapping[str, str] | None = None,
                       timeout_setting: str = DEFAULT_TIMEOUT_SETTING) -> AsyncIterator[str]:
    """Run `spec` in `root`, yielding the lines it prints; return when it exits 0.

    Raises ExecutorUnavailable when its program is not installed, ExecutorFailed when it exits non-zero or
    outlives `timeout` seconds (`timeout_setting` names where that limit is set), and asyncio.CancelledError when
    `cancel` is set; in every case its whole process group has been ended first.
    """
    kind = kind_for(spec)
    if kind is None:
        raise ExecutorFailed(f"there is no external executor for {spec}: the built-in runtime runs that agent")
    if not root.is_dir():
        raise ExecutorFailed(f"the {kind.name} executor cannot run: its working folder {root} does not exist")
    inherited = without_git_location(os.environ if env is None else env)  # a hook's GIT_DIR names another tree
    problem = kind.available(inherited)
    if problem:
        raise ExecutorUnavailable(problem)
    scratch = _scratch_dir(root)
    try:
        prompt_file = scratch / "prompt.md"
        fd = os.open(prompt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(valid_text(prompt_text))
        job = ExecutorJob(spec=spec, root=root, prompt_text=prompt_text, prompt_file=prompt_file, scratch=scratch,
                          task=task, agent=agent, model=model or settings.model, settings=settings, env=inherited)
        full_env = {**inherited, PROMPT_FILE_VAR: str(prompt_file), TASK_VAR: env_safe(capped_task(task)),
                    AGENT_VAR: env_safe(agent), **kind.env(job)}
        secrets = configured_secrets(full_env)
        if settings.api_key and len(settings.api_key) >= MIN_SECRET and settings.api_key not in secrets:
            secrets.insert(0, settings.api_key)
        lines = stream_process(kind.argv(job), cwd=root, env=full_env, stdin=kind.stdin(job), label=kind.name,
                               secrets=secrets, cancel=cancel, timeout=timeout, timeout_setting=timeout_setting)
        async with contextlib.aclosing(lines):  # a consumer that stops early still ends the process group now
            async for line in lines:
                yield line
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def capped_task(task: str) -> str:
    """The task for TECHCAT_TASK: Linux refuses to start a program with one environment string over 128 KiB, so a
    longer task is cut (at a character boundary) and says so; the prompt file always holds all of it."""
    data = task.encode("utf-8", "replace")
    if len(data) <= MAX_TASK_BYTES:
        return task
    kept = data[:MAX_TASK_BYTES].decode("utf-8", "ignore")
    return f"{kept}\n[… cut by TechCat: the whole task is in {PROMPT_FILE_VAR}]"


def _scratch_dir(root: Path) -> Path:
    """A private temporary folder, never inside the worktree (a TMPDIR pointing into it is not used)."""
    base = Path(tempfile.gettempdir()).resolve()
    worktree = root.resolve()
    if base == worktree or worktree in base.parents:
        base = Path("/tmp") if Path("/tmp").is_dir() else worktree.parent
    return Path(tempfile.mkdtemp(prefix="techcat-executor-", dir=base))

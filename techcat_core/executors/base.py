"""The plug-in point for executors: what each kind must say to be run, and the registry that finds it.

`run_executor` owns the process (its group, streaming, cancel, timeout, the prompt file, scrubbing); a kind
only says which program, with which arguments, environment and standard input, and whether it is installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from techcat_core.executors.spec import ExecutorSpec
from techcat_core.runtime.settings import ProviderSettings


@dataclass(frozen=True, slots=True)
class ExecutorJob:
    """Everything a kind may need to build its command line for one run."""

    spec: ExecutorSpec
    root: Path  # the run's worktree: the executor's working directory
    prompt_text: str  # persona, memory and task, as the built-in runtime would send it
    prompt_file: Path  # that prompt, in a file outside the worktree, removed after the run
    scratch: Path  # a private temporary folder outside the worktree, removed after the run
    task: str
    agent: str
    model: str  # the roster's `Model:` or techcat.toml's, resolved
    settings: ProviderSettings
    env: Mapping[str, str]  # the environment the executor inherits (before the kind's additions)


class ExecutorKind:
    """One kind of executor. Subclasses set `name` and `install_hint` and override `argv` (and what else applies)."""

    name: str = ""
    program: str = ""  # the executable looked up on PATH (or in the `binary_variable` variable)
    binary_variable: str = ""  # e.g. TECHCAT_CODEX: a path to the executable, overriding PATH
    install_hint: str = ""  # a sentence naming how to install it

    def binary(self, env: Mapping[str, str]) -> str | None:
        """The executable's path, or None when it is not installed."""
        named = env.get(self.binary_variable, "").strip() if self.binary_variable else ""
        if named:
            return named if os.access(named, os.X_OK) and Path(named).is_file() else None
        return shutil.which(self.program, path=env.get("PATH", os.defpath)) if self.program else None

    def available(self, env: Mapping[str, str]) -> str | None:
        """None when it can run; otherwise why not, in one sentence naming how to install it."""
        if self.binary(env) is not None:
            return None
        named = env.get(self.binary_variable, "").strip() if self.binary_variable else ""
        where = f"{self.binary_variable}={named} is not an executable file" if named else \
            f"`{self.program}` is not on PATH"
        return f"the {self.name} executor cannot run: {where}; {self.install_hint}"

    def argv(self, job: ExecutorJob) -> list[str]:
        raise NotImplementedError

    def env(self, job: ExecutorJob) -> dict[str, str]:
        """Variables to add to (or override in) the inherited environment."""
        return {}

    def stdin(self, job: ExecutorJob) -> bytes | None:
        """What to feed on standard input (None: nothing, it reads end of file at once)."""
        return None


_REGISTRY: dict[str, ExecutorKind] = {}


def register(kind: ExecutorKind) -> ExecutorKind:
    """Make `kind` the executor for `kind.name` (a later registration replaces an earlier one)."""
    _REGISTRY[kind.name] = kind
    return kind


def kind_for(spec: ExecutorSpec) -> ExecutorKind | None:
    """The registered kind for `spec`, importing the built-in kinds on first use; None for `builtin`."""
    if spec.kind == "builtin":
        return None
    if spec.kind not in _REGISTRY:
        _load_builtin_kinds()
    return _REGISTRY.get(spec.kind)


def _load_builtin_kinds() -> None:
    import importlib

    for module in ("command", "codex", "claude", "aider"):
        try:
            importlib.import_module(f"techcat_core.executors.{module}")
        except ModuleNotFoundError as exc:  # aider.py is written separately; the others always exist
            if exc.name != f"techcat_core.executors.{module}":
                raise

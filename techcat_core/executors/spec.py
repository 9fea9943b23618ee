"""What a roster's `- **Executor:**` line means: which program does an agent's work.

Parsed once, so the roster check, the runner and every front end agree on what a value names and reject a
bad one with the same sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ExecutorKindName = Literal["builtin", "codex", "claude", "aider", "command"]
NAMED: tuple[ExecutorKindName, ...] = ("builtin", "codex", "claude", "aider")
ACCEPTED = "`builtin` (the default), `codex`, `claude`, `aider` or `command: CMD`"


class ExecutorError(ValueError):
    """A bad `Executor:` value; the message is one sentence saying what is accepted."""


@dataclass(frozen=True, slots=True)
class ExecutorSpec:
    """An executor: `kind`, and for `command` the shell command line that runs under `sh -c`."""

    kind: ExecutorKindName
    command: str = ""

    @property
    def builtin(self) -> bool:
        return self.kind == "builtin"

    def __str__(self) -> str:
        return f"command: {self.command}" if self.kind == "command" else self.kind


BUILTIN = ExecutorSpec("builtin")


def parse_executor(text: str) -> ExecutorSpec:
    """`""` / `builtin` -> the built-in runtime; `codex`, `claude`, `aider`; `command: CMD` -> CMD under `sh -c`.

    Names are case-insensitive and may be wrapped in backticks (Markdown); the command is kept as written.
    """
    value = text.strip()
    if len(value) >= 2 and value.startswith("`") and value.endswith("`"):
        value = value[1:-1].strip()
    if not value:
        return BUILTIN
    head, colon, rest = value.partition(":")
    if colon and head.strip().lower() == "command":
        command = rest.strip()
        if len(command) >= 2 and command.startswith("`") and command.endswith("`"):
            command = command[1:-1].strip()
        if not command:
            raise ExecutorError("the executor `command:` needs a command line after the colon, "
                                "for example `command: ./scripts/agent.sh`")
        if "\x00" in command or "\n" in command or "\r" in command:
            raise ExecutorError("the executor's command must be one line without NUL characters")
        if any("\ud800" <= char <= "\udfff" for char in command):
            raise ExecutorError("the executor's command holds a character that is not valid Unicode "
                                "(a lone surrogate, or a byte that is not UTF-8)")
        return ExecutorSpec("command", command)
    name = value.lower()
    for kind in NAMED:
        if name == kind:
            return ExecutorSpec(kind)
    shown = value if len(value) <= 60 else value[:57] + "..."
    raise ExecutorError(f"unknown executor {shown!r}: use {ACCEPTED}")

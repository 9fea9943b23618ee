"""The typed progress stream of an agent run, consumed by every front end.

A run yields `RunStarted`, then any number of `TextDelta` / `Retrying`, then `Usage` once per model
call that got a reply (what the server reported, else an estimate marked so), then either `RunFailed`
or `RunCancelled` (nothing was written) or `FileWritten`* → `Logged` → `Committed`? → (`Chained` → the
chained run's events)* → `RunFinished`. A dry run yields `DryRun` → `RunFinished`; `Notice` may come
anywhere. Front ends must ignore event types they do not know: new ones are added over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    agent: str
    task: str
    provider: str
    model: str
    depth: int = 0


@dataclass(frozen=True, slots=True)
class TextDelta:
    run_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Retrying:
    run_id: str
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class Usage:
    """The tokens one model call spent: the server's own count when it sent one, else an estimate (`estimated`)."""

    run_id: str
    prompt_tokens: int
    completion_tokens: int
    estimated: bool
    model: str


@dataclass(frozen=True, slots=True)
class FileWritten:
    run_id: str
    path: Path  # absolute, inside the repository


@dataclass(frozen=True, slots=True)
class Logged:
    run_id: str
    entry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chained:
    run_id: str
    from_agent: str
    to_agent: str
    depth: int


@dataclass(frozen=True, slots=True)
class Committed:
    run_id: str
    sha: str
    message: str


@dataclass(frozen=True, slots=True)
class DryRun:
    """The dry-run provider's stand-in for a model call: what would have been sent."""

    run_id: str
    messages: list[dict[str, str]]
    hint: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that did not stop the run (a chain link skipped, an item not ticked)."""

    run_id: str
    message: str


@dataclass(frozen=True, slots=True)
class RunFailed:
    run_id: str
    message: str


@dataclass(frozen=True, slots=True)
class RunCancelled:
    run_id: str


@dataclass(frozen=True, slots=True)
class RunFinished:
    run_id: str
    agent: str
    entry: dict[str, Any] | None
    files: tuple[Path, ...] = field(default_factory=tuple)
    reply: str = ""


RunEvent = (RunStarted | TextDelta | Retrying | Usage | FileWritten | Logged | Chained | Committed | DryRun
            | Notice | RunFailed | RunCancelled | RunFinished)

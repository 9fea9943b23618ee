"""The typed progress stream of an agent run, consumed by every front end.

A run yields `RunStarted`, `Isolated` (where it works), then any number of `TextDelta` / `Retrying` /
`ToolCalled` → `ToolResult` / `ExecutorOutput`, then `Usage` once per model
call that got a reply (what the server reported, else an estimate marked so), then either `RunFailed`
or `RunCancelled` (nothing was written) or `ChangesProposed` (awaited when under review; then `RunDiscarded`
→ `RunFinished` when discarded) → `FileWritten`* → `Logged` → `Committed`? → (`Chained` → the
chained run's events)* → `RunFinished`. A dry run yields `DryRun` → `RunFinished`; `Notice` may come
anywhere. Front ends must ignore event types they do not know: new ones are added over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techcat_core.runtime.changes import ChangeSet


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    agent: str
    task: str
    provider: str
    model: str
    depth: int = 0
    executor: str = "builtin"  # who does the work: TechCat's own runtime, or the roster's `Executor:` (codex, …)


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


@dataclass(frozen=True, slots=True)
class ToolCalled:
    """The model asked for a tool (issue 13 §1); `arguments` is its JSON text, capped for display."""

    run_id: str
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call did, in one line ("read README.md, lines 1-40", "refused: …")."""

    run_id: str
    call_id: str
    name: str
    ok: bool
    summary: str


@dataclass(frozen=True, slots=True)
class ExecutorOutput:
    """A line an external coding agent (an `Executor:`) printed while it worked."""

    run_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Isolated:
    """Where the run works: its own git worktree (`path`), or in place with the reason (no git, no commits)."""

    run_id: str
    worktree: Path | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChangesProposed:
    """The run's changes, before they land: shown by every front end, and awaited for approval under review."""

    run_id: str
    agent: str
    changes: ChangeSet
    review: bool


@dataclass(frozen=True, slots=True)
class RunDiscarded:
    """The reviewer discarded the run's changes: nothing was written and nothing logged."""

    run_id: str
    agent: str


RunEvent = (RunStarted | TextDelta | Retrying | Usage | FileWritten | Logged | Chained | Committed | DryRun
            | Notice | RunFailed | RunCancelled | RunFinished | ToolCalled | ToolResult | ExecutorOutput | Isolated
            | ChangesProposed | RunDiscarded)

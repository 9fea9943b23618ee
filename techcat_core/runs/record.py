"""One run's record: what ran, how it ended, what it cost and what it said — the row of the run history."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["done", "failed", "cancelled", "dry-run", "discarded"]
OUTCOMES: tuple[Outcome, ...] = ("done", "failed", "cancelled", "dry-run", "discarded")
Rating = Literal["good", "bad"]
RATINGS: tuple[Rating, ...] = ("good", "bad")
EXECUTOR = "builtin"  # TechCat's own runtime; else the roster's `Executor:` as `RunStarted.executor` names it


@dataclass(slots=True)
class RunRecord:
    run_id: str
    chain_id: str  # the root run of the chain this run belonged to (itself for a root run)
    agent: str
    task: str
    started: str  # ISO 8601, UTC, microseconds: sorts as text in SQLite and PostgreSQL alike
    outcome: Outcome = "failed"
    parent_id: str | None = None
    depth: int = 0
    executor: str = EXECUTOR
    provider: str = "-"
    model: str = "-"
    prompt_hash: str | None = None
    duration_ms: int = 0
    reason: str | None = None  # why it failed
    prompt_tokens: int | None = None  # None: nothing was sent
    completion_tokens: int | None = None
    tokens_estimated: bool = False  # the server reported no usage, so these are TechCat's estimate
    cost: float | None = None  # from `[prices]`; None when the model has no price
    files: list[str] = field(default_factory=list)  # relative to the repository root
    task_id: str | None = None  # the task-log entry it logged
    rating: Rating | None = None
    note: str | None = None
    rated_at: str | None = None
    messages: list[dict[str, str]] = field(default_factory=list)  # as sent, trimmed and scrubbed
    reply: str = ""
    trimmed: bool = False  # a message or the reply was longer than `[history] max_record_bytes`
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # the key: run ids are short

    def summary(self) -> dict[str, Any]:
        """Everything but the messages and the reply: what a listing shows."""
        data = asdict(self)
        del data["messages"], data["reply"]
        return data

    def full(self) -> dict[str, Any]:
        return asdict(self)

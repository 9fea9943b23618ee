"""The reducer on event streams as the runtime yields them: one record per run, with the right outcome."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techcat_core.runs.query import QueryError, check_run_id, parse_since
from techcat_core.runs.reduce import FoldSettings, Price, RunFold, prompt_hash, records_from_events
from techcat_core.runtime import events as ev

ROOT = Path("/repo")
ENTRY = {"task_id": "task-007", "agent": "planner", "date": "2026-12-04", "summary": "Planned.", "output_files": []}
MESSAGES = [{"role": "system", "content": "You plan."}, {"role": "user", "content": "Plan it."}]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fold(**settings: object) -> tuple[RunFold, Clock]:
    clock = Clock()
    fold = RunFold("planner", "Plan it", FoldSettings(root=ROOT, **settings),  # type: ignore[arg-type]
                   clock=clock, now=lambda: dt.datetime(2026, 12, 4, 18, 40, tzinfo=dt.UTC))
    return fold, clock


def test_a_chain_gives_one_record_per_model_run_and_each_its_own_duration() -> None:
    fold, clock = _fold()
    out = fold.feed(ev.RunStarted("r1", "planner", "Plan it", "openai", "gpt-4o-mini"))
    fold.note_messages("r1", MESSAGES)
    clock.now += 2.0
    out += fold.feed(ev.TextDelta("r1", "Planned."))
    out += fold.feed(ev.Usage("r1", 50, 5, False, "gpt-4o-mini"))
    out += fold.feed(ev.FileWritten("r1", ROOT / ".codex" / "PROPOSED-TASKS.md"))
    out += fold.feed(ev.Logged("r1", ENTRY))
    assert out == []
    [planner] = fold.feed(ev.Chained("task-007", "planner", "writer", 1))
    assert (planner.outcome, planner.duration_ms, planner.task_id) == ("done", 2000, "task-007")
    assert planner.files == [".codex/PROPOSED-TASKS.md"] and planner.reply == "Planned."
    assert planner.messages == MESSAGES and planner.prompt_hash == prompt_hash(MESSAGES)
    assert planner.started == "2026-12-04T18:40:00.000000Z"
    fold.feed(ev.RunStarted("r2", "writer", "Continue", "openai", "gpt-4o-mini", depth=1))
    clock.now += 5.0
    fold.feed(ev.TextDelta("r2", "Wrote."))
    fold.feed(ev.Logged("r2", {**ENTRY, "task_id": "task-008"}))
    [writer] = fold.feed(ev.Chained("task-008", "writer", "task_logger", 2))  # ends at its own chain link
    assert (writer.duration_ms, writer.parent_id, writer.chain_id) == (5000, "r1", "r1")
    assert fold.open_runs == []
    # the built-in logger confirming task-008 is no run of its own
    assert fold.feed(ev.RunStarted("task-008", "task_logger", "record task-008", "built-in", "-", depth=2)) == []
    assert fold.feed(ev.RunFinished("task-008", "task_logger", ENTRY)) == []
    assert fold.feed(ev.RunFinished("r2", "writer", ENTRY, reply="Wrote.")) == []
    assert fold.feed(ev.RunFinished("r1", "planner", ENTRY, reply="Planned.")) == []
    assert fold.close() == []


def test_chain_records_carry_root_parent_and_depth() -> None:
    events = [ev.RunStarted("r1", "planner", "Plan it", "openai", "m"), ev.TextDelta("r1", "x" * 40),
              ev.Logged("r1", ENTRY), ev.Chained("task-007", "planner", "writer", 1),
              ev.RunStarted("r2", "writer", "Continue", "openai", "m", depth=1), ev.TextDelta("r2", "y"),
              ev.Logged("r2", {**ENTRY, "task_id": "task-008"}), ev.RunFinished("r2", "writer", ENTRY),
              ev.RunFinished("r1", "planner", ENTRY)]
    planner, writer = records_from_events("planner", "Plan it", events)
    assert (planner.run_id, planner.chain_id, planner.parent_id, planner.depth) == ("r1", "r1", None, 0)
    assert (writer.run_id, writer.chain_id, writer.parent_id, writer.depth) == ("r2", "r1", "r1", 1)
    assert (planner.prompt_tokens, planner.completion_tokens, planner.tokens_estimated) == (None, 10, True)


def test_a_chained_agent_that_cannot_start_is_recorded_as_failed_under_its_parent() -> None:
    events = [ev.RunStarted("r1", "planner", "Plan it", "openai", "m"), ev.TextDelta("r1", "Planned."),
              ev.Logged("r1", ENTRY), ev.Chained("task-007", "planner", "ghost", 1),
              ev.RunFailed("r9", "no agent named `ghost` in the roster"), ev.RunFinished("r1", "planner", ENTRY)]
    planner, ghost = records_from_events("planner", "Plan it", events)
    assert planner.outcome == "done"
    assert (ghost.agent, ghost.outcome, ghost.parent_id, ghost.depth) == ("ghost", "failed", "r1", 1)
    assert ghost.reason == "no agent named `ghost` in the roster" and ghost.provider == "-"


def test_a_failed_commit_after_the_entry_fails_the_run_but_keeps_what_it_wrote() -> None:
    events = [ev.RunStarted("r1", "coder", "Build", "openai", "m"), ev.TextDelta("r1", "Built."),
              ev.FileWritten("r1", ROOT / "apps" / "a.tsx"), ev.Logged("r1", ENTRY),
              ev.RunFailed("r1", "the run succeeded but the commit failed: no repository"),
              ev.RunFinished("r1", "coder", ENTRY, (ROOT / "apps" / "a.tsx",), "Built.")]
    [record] = records_from_events("coder", "Build", events, FoldSettings(root=ROOT))
    assert (record.outcome, record.task_id, record.files) == ("failed", "task-007", ["apps/a.tsx"])
    assert record.reason == "the run succeeded but the commit failed: no repository"


def test_outcomes_cancelled_dry_run_and_a_stream_that_stopped_early() -> None:
    [cancelled] = records_from_events("p", "t", [ev.RunStarted("r1", "p", "t", "openai", "m"),
                                                  ev.TextDelta("r1", "part"), ev.RunCancelled("r1")])
    assert cancelled.outcome == "cancelled" and cancelled.reply == "part" and cancelled.tokens_estimated
    [dry] = records_from_events("p", "t", [ev.RunStarted("r1", "p", "t", "dry-run", "m"),
                                            ev.DryRun("r1", MESSAGES, "dry run"), ev.RunFinished("r1", "p", None)])
    assert (dry.outcome, dry.prompt_tokens, dry.messages) == ("dry-run", None, MESSAGES)
    [stopped] = records_from_events("p", "t", [ev.RunStarted("r1", "p", "t", "openai", "m")])
    assert (stopped.outcome, stopped.reason) == ("cancelled", "the run was stopped before it finished")
    [written] = records_from_events("p", "t", [ev.RunStarted("r1", "p", "t", "openai", "m"),
                                                ev.TextDelta("r1", "ok"), ev.Logged("r1", ENTRY)])
    assert written.outcome == "done" and written.task_id == "task-007"  # its entry is in: it did its work


def test_usage_is_summed_a_retry_starts_the_reply_over_and_cost_comes_from_the_price_table() -> None:
    fold, _ = _fold(prices={"gpt-4o-mini-2024-07-18": Price(input=2.0, output=8.0)})
    fold.feed(ev.RunStarted("r1", "p", "t", "openai", "gpt-4o-mini"))
    fold.feed(ev.TextDelta("r1", "lost"))
    fold.feed(ev.Retrying("r1", 1, 0.1, "HTTP 500"))
    fold.feed(ev.TextDelta("r1", "kept"))
    fold.feed(ev.Usage("r1", 1000, 100, False, "gpt-4o-mini-2024-07-18"))
    fold.feed(ev.Usage("r1", 500, 50, True, "gpt-4o-mini-2024-07-18"))
    [record] = fold.feed(ev.RunFailed("r1", "the reply was cut off"))
    assert record.reply == "kept"
    assert (record.prompt_tokens, record.completion_tokens, record.tokens_estimated) == (1500, 150, True)
    assert record.cost == pytest.approx((1500 * 2.0 + 150 * 8.0) / 1_000_000)
    [unpriced] = records_from_events("p", "t", [ev.RunStarted("r1", "p", "t", "openai", "other"),
                                                 ev.Usage("r1", 9, 9, False, "other"), ev.RunCancelled("r1")])
    assert unpriced.cost is None and unpriced.prompt_tokens == 9


def test_texts_are_scrubbed_and_trimmed() -> None:
    fold, _ = _fold(secrets=["hunter2-very-secret"], max_record_bytes=10)
    fold.feed(ev.RunStarted("r1", "p", "use hunter2-very-secret", "openai", "m"))
    fold.note_messages("r1", [{"role": "user", "content": "key sk-abcdefghijklmnopqrstuvwx here"}])
    [record] = fold.feed(ev.RunFailed("r1", "bad\x00 hunter2-very-secret"))
    assert record.task == "use [redacted]" and record.reason == "bad\ufffd [redacted]"
    assert record.messages == [{"role": "user", "content": "key [redac\n[… trimmed by TechCat: 9 more bytes]"}]
    assert record.trimmed


def test_since_and_ids_read_as_written() -> None:
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    assert parse_since("12h", now) == "2026-12-04T00:00:00.000000Z"
    assert parse_since("2w", now) == "2026-11-20T12:00:00.000000Z"
    assert parse_since("2026-12-01T09:30+00:00", now) == "2026-12-01T09:30:00.000000Z"
    with pytest.raises(QueryError, match="neither a date"):
        parse_since("soon", now)
    assert check_run_id(" 3FA9 ") == "3fa9" and check_run_id("task-042") == "task-042"
    with pytest.raises(QueryError, match="is not a run id"):
        check_run_id("3fa9%")

"""Every run leaves a record: `run_agent`'s stream passes through `recorded`, so every front end records.

Each record is written in a worker thread as its run ends, before that run's last event is passed
on (a front end that sees a run end can read its record at once). A history that cannot be written
costs a `Notice`, never the run. A stream that stops early (cancelled, the consumer gone) still
records its open runs, from a thread that the process waits for at exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from techcat_core.runs.history import HistoryError, SqlHistory
from techcat_core.runs.record import RunRecord
from techcat_core.runs.reduce import FoldSettings, Price, RunFold
from techcat_core.runs.scrub import configured_secrets
from techcat_core.runs.store import open_history, workspace_config
from techcat_core.runtime.events import (
    ChangesProposed,
    ExecutorOutput,
    Isolated,
    Notice,
    Retrying,
    RunEvent,
    RunFailed,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolResult,
    Usage,
)

_folds: dict[str, RunFold] = {}  # run id → the fold recording it, for `note_messages`
_folds_lock = threading.Lock()  # runs of several event loops (threads) may record at once


def note_messages(run_id: str, messages: Sequence[Mapping[str, str]]) -> None:
    """The runtime's hook: the exact messages of `run_id`, just before they are sent."""
    with _folds_lock:
        fold = _folds.get(run_id)
    if fold is not None:
        fold.note_messages(run_id, messages)


class _ConfigRefused(Exception):
    """`techcat.toml` has a problem: the run itself fails and says so; the history adds nothing."""


def _prepare(codex_dir: Path, env: Mapping[str, str] | None) -> tuple[FoldSettings, SqlHistory]:
    from techcat_core.workspace import find_git_root

    try:
        config = workspace_config(codex_dir)
    except HistoryError as error:
        raise _ConfigRefused(str(error)) from None
    secrets = set(configured_secrets(os.environ))
    if env is not None:  # a request's own environment (the LSP's, a test's) may hold other keys
        secrets |= set(configured_secrets(env))
    settings = FoldSettings(prices={name: Price(p.input, p.output) for name, p in config.prices.items()},
                            max_record_bytes=config.history.max_record_bytes,
                            secrets=sorted(secrets, key=len, reverse=True),
                            root=find_git_root(codex_dir) or codex_dir.parent)
    return settings, open_history(codex_dir, config, env)


async def recorded(codex_dir: Path, agent: str, task: str, env: Mapping[str, str] | None,
                   events: AsyncIterator[RunEvent]) -> AsyncIterator[RunEvent]:
    """`events` (one `run_agent` stream) unchanged, recording each run as it ends.

    The settings and the history are looked up in a thread while the run starts, and waited for only
    when a run is about to end (its record needs the price table and the secrets to scrub).
    """
    fold = RunFold(agent, task)
    sink = _Sink(asyncio.ensure_future(asyncio.to_thread(_prepare, codex_dir, env)))
    try:
        async for event in events:
            if not sink.ready and not isinstance(event, _NOT_ENDING):
                await sink.wait(fold)
            finished = fold.feed(event)
            if finished or isinstance(event, RunStarted | RunFailed):  # the only events that open or close runs
                _track(fold)
            notices = [notice for record in finished if (notice := await _store(sink, record)) is not None]
            yield event
            for notice in notices:
                yield notice
    finally:
        _untrack(fold)
        if fold.open_runs:
            _close_later(fold, sink, codex_dir, env)


_NOT_ENDING = (RunStarted, TextDelta, Retrying, Usage, Notice, ToolCalled, ToolResult, ExecutorOutput, Isolated,
               ChangesProposed)  # events after which no run has ended


class _Sink:
    """Where records go, once `_prepare` has said."""

    def __init__(self, preparing: asyncio.Future[tuple[FoldSettings, SqlHistory]]) -> None:
        self.preparing = preparing
        preparing.add_done_callback(lambda done: done.cancelled() or done.exception())  # never "unretrieved"
        self.ready = False
        self.history: SqlHistory | None = None
        self.problem: str | None = None

    async def wait(self, fold: RunFold) -> None:
        try:
            self.take(fold, await asyncio.shield(self.preparing))
        except _ConfigRefused:
            self.ready = True
        except Exception as error:  # a history we cannot reach must not cost the run
            self.ready, self.problem = True, _sentence(error)

    def take(self, fold: RunFold, prepared: tuple[FoldSettings, SqlHistory]) -> None:
        fold.settings, self.history = prepared
        self.ready = True


def _track(fold: RunFold) -> None:
    open_runs = set(fold.open_runs)
    with _folds_lock:
        for run_id in [r for r, f in _folds.items() if f is fold and r not in open_runs]:
            del _folds[run_id]
        for run_id in open_runs:
            _folds[run_id] = fold


def _untrack(fold: RunFold) -> None:
    with _folds_lock:
        for run_id in [r for r, f in _folds.items() if f is fold]:
            del _folds[run_id]


async def _store(sink: _Sink, record: RunRecord) -> Notice | None:
    if sink.history is None:
        return Notice(record.run_id, f"this run was not recorded in the run history: {sink.problem}") \
            if sink.problem else None
    try:
        await asyncio.to_thread(sink.history.add, record)
    except Exception as error:
        return Notice(record.run_id, f"this run was not recorded in the run history: {_sentence(error)}")
    return None


def _close_later(fold: RunFold, sink: _Sink, codex_dir: Path, env: Mapping[str, str] | None) -> None:
    """Record the runs a stream left open (it was cancelled, or its consumer went away) from a thread that
    is not a daemon: there may be no event loop left to wait on, but the process waits for it."""
    prepared = None
    if not sink.ready and sink.preparing.done() and not sink.preparing.cancelled() \
            and sink.preparing.exception() is None:
        prepared = sink.preparing.result()

    def work() -> None:
        with contextlib.suppress(Exception):
            if not sink.ready:
                sink.take(fold, prepared or _prepare(codex_dir, env))
            for record in fold.close():
                if sink.history is not None:
                    with contextlib.suppress(Exception):
                        sink.history.add(record)

    threading.Thread(target=work, name="techcat-run-record", daemon=False).start()


def _sentence(error: BaseException) -> str:
    if isinstance(error, HistoryError):
        return str(error)
    return " ".join(str(error).split()) or type(error).__name__

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
from techcat_core.runtime.events import Notice, RunEvent, RunFailed, RunStarted

_folds: dict[str, RunFold] = {}  # run id → the fold recording it, for `note_messages`


def note_messages(run_id: str, messages: Sequence[Mapping[str, str]]) -> None:
    """The runtime's hook: the exact messages of `run_id`, just before they are sent."""
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
    """`events` (one `run_agent` stream) unchanged, recording each run as it ends."""
    fold = RunFold(agent, task)
    history: SqlHistory | None = None
    problem: str | None = None
    try:
        fold.settings, history = await asyncio.to_thread(_prepare, codex_dir, env)
    except _ConfigRefused:
        pass
    except Exception as error:  # a history we cannot reach must not cost the run
        problem = _sentence(error)
    try:
        async for event in events:
            finished = fold.feed(event)
            if finished or isinstance(event, RunStarted | RunFailed):  # the only events that open or close runs
                _track(fold)
            notices = [notice for record in finished
                       if (notice := await _store(history, problem, record)) is not None]
            yield event
            for notice in notices:
                yield notice
    finally:
        leftover = fold.close()
        _track(fold)
        if leftover and history is not None:
            _store_later(history, leftover)


def _track(fold: RunFold) -> None:
    open_runs = set(fold.open_runs)
    for run_id in [r for r, f in _folds.items() if f is fold and r not in open_runs]:
        del _folds[run_id]
    for run_id in open_runs:
        _folds[run_id] = fold


async def _store(history: SqlHistory | None, problem: str | None, record: RunRecord) -> Notice | None:
    if history is None:
        return Notice(record.run_id, f"this run was not recorded in the run history: {problem}") if problem else None
    try:
        await asyncio.to_thread(history.add, record)
    except Exception as error:
        return Notice(record.run_id, f"this run was not recorded in the run history: {_sentence(error)}")
    return None


def _store_later(history: SqlHistory, records: list[RunRecord]) -> None:
    """Write from a thread that is not a daemon: no event loop may be left to wait on, but the process waits."""
    def work() -> None:
        for record in records:
            with contextlib.suppress(Exception):
                history.add(record)

    threading.Thread(target=work, name="techcat-run-record", daemon=False).start()


def _sentence(error: BaseException) -> str:
    if isinstance(error, HistoryError):
        return str(error)
    return " ".join(str(error).split()) or type(error).__name__

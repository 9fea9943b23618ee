"""The run history's operations in SQL both backends speak; a backend only connects and locks.

Every operation opens its own connection: records are written from worker threads, several processes
(a TUI, `techcat watch`, the CLI) write the same history, and a connection is cheap next to a model call.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

from techcat_core.runs.query import RunQuery, check_run_id
from techcat_core.runs.record import RATINGS, RunRecord
from techcat_core.runs.reduce import utc_stamp
from techcat_core.runs.schema import ALL_COLUMNS, LATEST, MIGRATIONS, SUMMARY_COLUMNS, TABLE, VERSION_TABLE


class HistoryError(Exception):
    """The history cannot be read or written, or has no such run; the message is one sentence to show."""


@dataclass(frozen=True, slots=True)
class Totals:
    """Runs, tokens, cost and feedback of one agent or one UTC day."""

    key: str
    runs: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # None when no run of the group had a price
    good: int
    bad: int


class SqlHistory(ABC):
    kind: str
    placeholder = "?"

    def __init__(self) -> None:
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the history is, safe to show (no password)."""

    @abstractmethod
    def _transaction(self, write: bool = True) -> AbstractContextManager[Any]:
        """A new connection inside one transaction, committed on success, closed after."""

    @abstractmethod
    def _lock_for_migration(self, connection: Any) -> None:
        """Make concurrent migrations of other processes wait (inside the transaction)."""

    def _exists(self) -> bool:
        """Whether there is a history to read (reading a history that was never written creates nothing)."""
        return True

    def _sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    def _execute(self, connection: Any, text: str, params: Sequence[Any] = ()) -> Any:
        return connection.execute(self._sql(text), tuple(params))

    def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        with self._schema_lock, self._guard("prepare"), self._transaction() as connection:
            self._lock_for_migration(connection)
            self._execute(connection, f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
                                      "applied TEXT NOT NULL)")
            row = self._execute(connection, f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            if current > LATEST:
                raise HistoryError(f"the run history at {self.where} has schema version {current}, newer than "
                                   f"this TechCat knows ({LATEST}); upgrade TechCat to use it")
            for migration in MIGRATIONS:
                if migration.version > current:
                    for statement in migration.statements:
                        self._execute(connection, statement)
                    self._execute(connection, f"INSERT INTO {VERSION_TABLE} (version, applied) VALUES (?, ?)",
                                  (migration.version, utc_stamp(dt.datetime.now(dt.UTC))))
        self._schema_ready = True

    def _guard(self, doing: str) -> AbstractContextManager[None]:
        return _Guard(self, doing)

    def add(self, record: RunRecord) -> None:
        self.ensure_schema()
        values = _row(record)
        columns = ", ".join(ALL_COLUMNS)
        marks = ", ".join("?" for _ in ALL_COLUMNS)
        with self._guard("record the run in"), self._transaction() as connection:
            self._execute(connection, f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})", values)

    def recent(self, query: RunQuery) -> list[RunRecord]:
        """The runs that match, newest first."""
        if not self._exists():
            return []
        self.ensure_schema()
        where, params = _where(query)
        with self._guard("read"), self._transaction(write=False) as connection:
            rows = self._execute(connection, f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM {TABLE}{where} "
                                             "ORDER BY started DESC, record_id DESC LIMIT ?",
                                 (*params, query.limit)).fetchall()
        return [_record(SUMMARY_COLUMNS, row) for row in rows]

    def get(self, ident: str) -> RunRecord:
        """One run, with its messages and reply, by run id (or a unique start of one, or of its record id)
        or by the task id it logged."""
        value = check_run_id(ident)
        if not self._exists():
            raise HistoryError(f"no run {ident!r}: the history at {self.where} is empty")
        self.ensure_schema()
        if value.startswith("task-"):
            condition, params = "task_id = ?", [value]
        else:
            condition, params = "run_id LIKE ? OR record_id LIKE ?", [f"{value}%", f"{value}%"]
        with self._guard("read"), self._transaction(write=False) as connection:
            rows = self._execute(connection, f"SELECT {', '.join(ALL_COLUMNS)} FROM {TABLE} WHERE {condition} "
                                             "ORDER BY started DESC LIMIT 6", params).fetchall()
        records = [_record(ALL_COLUMNS, row) for row in rows]
        exact = [r for r in records if r.run_id == value or r.record_id == value]
        if len(exact) == 1:
            return exact[0]
        candidates = exact or [r for r in records if r.run_id.startswith(value)] or records  # run ids first
        if not candidates:
            raise HistoryError(f"no run {ident!r} in the history at {self.where}; `techcat runs` lists them")
        if len(candidates) > 1:
            count = f"{len(candidates)}" if len(rows) < 6 else "several"
            choices = ", ".join(f"{r.record_id} ({r.agent}, {r.started[:16]})" for r in candidates[:5])
            raise HistoryError(f"{ident!r} matches {count} runs; give more of its record id: {choices}")
        return candidates[0]

    def rate(self, ident: str, rating: str, note: str | None) -> RunRecord:
        if rating not in RATINGS:
            raise HistoryError(f"rating {rating!r} is neither good nor bad")
        record = self.get(ident)
        stamp = utc_stamp(dt.datetime.now(dt.UTC))
        with self._guard("rate the run in"), self._transaction() as connection:
            self._execute(connection, f"UPDATE {TABLE} SET rating = ?, note = ?, rated_at = ? WHERE record_id = ?",
                          (rating, note, stamp, record.record_id))
        record.rating = "good" if rating == "good" else "bad"
        record.note, record.rated_at = note, stamp
        return record

    def totals(self, by: Literal["agent", "day"], since: str | None = None) -> list[Totals]:
        """Runs, tokens, cost and feedback per agent (most runs first) or per UTC day (newest first)."""
        if not self._exists():
            return []
        self.ensure_schema()
        key = "agent" if by == "agent" else "substr(started, 1, 10)"
        where, params = _where(RunQuery(since=since))
        order = "COUNT(*) DESC, k" if by == "agent" else "k DESC"
        with self._guard("read"), self._transaction(write=False) as connection:
            rows = self._execute(connection, f"SELECT {key} AS k, COUNT(*), CAST(COALESCE(SUM(prompt_tokens), 0) AS "
                                             "BIGINT), CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT), SUM(cost), "
                                             "SUM(CASE WHEN rating = 'good' THEN 1 ELSE 0 END), "
                                             "SUM(CASE WHEN rating = 'bad' THEN 1 ELSE 0 END) "
                                             f"FROM {TABLE}{where} GROUP BY k ORDER BY {order}", params).fetchall()
        return [Totals(str(k), int(n), int(pt), int(ct), float(cost) if cost is not None else None, int(good),
                       int(bad)) for k, n, pt, ct, cost, good, bad in rows]


class _Guard(AbstractContextManager[None]):
    """Turns the drivers' own errors into a HistoryError that names the history."""

    def __init__(self, history: SqlHistory, doing: str) -> None:
        self.history, self.doing = history, doing

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if error is None or isinstance(error, HistoryError) or not isinstance(error, Exception):
            return
        from techcat_core.runs.scrub import scrub

        detail = " ".join(str(error).split()) or type(error).__name__
        raise HistoryError(f"could not {self.doing} the run history at {self.history.where}: "
                           f"{scrub(detail, ())}") from None


def _where(query: RunQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.agent:
        clauses.append("agent = ?")
        params.append(query.agent)
    if query.outcome:
        clauses.append("outcome = ?")
        params.append(query.outcome)
    if query.since:
        clauses.append("started >= ?")
        params.append(query.since)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _row(record: RunRecord) -> list[Any]:
    data = record.full()
    data["files"] = json.dumps(record.files, ensure_ascii=False)
    data["messages"] = json.dumps(record.messages, ensure_ascii=False)
    data["tokens_estimated"] = int(record.tokens_estimated)
    data["trimmed"] = int(record.trimmed)
    return [data[column] for column in ALL_COLUMNS]


def _record(columns: Sequence[str], row: Sequence[Any]) -> RunRecord:
    data = dict(zip(columns, row, strict=True))
    data["files"] = json.loads(data["files"] or "[]")
    data["tokens_estimated"] = bool(data["tokens_estimated"])
    data["trimmed"] = bool(data["trimmed"])
    if "messages" in data:
        data["messages"] = json.loads(data["messages"] or "[]")
    for number in ("depth", "duration_ms", "prompt_tokens", "completion_tokens"):
        if data[number] is not None:
            data[number] = int(data[number])
    if data["cost"] is not None:
        data["cost"] = float(data["cost"])
    return RunRecord(**data)


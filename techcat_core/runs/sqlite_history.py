"""The default run history: SQLite (the standard library's) in `.codex/.techcat/runs.sqlite3`, local and
git-ignored. WAL mode lets a TUI read while `techcat watch` and the CLI write; writers queue on a busy timeout."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from techcat_core.runs.history import SqlHistory

FILE_NAME = "runs.sqlite3"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another


class SqliteHistory(SqlHistory):
    kind = "sqlite"

    def __init__(self, path: Path, make_dir: Callable[[], object] | None = None) -> None:
        super().__init__()
        self.path = path
        self._make_dir = make_dir  # creates the folder as the workspace wants it (with its .gitignore)

    @property
    def where(self) -> str:
        return str(self.path)

    def _exists(self) -> bool:
        return self.path.is_file()

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        if not self.path.parent.is_dir():
            if self._make_dir is not None:
                self._make_dir()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def _lock_for_migration(self, connection: Any) -> None:
        # BEGIN IMMEDIATE already holds the write lock; WAL is a property of the file, set once
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            connection.execute("COMMIT")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("BEGIN IMMEDIATE")

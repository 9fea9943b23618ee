"""The default run history: SQLite (the standard library's) in `.codex/.techcat/runs.sqlite3`, local and
git-ignored. WAL mode lets a TUI read while `techcat watch` and the CLI write; writers queue on a busy timeout."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
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
        self._local = threading.local()

    @property
    def where(self) -> str:
        return str(self.path)

    def _exists(self) -> bool:
        return self.path.is_file()

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except BaseException:
            self._drop()
            raise
        try:
            yield connection
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except BaseException:
            self._drop()
            raise

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, kept open: opening the file and closing it (which checkpoints the WAL)
        cost 20-30 ms a record on a slow disk, more than the rest of the run's bookkeeping. A file that was
        replaced or deleted meanwhile gets a new connection."""
        if not self.path.parent.is_dir():
            if self._make_dir is not None:
                self._make_dir()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        held: tuple[sqlite3.Connection, tuple[int, int]] | None = getattr(self._local, "held", None)
        if held is not None and held[1] == _identity(self.path):
            return held[0]
        self._drop()
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            # in WAL mode a commit need not wait for the disk: a crash can lose the newest records, never the file
            connection.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            connection.close()
            raise
        self._local.held = (connection, _identity(self.path))
        return connection

    def _drop(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            with contextlib.suppress(sqlite3.Error):
                held[0].close()

    def _lock_for_migration(self, connection: Any) -> None:
        # BEGIN IMMEDIATE already holds the write lock; WAL is a property of the file, set once
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            connection.execute("COMMIT")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("BEGIN IMMEDIATE")


def _identity(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_dev, stat.st_ino)

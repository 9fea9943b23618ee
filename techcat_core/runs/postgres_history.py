"""A team's run history in PostgreSQL (`[history] url = "postgresql://…"`), through psycopg 3.

The schema and every statement are the SQLite history's; migrations take a transaction-scoped
advisory lock, so two TechCats starting at once against a new database migrate it once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from techcat_core.runs.history import HistoryError, SqlHistory

MIGRATION_LOCK = 0x7EC4_CA7_0001  # pg_advisory_xact_lock key: TechCat's schema migrations
CONNECT_TIMEOUT = 10  # seconds


class PostgresHistory(SqlHistory):
    kind = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._local = threading.local()

    @property
    def where(self) -> str:
        from techcat_core.runtime.settings import redacted_url

        return redacted_url(self.url)

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:
        connection = self._connection()
        try:
            with connection.transaction():
                yield connection
        except BaseException:
            if connection.broken or connection.closed:
                self._local.connection = None  # the next operation connects again
            raise

    def _connection(self) -> Any:
        """This thread's connection, kept open: connecting (TLS, authentication) costs more than a record."""
        try:
            import psycopg
        except ImportError:
            raise HistoryError("`[history] url` names a PostgreSQL history, which needs psycopg 3: "
                               "pip install 'techcat-studio[postgres]'") from None
        connection = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed and not connection.broken:
            try:
                connection.execute("SELECT 1")  # one round trip: the server may have restarted since
                return connection
            except psycopg.Error:
                with contextlib.suppress(psycopg.Error):
                    connection.close()
        connection = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT, autocommit=True)
        self._local.connection = connection
        return connection

    def _lock_for_migration(self, connection: Any) -> None:
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))

"""Which run history a workspace uses: `TECHCAT_HISTORY_URL`, else `[history] url`, else local SQLite.

A URL in `techcat.toml` is committed with the project, so one holding a password is refused: the
password belongs in `PGPASSWORD` or `~/.pgpass`, or the whole URL in `TECHCAT_HISTORY_URL`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from techcat_core.config import TechcatConfig, load_config
from techcat_core.runs.history import HistoryError, SqlHistory

HISTORY_URL_ENV = "TECHCAT_HISTORY_URL"
CONFIG_NAME = "techcat.toml"  # techcat_core.workspace.CONFIG, without importing the parsers
_SCHEMES = ("postgresql://", "postgres://")

_histories: dict[tuple[str, str], SqlHistory] = {}
_histories_lock = threading.Lock()


def workspace_config(codex_dir: Path) -> TechcatConfig:
    """The workspace's settings; a `techcat.toml` with a problem is refused (it may name another history)."""
    path = codex_dir / CONFIG_NAME
    config, problems = load_config(path)
    if problems:
        problem = problems[0]
        raise HistoryError(f"{path}:{problem.line + 1}:{problem.character + 1}: {problem.message}; fix it first "
                           "(`techcat check` shows every problem)")
    return config


def history_url(config: TechcatConfig, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    from_env = (env.get(HISTORY_URL_ENV) or "").strip()
    if from_env:
        if not from_env.startswith(_SCHEMES):
            raise HistoryError(f"{HISTORY_URL_ENV} must be a postgresql:// URL (unset it for the local SQLite "
                               "history)")
        return from_env
    url = config.history.url
    if url and _has_password(url):
        raise HistoryError("`[history] url` in techcat.toml holds a password, and that file is committed; put the "
                           f"password in PGPASSWORD or ~/.pgpass, or the whole URL in {HISTORY_URL_ENV}")
    return url


def _has_password(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.password is not None or "password" in parse_qs(parts.query)


def open_history(codex_dir: Path, config: TechcatConfig | None = None,
                 env: Mapping[str, str] | None = None) -> SqlHistory:
    """The workspace's history (one object per place per process, so its schema is checked once)."""
    config = workspace_config(codex_dir) if config is None else config
    url = history_url(config, env)
    if url:
        key = ("postgresql", url)
    else:
        from techcat_core.runs.sqlite_history import FILE_NAME
        from techcat_core.tasklog.store import STATE_DIR

        key = ("sqlite", str((codex_dir / STATE_DIR / FILE_NAME).resolve()))
    with _histories_lock:
        history = _histories.get(key)
        if history is None:
            history = _histories[key] = _make(key, codex_dir)
    return history


def _make(key: tuple[str, str], codex_dir: Path) -> SqlHistory:
    kind, where = key
    if kind == "postgresql":
        from techcat_core.runs.postgres_history import PostgresHistory

        return PostgresHistory(where)
    from techcat_core.runs.sqlite_history import SqliteHistory
    from techcat_core.tasklog.store import state_dir

    return SqliteHistory(Path(where), lambda: state_dir(codex_dir))

"""The run history in a real PostgreSQL (started for these tests, never a mock): the same record, the same
schema and the same commands as the local SQLite history."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from techcat_core.runs.history import HistoryError
from techcat_core.runs.postgres_history import PostgresHistory
from techcat_core.runs.query import RunQuery
from techcat_core.runs.store import open_history
from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import techcat
from tests.pg_server import PgServer, postgres_server
from tests.wsbuilder import make_workspace

KEY = "sk-test-SECRET-123"


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_url(pg: PgServer) -> str:
    return pg.url(pg.create_database())


def _toml(url: str) -> str:
    return f'[history]\nurl = "{url}"\n\n[prices."gpt-4o-mini"]\ninput = 0.15\noutput = 0.6\n'


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": KEY, "TECHCAT_HISTORY_URL": ""}


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()  # type: ignore[arg-type]


def test_cli_run_then_runs_json_from_postgresql(tmp_path: Path, fake_openai: FakeOpenAI, pg_url: str) -> None:
    codex = make_workspace(tmp_path, extra={"techcat.toml": _toml(pg_url)})
    reply = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"
    fake_openai.queue(Behaviour(reply=reply, usage=(4321, 87)))
    run = techcat("run", "planner", "Plan the next milestone", cwd=tmp_path, env=_env(fake_openai))
    assert run.returncode == 0, run.stderr
    assert "not recorded" not in run.stderr
    listing = techcat("runs", "--format", "json", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert listing.returncode == 0, listing.stderr
    payload = json.loads(listing.stdout)
    assert payload["history"] == pg_url
    [record] = payload["runs"]
    assert (record["agent"], record["outcome"], record["task_id"]) == ("planner", "done", "task-003")
    assert (record["prompt_tokens"], record["completion_tokens"], record["tokens_estimated"]) == (4321, 87, False)
    assert record["cost"] == pytest.approx((4321 * 0.15 + 87 * 0.6) / 1_000_000)
    assert record["files"] == [".codex/PROPOSED-TASKS.md"]
    shown = techcat("runs", "show", record["run_id"], "--format", "json", cwd=tmp_path, env=_env(fake_openai))
    assert shown.returncode == 0, shown.stderr
    full = json.loads(shown.stdout)["run"]
    assert full["messages"] == fake_openai.requests[-1].body["messages"] and full["reply"] == reply
    rated = techcat("runs", "rate", record["run_id"], "good", "right", "first", "time", cwd=tmp_path)
    assert rated.returncode == 0, rated.stderr
    assert _rows(pg_url, "SELECT run_id, rating, note FROM techcat_runs") == [(record["run_id"], "good",
                                                                               "right first time")]
    assert not (codex / ".techcat" / "runs.sqlite3").exists()  # the team's history, not a local one


def test_the_environment_url_wins_over_the_file(tmp_path: Path, fake_openai: FakeOpenAI, pg: PgServer) -> None:
    in_file, in_env = pg.url(pg.create_database()), pg.url(pg.create_database())
    make_workspace(tmp_path, extra={"techcat.toml": _toml(in_file)})
    fake_openai.queue("Planned.\n")
    env = {**_env(fake_openai), "TECHCAT_HISTORY_URL": in_env}
    assert techcat("run", "planner", "Plan", "--no-chain", cwd=tmp_path, env=env).returncode == 0
    assert len(_rows(in_env, "SELECT run_id FROM techcat_runs")) == 1
    assert _rows(in_file, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'techcat_runs'") == [(0,)]


def test_the_same_schema_as_sqlite(tmp_path: Path, pg_url: str) -> None:
    codex = make_workspace(tmp_path)
    open_history(codex, env={"TECHCAT_HISTORY_URL": ""}).ensure_schema()
    PostgresHistory(pg_url).ensure_schema()
    with sqlite3.connect(codex / ".techcat" / "runs.sqlite3") as db:
        local = [row[1] for row in db.execute("PRAGMA table_info(techcat_runs)")]
    team = [row[0] for row in _rows(pg_url, "SELECT column_name FROM information_schema.columns WHERE table_name = "
                                            "'techcat_runs' ORDER BY ordinal_position")]
    assert team == local and "record_id" in team and "messages" in team
    assert _rows(pg_url, "SELECT version FROM techcat_schema ORDER BY version") == [(1,), (2,)]


def test_concurrent_first_uses_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def first_use() -> None:
        try:
            start.wait(timeout=30)
            PostgresHistory(pg_url).ensure_schema()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _rows(pg_url, "SELECT version FROM techcat_schema ORDER BY version") == [(1,), (2,)]


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    PostgresHistory(pg_url).ensure_schema()
    with psycopg.connect(pg_url) as connection:
        connection.execute("INSERT INTO techcat_schema VALUES (7, 'later')")
    with pytest.raises(HistoryError, match="has schema version 7, newer than this TechCat knows"):
        PostgresHistory(pg_url).recent(RunQuery())


async def test_an_unreachable_server_costs_a_notice_not_the_run(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                pg: PgServer) -> None:
    nowhere = f"postgresql:///techcat?host={tmp_path}&user={pg.user}"  # no server listens there
    codex = make_workspace(tmp_path, extra={"techcat.toml": _toml(nowhere)})
    fake_openai.queue("Planned without a history.\n")
    events = [e async for e in run_agent(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))]
    assert any(isinstance(e, ev.Logged) for e in events) and not any(isinstance(e, ev.RunFailed) for e in events)
    [notice] = [e for e in events if isinstance(e, ev.Notice)]
    assert notice.message.startswith(f"this run was not recorded in the run history: could not prepare the run "
                                     f"history at {nowhere}: ")
    assert "\n" not in notice.message


def test_a_restarted_server_is_reconnected_to(tmp_path: Path, pg_url: str, pg: PgServer) -> None:
    from techcat_core.runs.record import RunRecord
    from tests.pg_server import restart

    history = PostgresHistory(pg_url)
    history.add(RunRecord(run_id="0000aaaa", chain_id="0000aaaa", agent="planner", task="before",
                          started="2026-12-04T10:00:00.000000Z"))
    restart(pg)  # every connection the server had is gone
    history.add(RunRecord(run_id="0000bbbb", chain_id="0000bbbb", agent="planner", task="after",
                          started="2026-12-04T11:00:00.000000Z"))
    assert [r.task for r in history.recent(RunQuery())] == ["after", "before"]

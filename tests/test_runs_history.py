"""The run history end to end: real runs against the local OpenAI-compatible server, the real `techcat runs`
CLI in a subprocess, and the SQLite file under `.codex/.techcat/`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runs.history import HistoryError
from techcat_core.runs.query import RunQuery
from techcat_core.runs.sqlite_history import SqliteHistory
from techcat_core.runs.store import open_history
from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import techcat
from tests.waiting import async_wait_until
from tests.wsbuilder import AGENTS_MD, make_workspace

KEY = "sk-test-SECRET-123"
PRICES = '[prices."gpt-4o-mini"]\ninput = 2.5\noutput = 10.0\n'


def _env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": KEY, "TECHCAT_HISTORY_URL": "", **extra}


def _runs(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = techcat("runs", *args, "--format", "json", cwd=cwd, env=env or {"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def _collect(codex: Path, request: RunRequest) -> list[Any]:
    return [event async for event in run_agent(codex, request)]


def test_cli_run_then_runs_json_shows_the_run_with_the_servers_usage(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    make_workspace(tmp_path, extra={"techcat.toml": PRICES})
    reply = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"
    fake_openai.queue(Behaviour(reply=reply, usage=(1234, 56)))
    run = techcat("run", "planner", "Plan the next milestone", cwd=tmp_path, env=_env(fake_openai))
    assert run.returncode == 0, run.stderr
    assert "not recorded" not in run.stderr
    listing = _runs(tmp_path)
    assert listing["schemaVersion"] == 1
    assert listing["history"] == str(tmp_path / ".codex" / ".techcat" / "runs.sqlite3")
    [record] = listing["runs"]  # the chained task_logger only confirms the entry: not a run of its own
    assert record["agent"] == "planner" and record["outcome"] == "done" and record["reason"] is None
    assert (record["prompt_tokens"], record["completion_tokens"], record["tokens_estimated"]) == (1234, 56, False)
    assert record["cost"] == pytest.approx((1234 * 2.5 + 56 * 10.0) / 1_000_000)
    assert record["task_id"] == "task-003" and record["files"] == [".codex/PROPOSED-TASKS.md"]
    assert record["executor"] == "builtin" and record["model"] == "gpt-4o-mini"
    assert record["provider"] == f"openai-compatible {fake_openai.base_url}"
    assert record["task"] == "Plan the next milestone" and record["chain_id"] == record["run_id"]
    assert record["depth"] == 0 and record["parent_id"] is None and record["duration_ms"] >= 0
    assert len(record["prompt_hash"]) == 64 and "messages" not in record and "reply" not in record
    shown = techcat("runs", "show", record["run_id"], "--format", "json", cwd=tmp_path, env=_env(fake_openai))
    assert shown.returncode == 0, shown.stderr
    full = json.loads(shown.stdout)["run"]
    assert full["messages"] == fake_openai.requests[-1].body["messages"]  # exactly what was sent
    assert full["reply"] == reply
    assert (tmp_path / ".codex" / ".techcat" / ".gitignore").read_text() == "*\n"  # local, git-ignored


def test_runs_show_prints_messages_and_reply_but_never_the_key(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    make_workspace(tmp_path)
    fake_openai.queue(Behaviour(reply=f"Planned it. The key was {KEY}, oops.\n", usage=(20, 5)))
    run = techcat("run", "planner", f"Plan it; my key is {KEY}", "--no-chain", cwd=tmp_path, env=_env(fake_openai))
    assert run.returncode == 0, run.stderr
    [record] = _runs(tmp_path)["runs"]
    shown = techcat("runs", "show", record["run_id"][:5], cwd=tmp_path, env=_env(fake_openai))
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert f"run {record['run_id']}  planner  done" in out
    assert "tokens    20/5 in/out (as the server reported)" in out
    assert "--- system ---" in out and "--- user ---" in out and "Task Forecaster" in out
    assert "--- reply ---\nPlanned it. The key was [redacted], oops." in out
    assert "my key is [redacted]" in out
    assert KEY not in out
    database = (tmp_path / ".codex" / ".techcat" / "runs.sqlite3").read_bytes()
    assert KEY.encode() not in database
    by_task = techcat("runs", "show", "task-003", cwd=tmp_path, env=_env(fake_openai))
    assert by_task.returncode == 0 and f"run {record['run_id']}" in by_task.stdout


def test_rate_stores_feedback(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    make_workspace(tmp_path)
    fake_openai.queue("Planned the release.\n")
    assert techcat("run", "planner", "Plan", "--no-chain", cwd=tmp_path, env=_env(fake_openai)).returncode == 0
    [record] = _runs(tmp_path)["runs"]
    rated = techcat("runs", "rate", record["run_id"], "bad", "missed", "the", "deadline", cwd=tmp_path)
    assert rated.returncode == 0, rated.stderr
    assert rated.stdout.strip() == f"rated run {record['run_id']} (planner, task-003) bad: missed the deadline"
    [again] = _runs(tmp_path)["runs"]
    assert (again["rating"], again["note"]) == ("bad", "missed the deadline") and again["rated_at"]
    good = techcat("runs", "rate", "task-003", "good", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert [(r["rating"], r["note"]) for r in _runs(tmp_path)["runs"]] == [("good", None)]
    wrong = techcat("runs", "rate", record["run_id"], "meh", cwd=tmp_path)
    assert wrong.returncode == 2 and "invalid choice: 'meh'" in wrong.stderr and "Traceback" not in wrong.stderr


def test_listing_is_newest_first_and_filters(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    agents = AGENTS_MD + "\n## Agent: `writer`\n\n- **Role:** Writes notes\n- **Output:** docs/notes.md\n"
    make_workspace(tmp_path, agents=agents)
    fake_openai.queue("Planned one.\n", "Wrote the notes.\n", Behaviour(status=400))
    for agent, task in (("planner", "first"), ("writer", "second"), ("planner", "third")):
        techcat("run", agent, task, "--no-chain", cwd=tmp_path, env=_env(fake_openai))
    assert [r["task"] for r in _runs(tmp_path)["runs"]] == ["third", "second", "first"]
    assert [r["task"] for r in _runs(tmp_path, "--agent", "planner")["runs"]] == ["third", "first"]
    [failed] = _runs(tmp_path, "--outcome", "failed")["runs"]
    assert failed["task"] == "third" and "HTTP 400" in failed["reason"] and failed["task_id"] is None
    assert failed["prompt_tokens"] is None  # nothing came back, so nothing is claimed
    assert _runs(tmp_path, "--since", "1h")["runs"][0]["task"] == "third"
    assert _runs(tmp_path, "--since", "2999-01-01")["runs"] == []
    assert [r["task"] for r in _runs(tmp_path, "--limit", "1")["runs"]] == ["third"]
    text = techcat("runs", cwd=tmp_path)
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["RUN", "STARTED", "AGENT", "OUTCOME", "TOKENS", "IN/OUT", "COST", "TASK", "RATING",
                                "WHAT"]
    assert "failed" in lines[1] and lines[2].lstrip().startswith("✗ ") and "HTTP 400" in lines[2]


@pytest.mark.parametrize("args, message", [
    (("--since", "yesterday"), "since 'yesterday' is neither a date"),
    (("--outcome", "great"), "outcome 'great' is not one of done, failed, cancelled, dry-run"),
    (("show", "zz!"), "'zz!' is not a run id"),
    (("show", "deadbeef"), "no run 'deadbeef'"),
])
def test_bad_input_is_one_located_sentence(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    make_workspace(tmp_path)
    result = techcat("runs", *args, cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_techcat_toml_stops_runs_with_its_location(tmp_path: Path) -> None:
    make_workspace(tmp_path, extra={"techcat.toml": '[history]\nurl = "mysql://db/x"\n'})
    result = techcat("runs", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 2 and "techcat.toml:2:7: history.url" in result.stderr


def test_a_password_in_the_committed_url_is_refused(tmp_path: Path) -> None:
    make_workspace(tmp_path, extra={"techcat.toml": '[history]\nurl = "postgresql://me:hunter2@db/x"\n'})
    result = techcat("runs", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 2 and "holds a password" in result.stderr and "hunter2" not in result.stderr


async def test_a_history_that_cannot_be_written_costs_a_notice_not_the_run(tmp_path: Path,
                                                                            fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    (codex / ".techcat" / "runs.sqlite3").mkdir(parents=True)  # a folder where the database file should be
    fake_openai.queue("Planned despite it.\n")
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert any(isinstance(e, ev.Logged) for e in events)
    finished = next(i for i, e in enumerate(events) if isinstance(e, ev.RunFinished))
    notices = [e for e in events[finished:] if isinstance(e, ev.Notice)]
    assert len(notices) == 1 and notices[0].message.startswith("this run was not recorded in the run history: "
                                                               "could not")
    assert str(codex / ".techcat" / "runs.sqlite3") in notices[0].message
    assert not any(isinstance(e, ev.RunFailed) for e in events)


async def test_dry_runs_cancelled_runs_and_unknown_agents_are_recorded(tmp_path: Path,
                                                                       fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    await _collect(codex, RunRequest("planner", "Only look", env={"TECHCAT_HISTORY_URL": ""}))  # no provider
    await _collect(codex, RunRequest("nobody", "Who?", env=_env(fake_openai)))
    fake_openai.queue(Behaviour(reply="slow reply " * 40, chunk_delay=0.05))
    cancel = asyncio.Event()
    seen: list[Any] = []
    async for event in run_agent(codex, RunRequest("planner", "Stop me", env=_env(fake_openai), cancel=cancel)):
        seen.append(event)
        if sum(isinstance(e, ev.TextDelta) for e in seen) == 3:
            cancel.set()
    history = open_history(codex, env={"TECHCAT_HISTORY_URL": ""})
    cancelled, unknown, dry = history.recent(RunQuery())
    assert (dry.outcome, dry.agent, dry.prompt_tokens, dry.provider) == ("dry-run", "planner", None, "dry-run")
    assert dry.messages == [] and dry.prompt_hash  # a listing leaves the texts out
    assert history.get(dry.run_id).messages[0]["role"] == "system"
    assert (unknown.outcome, unknown.agent, unknown.task) == ("failed", "nobody", "Who?")
    assert unknown.reason is not None and "no agent named `nobody`" in unknown.reason
    assert cancelled.outcome == "cancelled" and cancelled.task_id is None and cancelled.files == []
    assert cancelled.tokens_estimated and cancelled.completion_tokens == 9  # 3 pieces of 12 characters, estimated
    assert history.get(cancelled.run_id).reply == ("slow reply " * 40)[:36]


async def test_a_chain_records_each_model_run_under_its_root(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    agents = AGENTS_MD.replace("Once complete, invoke `task_logger`.", "Once complete, invoke `writer`.", 1) + \
        "\n## Agent: `writer`\n\n- **Role:** Writes notes\n- **Output:** docs/notes.md\n"
    codex = make_workspace(tmp_path, agents=agents)
    fake_openai.queue(Behaviour(reply="Planned the release.\n", usage=(100, 10)),
                      Behaviour(reply="Wrote the release notes.\n", usage=(200, 20)))
    events = await _collect(codex, RunRequest("planner", "Plan the release", env=_env(fake_openai)))
    assert [e.agent for e in events if isinstance(e, ev.RunStarted)] == ["planner", "writer"]
    history = open_history(codex, env={"TECHCAT_HISTORY_URL": ""})
    writer, planner = history.recent(RunQuery())
    assert (planner.agent, planner.task_id, planner.prompt_tokens, planner.depth) == ("planner", "task-003", 100, 0)
    assert (writer.agent, writer.task_id, writer.prompt_tokens, writer.depth) == ("writer", "task-004", 200, 1)
    assert writer.chain_id == planner.run_id == writer.parent_id == planner.chain_id
    assert writer.files == ["docs/notes.md"] and planner.cost is None  # no price table: no cost


async def test_long_texts_are_trimmed_at_the_configured_size(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra={"techcat.toml": "[history]\nmax_record_bytes = 1024\n"})
    reply = "Planned a lot.\n\n" + "é" * 3000
    fake_openai.queue(reply)
    await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    [record] = open_history(codex, env={"TECHCAT_HISTORY_URL": ""}).recent(RunQuery())
    full = open_history(codex, env={"TECHCAT_HISTORY_URL": ""}).get(record.run_id)
    assert full.trimmed
    kept, marker = full.reply.rsplit("\n[… trimmed by TechCat: ", 1)
    assert len(kept.encode()) <= 1024 and reply.startswith(kept)
    assert marker == f"{len(reply.encode()) - len(kept.encode())} more bytes]"
    assert all(len(m["content"].encode()) < 1024 + 60 for m in full.messages)


def test_migrations_are_versioned_and_a_newer_history_is_refused(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    history = open_history(codex, env={"TECHCAT_HISTORY_URL": ""})
    history.ensure_schema()
    path = codex / ".techcat" / "runs.sqlite3"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM techcat_schema").fetchall() == [(1,), (2,)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        db.execute("INSERT INTO techcat_schema VALUES (3, 'a newer TechCat')")
    result = techcat("runs", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 2, result.stderr
    assert "has schema version 3, newer than this TechCat knows (2); upgrade TechCat" in result.stderr
    with pytest.raises(HistoryError, match="newer than this TechCat knows"):
        SqliteHistory(path).recent(RunQuery())


async def test_a_hard_cancel_still_records_the_run_as_cancelled(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(reply="slow reply " * 40, chunk_delay=0.05))
    first_text = asyncio.Event()

    async def consume() -> None:
        async for event in run_agent(codex, RunRequest("planner", "Cut me off", env=_env(fake_openai))):
            if isinstance(event, ev.TextDelta):
                first_text.set()

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(first_text.wait(), 30)
    task.cancel()  # the consumer goes away mid-stream: no RunCancelled event is ever yielded
    with pytest.raises(asyncio.CancelledError):
        await task
    history = open_history(codex, env={"TECHCAT_HISTORY_URL": ""})
    # written by a thread of its own: there is no event to wait on, only the record to appear
    [record] = await async_wait_until(lambda: history.recent(RunQuery()), "the cancelled run's record",
                                      interval=0.05)
    assert (record.outcome, record.reason, record.task) == ("cancelled", "the run was stopped before it finished",
                                                            "Cut me off")


def test_a_damaged_history_file_is_one_sentence(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (codex / ".techcat").mkdir()
    (codex / ".techcat" / "runs.sqlite3").write_bytes(b"this is not a database" * 100)
    result = techcat("runs", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    where = codex / ".techcat" / "runs.sqlite3"
    assert result.stderr.strip() == f"techcat: could not prepare the run history at {where}: file is not a database"


async def test_many_runs_at_once_each_leave_their_own_record(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=AGENTS_MD + "\n## Agent: `writer`\n\n- **Role:** Notes\n"
                                                        "- **Output:** docs/notes.md\n")
    fake_openai.default = Behaviour(reply="Did some work.\n", chunk_delay=0.001, usage=(10, 3))

    async def one(i: int) -> list[Any]:
        agent = ("planner", "writer")[i % 2]
        return await _collect(codex, RunRequest(agent, f"Task number {i}", env=_env(fake_openai), chain=False))

    results = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(24))), 240)
    assert not any(isinstance(e, ev.Notice) for events in results for e in events)
    records = open_history(codex, env={"TECHCAT_HISTORY_URL": ""}).recent(RunQuery(limit=100))
    assert sorted(r.task for r in records) == sorted(f"Task number {i}" for i in range(24))
    started = {e.run_id: e.task for events in results for e in events if isinstance(e, ev.RunStarted)}
    assert {r.run_id: r.task for r in records} == started
    assert {r.outcome for r in records} == {"done"} and {r.prompt_tokens for r in records} == {10}
    assert len({r.task_id for r in records}) == 24


def test_show_prefers_run_ids_and_names_the_choices_when_ambiguous(tmp_path: Path) -> None:
    from techcat_core.runs.record import RunRecord

    codex = make_workspace(tmp_path)
    history = open_history(codex, env={"TECHCAT_HISTORY_URL": ""})
    stamp = "2026-12-04T10:00:00.000000Z"
    history.add(RunRecord(run_id="abcd0001", chain_id="abcd0001", agent="planner", task="one", started=stamp,
                          record_id="ffff" + "0" * 28))
    history.add(RunRecord(run_id="ffff0002", chain_id="ffff0002", agent="writer", task="two", started=stamp,
                          record_id="abcd" + "1" * 28))
    assert history.get("abcd").task == "one"  # the run id, not the other run's record id
    history.add(RunRecord(run_id="abcd0001", chain_id="abcd0001", agent="writer", task="three", started=stamp))
    result = techcat("runs", "show", "abcd0001", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert result.returncode == 2
    assert "'abcd0001' matches 2 runs; give more of its record id: " in result.stderr
    assert "ffff" + "0" * 28 + " (planner, 2026-12-04T10:00)" in result.stderr

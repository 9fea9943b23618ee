"""Agent runs from the editor: a code action's command runs an agent against the local OpenAI-compatible
test server, streams work-done progress, shows the result, updates the task log, and can be cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig

from tests.fake_openai import Behaviour, FakeOpenAI
from tests.lsp.conftest import log_entries, recording_client
from tests.lsp.helpers import SERVER, SERVER_ENV, Session
from tests.waiting import async_wait_until


@contextlib.asynccontextmanager
async def started(profile: str, root: Path, fake: FakeOpenAI) -> AsyncIterator[Session]:
    env = {**SERVER_ENV, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-lsp"}
    client = await ClientServerConfig(server_command=SERVER, server_env=env, client_factory=recording_client).start()
    session = Session(client, profile, root)  # type: ignore[arg-type]
    await session.start()
    try:
        yield session
    finally:
        await session.client.shutdown_session()
        await session.client.stop()  # type: ignore[no-untyped-call]


def _kinds(reports: list[Any]) -> list[str]:
    return [type(r).__name__ for r in reports]


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_run_with_an_agent_from_a_code_action(profile: str, repo: Path, fake_openai: FakeOpenAI) -> None:
    reply = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"
    fake_openai.queue(Behaviour(reply=reply, chunk_delay=0.02))
    async with started(profile, repo, fake_openai) as session:
        proposed = session.open(session.codex / "PROPOSED-TASKS.md")
        position = session.at(proposed, "Plan the next milestone", shift=2)
        actions = await session.client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(proposed), lsp.Range(position, position), lsp.CodeActionContext([])))
        run = next(a for a in actions or [] if isinstance(a, lsp.CodeAction) and a.title == "Run with planner")
        assert run.command is not None
        result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            run.command.command, run.command.arguments))
        assert isinstance(result, dict) and result["ok"], result
        assert result["taskId"] == "task-004" and result["files"] == [".codex/PROPOSED-TASKS.md"]
        # one progress per agent of the chain (planner hands off to the built-in task_logger), each its own title
        runs = [list(r) for t, r in session.client.progress_reports.items() if str(t).startswith("techcat-run-")]
        assert len(runs) == 2, runs
        values: list[Any] = runs[0]
        kinds = _kinds(values)
        assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
        assert values[0].title == "TechCat: planner" and values[0].cancellable
        messages = [r.message or "" for r in values[1:-1]]
        assert any("characters" in m for m in messages), messages  # streamed as it arrived
        assert any(m == "wrote .codex/PROPOSED-TASKS.md" for m in messages)
        assert any(m == "logged task-004" for m in messages)
        assert values[-1].message == "planner hands off to task_logger"
        second: list[Any] = runs[1]
        assert second[0].title == "TechCat: task_logger" and _kinds(second)[-1] == "WorkDoneProgressEnd"
        [shown] = [m.message for m in session.client.messages if "planner" in m.message]
        assert shown.startswith("planner wrote .codex/PROPOSED-TASKS.md; logged task-004"), shown
        assert "nothing was written" not in shown
        entry = log_entries(repo)[-1]
        assert entry["agent"] == "planner" and entry["task_id"] == "task-004"
        user = fake_openai.requests[-1].body["messages"][-1]["content"]
        assert "Plan the next milestone" in user


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_a_run_can_be_cancelled_and_writes_nothing(profile: str, repo: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Behaviour(reply="word " * 600, chunk_delay=0.05))
    before = (repo / ".codex" / "TASK-LOG.json").read_bytes()
    async with started(profile, repo, fake_openai) as session:
        running = asyncio.ensure_future(session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            "techcat.runAgent", [{"workspace": str(session.codex), "agent": "planner", "task": "Plan slowly"}])))
        token = await async_wait_until(
            lambda: next((t for t, r in session.client.progress_reports.items() if len(r) > 2), None),
            "the run to report progress", interval=0.05)
        if profile == "vscode":  # the cancel button on VS Code's progress notification
            session.client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token))
        else:  # Neovim has no cancel button: the advertised command
            cancelled = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
                "techcat.cancelRun", [{}]))
            assert isinstance(cancelled, dict) and cancelled["ok"]
        result = await asyncio.wait_for(running, 20)
        assert isinstance(result, dict) and not result["ok"] and result.get("cancelled"), result
        assert _kinds(list(session.client.progress_reports[token]))[-1] == "WorkDoneProgressEnd"
    assert (repo / ".codex" / "TASK-LOG.json").read_bytes() == before


async def test_run_this_agent_asks_which_proposal(repo: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.queue("Planned.\n")
    async with started("neovim", repo, fake_openai) as session:
        asked: list[lsp.ShowMessageRequestParams] = []

        @session.client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
        def choose(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
            asked.append(params)
            return (params.actions or [None])[0]  # type: ignore[list-item]

        result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            "techcat.runAgent", [{"workspace": str(session.codex), "agent": "planner"}]))
        assert isinstance(result, dict) and result["ok"], result
        assert [a.title for a in asked[0].actions or []] == ["#2 Plan the next milestone"]
        assert json.loads((repo / ".codex" / "TASK-LOG.json").read_text())[-1]["agent"] == "planner"


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_a_chained_agent_has_its_own_progress_and_its_cancel_is_its_own(profile: str, repo: Path,
                                                                             fake_openai: FakeOpenAI) -> None:
    """Issue 15: chained agents streamed under the first agent's title, and a cancel during the chained agent
    said the first was cancelled and that nothing was written, though the first had written and logged."""
    agents = repo / ".codex" / "AGENTS.md"
    text = agents.read_text(encoding="utf-8")
    agents.write_text(text.replace("Once complete, invoke `task_logger`.", "Once complete, invoke "
                                   "`frontend_specialist`.", 1), encoding="utf-8")
    fake_openai.queue(Behaviour(reply="Planned.\n\n- [ ] @frontend_specialist Build the settings page\n"))
    fake_openai.queue(Behaviour(reply="word " * 600, chunk_delay=0.05))
    async with started(profile, repo, fake_openai) as session:
        running = asyncio.ensure_future(session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            "techcat.runAgent", [{"workspace": str(session.codex), "agent": "planner", "task": "Plan"}])))

        def titled(agent: str) -> list[Any]:
            return [list(r) for r in session.client.progress_reports.values()
                    if r and getattr(r[0], "title", None) == f"TechCat: {agent}"]

        def streamed() -> list[Any] | None:
            second = titled("frontend_specialist")
            return second if second and any("characters" in (getattr(v, "message", "") or "")
                                            for v in second[0]) else None

        second = await async_wait_until(streamed, "the chained agent to stream under its own title", interval=0.05)
        [first] = titled("planner")
        assert _kinds(first)[-1] == "WorkDoneProgressEnd"  # the first agent's progress ended at the hand-off
        assert first[-1].message == "planner hands off to frontend_specialist"
        token = next(t for t, r in session.client.progress_reports.items() if r and r[0] is second[0][0])
        if profile == "vscode":
            session.client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token))
        else:
            await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams("techcat.cancelRun", [{}]))
        result = await asyncio.wait_for(running, 20)
    assert isinstance(result, dict) and result.get("cancelled"), result
    message = result["message"]
    assert message.startswith("planner wrote .codex/PROPOSED-TASKS.md; logged task-004"), message
    assert "frontend_specialist was cancelled" in message and "planner was cancelled" not in message
    assert "nothing was written" not in message
    assert [a["outcome"] for a in result["agents"]] == ["done", "cancelled"]
    assert log_entries(repo)[-1]["agent"] == "planner"

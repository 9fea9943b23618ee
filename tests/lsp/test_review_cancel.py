"""A run cancelled while VS Code's refactor preview (the review's workspace edit) is open: the run ends as
cancelled at once and logs nothing, the user is told to discard the preview, and a preview applied after the
cancel is named as unlogged. The edit of an open document carries that document's version, so VS Code refuses
it once the document has changed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp

from tests.fake_openai import Behaviour, FakeOpenAI
from tests.lsp.conftest import log_entries
from tests.lsp.test_review import REPLY, _run
from tests.lsp.test_runs import started


async def test_a_cancel_during_the_preview_discards_the_run_and_says_so(repo: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.queue(Behaviour(reply=REPLY))
    proposed = repo / ".codex" / "PROPOSED-TASKS.md"
    before, entries = proposed.read_bytes(), len(log_entries(repo))
    async with started("vscode", repo, fake_openai) as session:
        session.open(proposed)  # version 1
        edits: list[lsp.ApplyWorkspaceEditParams] = []
        cancelled = asyncio.Event()
        answered = asyncio.Event()

        @session.client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
        async def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
            edits.append(params)
            await cancelled.wait()  # the user cancels the run with the preview still open, then applies it
            answered.set()
            return lsp.ApplyWorkspaceEditResult(applied=True)

        running = asyncio.ensure_future(session.client.workspace_execute_command_async(_run(session.codex)))
        deadline = asyncio.get_running_loop().time() + 60
        while not edits:
            assert asyncio.get_running_loop().time() < deadline, "the review's workspace edit never came"
            await asyncio.sleep(0.02)
        stop = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams("techcat.cancelRun", []))
        assert isinstance(stop, dict) and stop["ok"], stop
        result = await asyncio.wait_for(running, 60)  # ends without the preview's answer
        assert isinstance(result, dict) and result["outcome"] in ("cancelled", "discarded"), result
        assert not result["ok"]
        cancelled.set()
        await asyncio.wait_for(answered.wait(), 30)
        messages = session.client.messages
        deadline = asyncio.get_running_loop().time() + 30
        while not any("applied after the cancel" in m.message for m in messages):
            assert asyncio.get_running_loop().time() < deadline, [m.message for m in messages]
            await asyncio.sleep(0.02)
    texts = [m.message for m in messages]
    assert any("run was cancelled while its changes were in the preview: discard the preview" in t for t in texts)
    late = next(m for m in messages if "applied after the cancel" in m.message)
    assert late.type == lsp.MessageType.Warning and "were not logged" in late.message
    assert len(log_entries(repo)) == entries and proposed.read_bytes() == before
    [params] = edits
    [change] = params.edit.document_changes or []
    assert isinstance(change, lsp.TextDocumentEdit)
    assert change.text_document.version == 1  # the open document's: refused by VS Code once it has changed

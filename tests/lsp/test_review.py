"""Review in the editor (issue 13 §4), against the local OpenAI-compatible server: a run started with
`review: true` shows its changes before anything lands. VS Code gets one workspace edit whose every change
carries an annotation that needs confirmation (its refactor preview); applying it there logs the run and the
runner writes nothing itself, refusing it logs nothing. Neovim gets the diff opened, then Approve/Discard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from tests.fake_openai import Behaviour, FakeOpenAI
from tests.lsp.conftest import log_entries
from tests.lsp.helpers import uri
from tests.lsp.test_runs import started

REPLY = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the reviewed page\n"


def _run(codex: Path) -> lsp.ExecuteCommandParams:
    return lsp.ExecuteCommandParams("techcat.runAgent", [{"workspace": str(codex), "agent": "planner",
                                                          "task": "Plan the next milestone", "review": True}])


@pytest.mark.parametrize("apply", [True, False])
async def test_vscode_reviews_an_annotated_workspace_edit(repo: Path, fake_openai: FakeOpenAI, apply: bool) -> None:
    fake_openai.queue(Behaviour(reply=REPLY))
    proposed = repo / ".codex" / "PROPOSED-TASKS.md"
    before, entries = proposed.read_bytes(), len(log_entries(repo))
    async with started("vscode", repo, fake_openai) as session:
        edits: list[lsp.ApplyWorkspaceEditParams] = []

        @session.client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
        def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
            edits.append(params)
            if apply:  # as VS Code does once the user presses Apply in the preview (and saves)
                [change] = params.edit.document_changes or []
                assert isinstance(change, lsp.TextDocumentEdit)
                [whole] = change.edits
                assert isinstance(whole, lsp.AnnotatedTextEdit)
                proposed.write_text(whole.new_text, encoding="utf-8")
            return lsp.ApplyWorkspaceEditResult(applied=apply)

        result = await session.client.workspace_execute_command_async(_run(session.codex))
    assert isinstance(result, dict), result
    [params] = edits
    annotations = params.edit.change_annotations or {}
    assert [a.needs_confirmation for a in annotations.values()] == [True]
    [change] = params.edit.document_changes or []
    assert isinstance(change, lsp.TextDocumentEdit) and change.text_document.uri == uri(proposed)
    [edit] = change.edits
    assert isinstance(edit, lsp.AnnotatedTextEdit) and edit.annotation_id in annotations
    assert "Build the reviewed page" in edit.new_text
    assert edit.range.start == lsp.Position(0, 0)
    assert edit.range.end == lsp.Position(before.decode().count("\n"), 0)  # the whole file
    if apply:
        assert result["ok"] and result["outcome"] == "done", result
        assert log_entries(repo)[-1]["output_files"] == [".codex/PROPOSED-TASKS.md"]
        assert len(log_entries(repo)) == entries + 1
        assert "Build the reviewed page" in proposed.read_text(encoding="utf-8")
    else:
        assert result["outcome"] == "discarded", result
        assert len(log_entries(repo)) == entries and proposed.read_bytes() == before


@pytest.mark.parametrize("answer", ["Approve", "Discard"])
async def test_neovim_opens_the_diff_then_asks(repo: Path, fake_openai: FakeOpenAI, answer: str) -> None:
    fake_openai.queue(Behaviour(reply=REPLY))
    proposed = repo / ".codex" / "PROPOSED-TASKS.md"
    before, entries = proposed.read_bytes(), len(log_entries(repo))
    async with started("neovim", repo, fake_openai) as session:
        diffs: list[str] = []
        asked: list[lsp.ShowMessageRequestParams] = []

        @session.client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)  # type: ignore[untyped-decorator]
        def choose(params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
            asked.append(params)
            for shown in session.client.shown_documents:  # what the user reads while asked
                diffs.append(Path(shown.uri.removeprefix("file://")).read_text(encoding="utf-8"))
            return next(a for a in params.actions or [] if a.title == answer)

        @session.client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
        def no_edit(params: lsp.ApplyWorkspaceEditParams) -> Any:
            raise AssertionError("a client without change annotations gets no workspace edit to review")

        result = await session.client.workspace_execute_command_async(_run(session.codex))
    assert isinstance(result, dict), result
    [diff] = diffs
    assert "--- a/.codex/PROPOSED-TASKS.md" in diff and "+- [ ] @frontend_specialist Build the reviewed page" in diff
    [question] = asked
    assert question.message == "Apply planner's changes to .codex/PROPOSED-TASKS.md? The diff is open."
    assert [a.title for a in question.actions or []] == ["Approve", "Discard"]
    if answer == "Approve":
        assert result["ok"] and "Build the reviewed page" in proposed.read_text(encoding="utf-8")
        assert json.loads((repo / ".codex" / "TASK-LOG.json").read_text())[-1]["agent"] == "planner"
    else:
        assert result["outcome"] == "discarded" and proposed.read_bytes() == before
        assert len(log_entries(repo)) == entries

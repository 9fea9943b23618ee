"""The server's history checks run on its own parse of the log: the same findings as the core's own check of
the files, and a result an edit overtook is dropped (its entries moved under the rules) rather than shown."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from techcat_core.diagnostics import Diagnostic
from techcat_core.history import history_rules
from techcat_core.workspace import Workspace, load_workspace
from techcat_lsp import history as history_module
from techcat_lsp.documents import DocumentStore
from techcat_lsp.state import WorkspaceState
from tests.gitutil import commit_all, init_repo
from tests.wsbuilder import entry, make_workspace


def _repo(tmp_path: Path) -> Path:
    """A committed log, then a rewritten committed entry, an appended one and an unlogged commit."""
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    codex = make_workspace(root, log=[entry(1), entry(2), entry(3)])
    commit_all(root, "workspace")
    (root / "apps" / "web" / "notes.md").write_text("unlogged\n", encoding="utf-8")
    commit_all(root, "notes")
    log = codex / "TASK-LOG.json"
    log.write_text(json.dumps([entry(1), entry(2, summary="Rewritten."), entry(3), entry(4)], indent=2) + "\n",
                   encoding="utf-8")
    return codex


def _key(findings: list[Diagnostic]) -> list[tuple[str, str, str]]:
    return sorted((d.code, d.message, str(d.range)) for d in findings)


async def test_the_findings_are_the_cores_own_for_the_same_text(tmp_path: Path) -> None:
    codex = _repo(tmp_path)
    state = WorkspaceState(codex, DocumentStore())
    changes: list[int] = []

    def changed() -> None:  # as the server's: the analysis is rebuilt with the new history results
        changes.append(1)
        state.invalidate()

    task = state.history.refresh(lambda: state.analysis().ws, on_change=changed)
    assert task is not None
    await task
    expected = history_rules(load_workspace(codex))
    assert {d.code for d in expected} == {"TC403", "TC404"}
    text = (codex / "TASK-LOG.json").read_text(encoding="utf-8")
    assert _key(state.history.current(text)) == _key(expected)
    assert changes == [1]
    analysis = state.analysis()
    assert {"TC403", "TC404"} <= {d.code for d in analysis.diagnostics.get(state.log_path, [])}


def _opened(tmp_path: Path) -> tuple[DocumentStore, str, Path, str, WorkspaceState]:
    """`_repo`'s log opened in a document store: the store, the document's uri, the log, its text, the state."""
    codex = _repo(tmp_path)
    docs = DocumentStore()
    log = codex / "TASK-LOG.json"
    text = log.read_text(encoding="utf-8")
    doc = docs.open(lsp.TextDocumentItem(log.resolve().as_uri(), "json", 1, text))
    assert doc is not None
    return docs, doc.uri, log, text, WorkspaceState(codex, docs)


async def test_a_result_an_edit_overtook_is_dropped(tmp_path: Path) -> None:
    docs, uri, log, text, state = _opened(tmp_path)
    calls: list[Workspace] = []

    def workspace() -> Workspace:
        if len(calls) == 2:  # the rules are done: an edit arrives before the server looks at their result
            _edit(docs, uri, text)
            state.changed(log)
        calls.append(state.analysis().ws)
        return calls[-1]

    changes: list[int] = []
    task = state.history.refresh(workspace, on_change=lambda: changes.append(1))
    assert task is not None
    await task
    assert len(calls) == 3  # before the quiet wait, after it (unedited: the rules ran), after the rules
    assert calls[1].task_log is not calls[2].task_log  # the edit was parsed: the first parse was consumed
    assert changes == [] and state.history.diagnostics == [] and state.history.current(text) == []


async def test_an_edit_in_the_quiet_wait_keeps_the_rules_from_running(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Edits right after an open: the worker does not start (it would compete with them for the GIL and
    keep the old text alive) for a result the edit would drop."""
    docs, uri, log, text, state = _opened(tmp_path)
    ran: list[Workspace] = []
    real = history_module._compute
    monkeypatch.setattr(history_module, "_compute", lambda ws: ran.append(ws) or real(ws))
    task = state.history.refresh(lambda: state.analysis().ws)
    assert task is not None
    await asyncio.sleep(0)  # the refresh has looked at the log and waits for quiet
    _edit(docs, uri, text)
    state.changed(log)
    await task
    assert ran == [] and state.history.diagnostics == []
    task = state.history.refresh(lambda: state.analysis().ws)  # the next save: they run on the buffer then
    assert task is not None
    await task
    assert len(ran) == 1 and {d.code for d in state.history.diagnostics} == {"TC403", "TC404"}


def _edit(docs: DocumentStore, uri: str, text: str) -> None:
    at = text.index("task-004")
    docs.change(lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(2, uri), [
        lsp.TextDocumentContentChangePartial(range=lsp.Range(_pos(text, at), _pos(text, at + 8)),
                                             text="task-005")]), "utf-16")


def _pos(text: str, offset: int) -> lsp.Position:
    line = text.count("\n", 0, offset)
    return lsp.Position(line, offset - (text.rfind("\n", 0, offset) + 1))

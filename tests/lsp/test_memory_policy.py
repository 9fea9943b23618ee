"""The server's memory policy for a big log: a whole check's objects are frozen out of the collector's sight
(else every full collection walks them again and stalls an edit), and glibc keeps big blocks in its heap."""

from __future__ import annotations

import ctypes.util
import gc
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from techcat_core.gc_policy import FREEZE_ABOVE
from techcat_lsp.documents import DocumentStore
from techcat_lsp.memory import keep_big_blocks, release_free
from techcat_lsp.state import WorkspaceState
from tests.wsbuilder import entry, make_workspace

ENTRIES = 10_000  # over FREEZE_ABOVE characters (the parse is frozen), and more results than MANY_NEW_OBJECTS


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test freezes what the process holds; thawed again after, so the rest of the run collects as usual."""
    yield
    gc.unfreeze()


def _open_big_log(tmp_path: Path) -> tuple[WorkspaceState, DocumentStore, str]:
    codex = make_workspace(tmp_path, log=[entry(n) for n in range(1, ENTRIES + 1)])
    log = codex / "TASK-LOG.json"
    text = json.dumps([entry(n, summary=f"Entry {n} " + "x" * 150) for n in range(1, ENTRIES + 1)], indent=2)
    log.write_text(text, encoding="utf-8")
    assert len(text) > FREEZE_ABOVE
    docs = DocumentStore()
    docs.open(lsp.TextDocumentItem(log.resolve().as_uri(), "json", 1, text))
    return WorkspaceState(codex, docs), docs, text


def test_a_whole_check_of_a_big_log_leaves_the_collector_nothing_to_walk(tmp_path: Path, thawed: None) -> None:
    state, docs, text = _open_big_log(tmp_path)
    gc.collect()
    analysis = state.analysis()
    assert analysis.log is not None and len(analysis.log.entries) == ENTRIES
    # The checker keeps a result per entry (ENTRIES objects and more); none of them is left to the collector.
    assert len(gc.get_objects()) < ENTRIES // 4, len(gc.get_objects())
    uri = next(iter(docs.all())).uri
    at = text.index('"date": "', len(text) // 2) + len('"date": "') + 4
    line = text.count("\n", 0, at)
    column = at - (text.rfind("\n", 0, at) + 1)
    docs.change(lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(2, uri), [
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(line, column), lsp.Position(line, column + 1)), text="/")]), "utf-16")
    state.changed(state.log_path)
    frozen = gc.get_freeze_count()
    edited = state.analysis()  # an edit's check: a few new objects, none frozen (some frozen ones freed)
    assert any(d.range.start.line == line for d in edited.diagnostics.get(state.log_path, []))  # the bad date
    assert gc.get_freeze_count() <= frozen


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
                    reason="glibc's mallopt")
def test_glibc_takes_the_big_block_settings() -> None:
    assert keep_big_blocks()
    release_free()  # and hands free pages back without complaint

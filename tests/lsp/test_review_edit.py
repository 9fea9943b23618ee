"""The review's workspace edit for each kind of change (issue 13 §4), built by the server's own code: a new file
is created then filled, a changed one replaced whole (to the end of its last line, in the client's units),
a deleted one deleted, all under one annotation that needs confirmation; binary content cannot be a text edit,
so such a change set goes to the diff-and-ask path instead."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.runtime.changes import ChangeSet, FileChange
from techcat_lsp.review import ANNOTATION, annotated_edit
from techcat_lsp.server import TechcatServer


def test_each_kind_of_change_becomes_one_annotated_edit(tmp_path: Path) -> None:
    server = TechcatServer()
    server.encoding = "utf-16"
    changes = ChangeSet((
        FileChange("apps/web/new.tsx", None, b"export {}\n"),
        FileChange("apps/web/home.tsx", "// “hi” 🐈\nold".encode(), b"new\n"),
        FileChange("apps/web/gone.tsx", b"x\n", None),
    ))
    edit = annotated_edit(server, tmp_path, "frontend_specialist", changes)
    assert edit is not None and edit.change_annotations is not None
    annotation = edit.change_annotations[ANNOTATION]
    assert annotation.needs_confirmation and annotation.label == "frontend_specialist's changes (3 files)"
    create, fill, modify, delete = edit.document_changes or []
    assert isinstance(create, lsp.CreateFile) and create.uri.endswith("/apps/web/new.tsx")
    assert create.annotation_id == ANNOTATION
    assert isinstance(fill, lsp.TextDocumentEdit)
    [content] = fill.edits
    assert isinstance(content, lsp.AnnotatedTextEdit) and content.new_text == "export {}\n"
    assert isinstance(modify, lsp.TextDocumentEdit)
    [whole] = modify.edits
    assert isinstance(whole, lsp.AnnotatedTextEdit) and whole.annotation_id == ANNOTATION
    assert whole.range == lsp.Range(lsp.Position(0, 0), lsp.Position(1, 3))
    assert isinstance(delete, lsp.DeleteFile) and delete.annotation_id == ANNOTATION
    server.encoding = "utf-8"  # the end of a non-ASCII last line is counted in the client's units
    again = annotated_edit(server, tmp_path, "a", ChangeSet((FileChange("a.md", "é🐈".encode(), b"x"),)))
    assert again is not None
    [only] = again.document_changes or []
    assert isinstance(only, lsp.TextDocumentEdit) and only.edits[0].range.end == lsp.Position(0, 6)


def test_binary_content_is_no_text_edit(tmp_path: Path) -> None:
    server = TechcatServer()
    assert annotated_edit(server, tmp_path, "a", ChangeSet((FileChange("logo.png", None, b"\x89PNG\0\0"),))) is None
    assert annotated_edit(server, tmp_path, "a", ChangeSet((FileChange("x.txt", b"\xff\xfe", b"ok"),))) is None

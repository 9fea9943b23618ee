"""Review in the editor (issue 13 §4): a run's `ChangeSet` shown to the user before anything lands.

Where the client supports change annotations (VS Code), the changes go out as one `workspace/applyEdit`
whose every edit carries an annotation with `needsConfirmation: true`: VS Code opens its refactor preview,
and the user applies or discards there. The client then holds the changes (as unsaved edits), so the
callback answers "applied" and the runner only records and logs. Other clients (Neovim) get the diff opened
as a document, then an Approve/Discard question; approving lets the runner apply the changes itself.

A run cancelled while VS Code's preview is open withdraws the question at once (the runner cancels it; the
preview's later answer counts for nothing) and the user is told to discard the preview; if it is applied
anyway, a warning says those changes were not logged. Each edit of an open document carries its version, so
a preview applied after the document changed is refused by the client rather than overwriting newer text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.runtime.changes import ChangeSet, ReviewDecision
from techcat_lsp.convert import uri
from techcat_lsp.encoding import to_client_column
from techcat_lsp.server import TechcatServer

logger = logging.getLogger("techcat_lsp")
ANNOTATION = "techcat-review"
APPROVE, DISCARD = "Approve", "Discard"


def _text(content: bytes | None) -> str | None:
    """The content as text, or None when it is binary or not UTF-8 (a text edit cannot carry it)."""
    if content is None:
        return ""
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _end(text: str, encoding: str) -> lsp.Position:
    """The position just past the last character of `text`, in the client's units."""
    lines = text.split("\n")
    return lsp.Position(len(lines) - 1, to_client_column(lines[-1], len(lines[-1]), encoding))


def annotated_edit(ls: TechcatServer, root: Path, agent: str, changes: ChangeSet) -> lsp.WorkspaceEdit | None:
    """The changes as one workspace edit to be confirmed, or None when one of them cannot be a text edit."""
    parts: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    for change in changes.changes:
        target = uri(root / change.path)
        if change.after is None:
            parts.append(lsp.DeleteFile(target, options=lsp.DeleteFileOptions(ignore_if_not_exists=True),
                                        annotation_id=ANNOTATION))
            continue
        after = _text(change.after)
        if after is None:
            return None
        version: int | None = None  # an open document's: applied after it changed, the client refuses the edit
        if change.before is None:
            parts.append(lsp.CreateFile(target, options=lsp.CreateFileOptions(overwrite=False, ignore_if_exists=True),
                                        annotation_id=ANNOTATION))
            current = ""
        else:
            open_doc = ls.docs.by_path(root / change.path)
            current_text = open_doc.text if open_doc is not None else _text(change.before)
            if current_text is None:
                return None
            current = current_text
            version = open_doc.version if open_doc is not None else None
        whole = lsp.Range(lsp.Position(0, 0), _end(current, ls.encoding))
        edit = lsp.AnnotatedTextEdit(range=whole, new_text=after, annotation_id=ANNOTATION)
        parts.append(lsp.TextDocumentEdit(lsp.OptionalVersionedTextDocumentIdentifier(target, version), [edit]))
    count = len(changes.changes)
    label = f"{agent}'s changes ({count} file{'s' if count != 1 else ''})"
    return lsp.WorkspaceEdit(document_changes=parts, change_annotations={ANNOTATION: lsp.ChangeAnnotation(
        label, needs_confirmation=True, description="review before they land (TechCat)")})


def _question(agent: str, changes: ChangeSet) -> str:
    shown = ", ".join(c.path for c in changes.changes[:5]) + (
        f" and {len(changes.changes) - 5} more" if len(changes.changes) > 5 else "")
    return f"Apply {agent}'s changes to {shown}? The diff is open."


async def _ask(ls: TechcatServer, agent: str, changes: ChangeSet) -> ReviewDecision:
    """Neovim and other clients: open the diff, then ask."""
    folder = Path(tempfile.mkdtemp(prefix="techcat-review-"))
    try:
        diff = folder / f"{agent}.diff"
        diff.write_text(changes.diff(), encoding="utf-8")
        if ls.show_document_support:
            with contextlib.suppress(Exception):
                await ls.window_show_document_async(lsp.ShowDocumentParams(uri(diff), take_focus=True))
        answer = await ls.window_show_message_request_async(lsp.ShowMessageRequestParams(
            lsp.MessageType.Info, _question(agent, changes), [lsp.MessageActionItem(APPROVE),
                                                             lsp.MessageActionItem(DISCARD)]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return "approve" if answer is not None and answer.title == APPROVE else "discard"


def _late_answer(ls: TechcatServer, agent: str, answer: asyncio.Future[lsp.ApplyWorkspaceEditResult]) -> None:
    """The preview of a cancelled run answered after all: applied, its changes are there but were not logged."""
    if answer.cancelled() or answer.exception() is not None or not answer.result().applied:
        return
    ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, (
        f"The preview of {agent}'s cancelled run was applied after the cancel: those changes were not logged. "
        "Undo them (they are unsaved edits), or keep them and log them with `techcat log`.")))


async def review(ls: TechcatServer, root: Path, agent: str, changes: ChangeSet) -> ReviewDecision:
    """Show `changes` and return the user's decision (see the module docstring). A run cancelled meanwhile
    withdraws the question (the runner cancels this): the user is told, and a late "applied" is named."""
    if not changes:
        return "approve"
    edit = annotated_edit(ls, root, agent, changes) if ls.change_annotation_support else None
    if edit is None:
        return await _ask(ls, agent, changes)
    answer = asyncio.ensure_future(ls.workspace_apply_edit_async(
        lsp.ApplyWorkspaceEditParams(edit, label=f"Review {agent}")))
    try:
        result = await asyncio.shield(answer)  # a withdrawn question still hears the preview's answer
    except asyncio.CancelledError:
        answer.add_done_callback(lambda done: _late_answer(ls, agent, done))
        ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, (
            f"{agent}'s run was cancelled while its changes were in the preview: discard the preview "
            "(nothing of it will be logged).")))
        raise
    if not result.applied:
        logger.info("the review of %s was refused: %s", agent, result.failure_reason)
    return "applied" if result.applied else "discard"


def reviewer(ls: TechcatServer, root: Path, agent: Callable[[], str]
             ) -> Callable[[ChangeSet], Awaitable[ReviewDecision]]:
    """The callback for `RunRequest.review`; `agent` names the agent running now (a chain has several)."""

    async def callback(changes: ChangeSet) -> ReviewDecision:
        return await review(ls, root, agent(), changes)

    return callback

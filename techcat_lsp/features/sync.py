"""Document lifecycle: every open, change, save and close marks its workspace and schedules diagnostics."""

from __future__ import annotations

from lsprotocol import types as lsp

from techcat_lsp.documents import uri_to_path
from techcat_lsp.features.diagnostics import publisher, refresh_history
from techcat_lsp.guard import guarded
from techcat_lsp.server import TechcatServer


def _touch(ls: TechcatServer, uri: str, on_disk: bool = False, save: bool = False) -> None:
    path = uri_to_path(uri)
    state = ls.state_for_path(path) if path is not None else None
    if state is None or path is None:
        return
    state.changed(path, on_disk=on_disk)
    if save and path == state.log_path:
        refresh_history(ls, state)
    publisher(ls).schedule(edited=None if on_disk or save else path)


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: TechcatServer, params: lsp.DidOpenTextDocumentParams) -> None:
        _touch(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: TechcatServer, params: lsp.DidChangeTextDocumentParams) -> None:
        _touch(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    @guarded()
    def did_save(ls: TechcatServer, params: lsp.DidSaveTextDocumentParams) -> None:
        _touch(ls, params.text_document.uri, save=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: TechcatServer, params: lsp.DidCloseTextDocumentParams) -> None:
        _touch(ls, params.text_document.uri, on_disk=True)

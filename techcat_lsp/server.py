"""The language server: pygls's, with its own document store and one `WorkspaceState` per `.codex/`.

Features live in `techcat_lsp.features`, one module each, and read `TechcatServer.analysis_for()`;
none of them has rules of its own.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from cattrs.errors import BaseValidationError
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage, LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from techcat_core.confine import Refused
from techcat_core.workspace import CODEX_DIR, WorkspaceNotFound, find_codex_dir, locate_workspace
from techcat_lsp.analysis import Analysis
from techcat_lsp.documents import Document, DocumentStore, uri_to_path
from techcat_lsp.encoding import UTF16
from techcat_lsp.params import describe, strict_converter
from techcat_lsp.state import WorkspaceState
from techcat_lsp.transport import serve_stdio, serve_tcp

logger = logging.getLogger("techcat_lsp")

try:
    from importlib.metadata import version as _version

    VERSION = _version("techcat-studio")
except Exception:  # running from a source tree without metadata
    VERSION = "0.0.0"


class TechcatProtocol(LanguageServerProtocol):
    """Keeps documents in `TechcatServer.docs` instead of pygls's workspace (see `documents.py`)."""

    _server: TechcatServer

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls's, but a message that does not fit its type is one `InvalidParams` error naming the field
        (pygls logs a traceback and raises a bare "Invalid Params", which its loop then drops)."""
        if "jsonrpc" not in data:
            return data
        method = data.get("method")
        try:
            if "id" in data:
                if "error" in data:
                    return self._converter.structure(data, lsp.ResponseErrorMessage)
                if "method" in data:
                    kind = self.get_message_type(data["method"]) or JsonRPCRequestMessage
                    return self._converter.structure(data, kind)
                kind = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
                return self._converter.structure(data, kind)
            kind = self.get_message_type(data.get("method", "")) or JsonRPCNotification
            return self._converter.structure(data, kind)
        except (BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise JsonRpcInvalidParams(f"invalid params for {method or 'a response'}: {describe(error)}") from error
        except Exception as error:
            logger.exception("could not read a message for %s", method)
            raise JsonRpcInternalError(f"could not read the message for {method}: {type(error).__name__}") from error

    @lsp_method(lsp.INITIALIZE)
    def lsp_initialize(self, params: lsp.InitializeParams) -> Generator[Any, Any, lsp.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        self._server.configure(params, result)
        return result

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        self._server.docs.open(params.text_document)
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        self._server.docs.change(params, self._server.encoding)
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        self._server.docs.close(params.text_document.uri)
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class Service:
    """State a feature keeps for the server's lifetime (the diagnostics publisher, the runs in flight, the
    watchers): one instance per server, made on first use by `TechcatServer.service`, typed where it is used."""

    def __init__(self, ls: TechcatServer) -> None:
        self.ls = ls


ServiceT = TypeVar("ServiceT", bound=Service)


class TechcatServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("techcat-lsp", VERSION, protocol_cls=TechcatProtocol, converter_factory=strict_converter,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.docs = DocumentStore()
        self.states: dict[Path, WorkspaceState] = {}
        self.encoding = UTF16
        self.pull = False  # pull diagnostics (the client asks) or push (the server publishes)
        self.refresh_support = False
        self.watch_support = False  # the client watches files for us (didChangeWatchedFiles)
        self.progress_support = False
        self.show_document_support = False
        self.change_annotation_support = False  # workspace edits the user confirms (VS Code's refactor preview)
        self.roots: list[Path] = []
        self.debounce = 0.075
        self._services: dict[type[Service], Service] = {}
        self.state_listeners: list[Callable[[WorkspaceState], None]] = []  # told of each new workspace

    def service(self, kind: type[ServiceT]) -> ServiceT:
        """The server's one `kind` (as esbonio's `get_feature`): typed, where `extensions["..."]` was `Any`."""
        found = self._services.get(kind)
        if not isinstance(found, kind):
            found = self._services[kind] = kind(self)
        return found

    # -- transport: TechCat's message loop, which answers every request (see transport.py) -------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        serve_stdio(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)

    def start_tcp(self, host: str, port: int) -> None:
        serve_tcp(self, host, port)

    # -- set-up ---------------------------------------------------------------------------------------

    def configure(self, params: lsp.InitializeParams, result: lsp.InitializeResult) -> None:
        """Adapt to the client: position encoding, push or pull diagnostics, file watching, progress."""
        caps = params.capabilities
        chosen = result.capabilities.position_encoding or UTF16
        self.encoding = chosen.value if isinstance(chosen, lsp.PositionEncodingKind) else str(chosen)
        text = caps.text_document
        workspace = caps.workspace
        window = caps.window
        self.refresh_support = bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)
        # Pull only when the client can also be told to re-pull: a change to AGENTS.md changes the
        # task log's diagnostics, and a pull client without refresh would never ask for them again.
        self.pull = bool(text and text.diagnostic is not None and self.refresh_support)
        if not self.pull:
            result.capabilities.diagnostic_provider = None
        self.watch_support = bool(workspace and workspace.did_change_watched_files
                                  and workspace.did_change_watched_files.dynamic_registration)
        self.progress_support = bool(window and window.work_done_progress)
        self.show_document_support = bool(window and window.show_document and window.show_document.support)
        edits = workspace.workspace_edit if workspace else None
        operations = set(edits.resource_operations or []) if edits else set()
        self.change_annotation_support = bool(edits and edits.document_changes and edits.change_annotation_support
                                              and {lsp.ResourceOperationKind.Create,
                                                   lsp.ResourceOperationKind.Delete} <= operations)
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounceMs"), (int, float)):
            self.debounce = max(0.0, float(options["debounceMs"]) / 1000)
        roots = [folder.uri for folder in params.workspace_folders or []] or \
            ([params.root_uri] if params.root_uri else [])
        for root_uri in roots:
            path = uri_to_path(root_uri)
            if path is not None:
                self.roots.append(path)

    def discover(self) -> list[WorkspaceState]:
        """The workspaces under the client's root folders (their `.codex/` or the nearest above)."""
        found = []
        for root in self.roots:
            try:
                codex = find_codex_dir(root)
            except (WorkspaceNotFound, OSError):
                continue
            state = self._state(codex)
            if state is not None:
                found.append(state)
        return found

    # -- lookups --------------------------------------------------------------------------------------

    def _state(self, codex_dir: Path) -> WorkspaceState | None:
        try:  # a `.codex` linked out of its repository is no workspace of ours: nothing in it is read
            codex_dir = locate_workspace(codex_dir).codex_dir
        except Refused:
            return None
        state = self.states.get(codex_dir)
        if state is None:
            if not codex_dir.is_dir():
                return None
            state = self.states[codex_dir] = WorkspaceState(codex_dir, self.docs)
            for listener in self.state_listeners:
                listener(state)
        return state

    def state_for_path(self, path: Path) -> WorkspaceState | None:
        """The workspace a file belongs to: only files inside a `.codex/` folder are ours."""
        for state in self.states.values():
            if state.owns(path):
                return state
        for parent in path.parents:
            if parent.name == CODEX_DIR:
                return self._state(parent)
        return None

    def state_for_uri(self, uri: str) -> WorkspaceState | None:
        path = uri_to_path(uri)
        return self.state_for_path(path) if path is not None else None

    def analysis_for(self, uri: str) -> tuple[Analysis, Path] | None:
        """The up-to-date analysis of the workspace holding `uri`, and the document's path."""
        path = uri_to_path(uri)
        if path is None:
            return None
        state = self.state_for_path(path)
        if state is None:
            return None
        return state.analysis(), path

    def document(self, uri: str) -> Document | None:
        return self.docs.get(uri)

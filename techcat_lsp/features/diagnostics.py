"""Diagnostics, pushed (`publishDiagnostics`, debounced) or pulled (`textDocument/diagnostic`,
`workspace/diagnostic`), as the client's capabilities decide (see `TechcatServer.configure`)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.diagnostics import Diagnostic
from techcat_core.workspace import CORE_FILES
from techcat_lsp.analysis import Analysis
from techcat_lsp.convert import to_lsp, uri
from techcat_lsp.guard import guarded
from techcat_lsp.server import Service, TechcatServer
from techcat_lsp.state import WorkspaceState

WORKSPACE_WAIT = 30.0  # how long a workspace pull with nothing new waits for a change before answering


def result_id(diagnostics: list[Diagnostic]) -> str:
    return f"{len(diagnostics)}-{hash(tuple(diagnostics)) & 0xFFFFFFFFFFFF:x}"


def convert(analysis: Analysis, path: Path, encoding: str) -> list[lsp.Diagnostic]:
    diagnostics = analysis.diagnostics.get(path, [])
    encoder = analysis.encoder(path, encoding)
    if not diagnostics:
        return []
    doc = analysis.document(path)
    version = doc.version if doc is not None else None
    return [to_lsp(d, encoder, analysis, encoding, version) for d in diagnostics]


class Publisher(Service):
    """Debounces changes, cancels stale work, and tells the client: publishes (push) or asks it to re-pull."""

    def __init__(self, ls: TechcatServer) -> None:
        super().__init__(ls)
        self._pending: asyncio.Task[None] | None = None
        self._sent: dict[Path, tuple[str, int | None]] = {}  # push: what the client holds, and for which version
        self.reported: dict[Path, str] = {}  # pull: result id of what the client last pulled
        self.changed = asyncio.Event()
        self._edited: set[Path] = set()

    def schedule(self, edited: Path | None = None, delay: float | None = None) -> None:
        """Something changed; after the debounce, publish or refresh. A newer change cancels this one."""
        if edited is not None:
            self._edited.add(edited)
        self.changed.set()
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        self._pending = asyncio.ensure_future(self._after(self.ls.debounce if delay is None else delay))

    async def _after(self, delay: float) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(delay)
            edited, self._edited = self._edited, set()
            for state in list(self.ls.states.values()):
                if self.ls.pull:
                    self._maybe_refresh(state, edited)
                else:
                    self.publish(state)

    def publish(self, state: WorkspaceState) -> None:
        analysis = state.analysis()
        open_paths = {doc.path for doc in self.ls.docs.all() if state.owns(doc.path)}
        for path in sorted(set(analysis.diagnostics) | state.published | open_paths):
            doc = analysis.document(path)
            version = doc.version if doc is not None else None
            sent = (result_id(analysis.diagnostics.get(path, [])), version)  # an open document's every version
            if self._sent.get(path) == sent:
                continue
            self._sent[path] = sent
            self.ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri(path), convert(analysis, path, self.ls.encoding), version))
        state.published = {p for p, d in analysis.diagnostics.items() if d}

    def _maybe_refresh(self, state: WorkspaceState, edited: set[Path]) -> None:
        """Pull clients re-pull the document they edit; ask for the rest only if it changed."""
        analysis = state.analysis()
        paths = (set(analysis.diagnostics) | {p for p in self.reported if state.owns(p)}) - edited
        if any(self.reported.get(p) != result_id(analysis.diagnostics.get(p, [])) for p in paths) \
                and self.ls.refresh_support:
            self.ls.workspace_diagnostic_refresh(None)


def publisher(ls: TechcatServer) -> Publisher:
    return ls.service(Publisher)


def refresh_history(ls: TechcatServer, state: WorkspaceState) -> None:
    """Recompute the git-history diagnostics in the background; re-publish if they changed."""

    def changed() -> None:
        state.invalidate()
        publisher(ls).schedule()

    state.history.refresh(lambda: state.analysis().ws, on_change=changed)


def workspace_paths(state: WorkspaceState, analysis: Analysis) -> list[Path]:
    return sorted(set(analysis.diagnostics) | {state.codex_dir / name for name in CORE_FILES})


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC,
                    lsp.DiagnosticOptions(identifier="techcat", inter_file_dependencies=True,
                                          workspace_diagnostics=True))
    @guarded(lsp.RelatedFullDocumentDiagnosticReport(items=[]))
    def document_diagnostic(ls: TechcatServer, params: lsp.DocumentDiagnosticParams) -> lsp.DocumentDiagnosticReport:
        found = ls.analysis_for(params.text_document.uri)
        if found is None:
            return lsp.RelatedFullDocumentDiagnosticReport(items=[])
        analysis, path = found
        rid = result_id(analysis.diagnostics.get(path, []))
        publisher(ls).reported[path] = rid
        if params.previous_result_id == rid:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
        return lsp.RelatedFullDocumentDiagnosticReport(items=convert(analysis, path, ls.encoding), result_id=rid)

    @server.feature(lsp.WORKSPACE_DIAGNOSTIC)
    @guarded(lsp.WorkspaceDiagnosticReport(items=[]))
    async def workspace_diagnostic(ls: TechcatServer, params: lsp.WorkspaceDiagnosticParams
                                   ) -> lsp.WorkspaceDiagnosticReport:
        previous = {item.uri: item.value for item in params.previous_result_ids}
        pub = publisher(ls)
        for attempt in range(2):
            pub.changed.clear()
            items: list[lsp.WorkspaceDocumentDiagnosticReport] = []
            fresh = False
            ls.discover()
            for state in list(ls.states.values()):
                analysis = state.analysis()
                for path in workspace_paths(state, analysis):
                    target = uri(path)
                    rid = result_id(analysis.diagnostics.get(path, []))
                    pub.reported[path] = rid
                    doc = analysis.document(path)
                    version = doc.version if doc is not None else None
                    if previous.get(target) == rid:
                        items.append(lsp.WorkspaceUnchangedDocumentDiagnosticReport(target, rid, version))
                    else:
                        fresh = True
                        items.append(lsp.WorkspaceFullDocumentDiagnosticReport(
                            target, convert(analysis, path, ls.encoding), version, result_id=rid))
            if fresh or not previous or attempt:
                break
            # Nothing new: clients re-ask at once, so hold the answer until something changes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pub.changed.wait(), WORKSPACE_WAIT)
        return lsp.WorkspaceDiagnosticReport(items=items)

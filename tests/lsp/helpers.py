"""Driving the real server (a `techcat lsp` subprocess) the way VS Code or Neovim would."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities

from tests.gitutil import GIT_ENV
from tests.waiting import DEADLINE

SERVER = [sys.executable, "-m", "techcat_cli.main", "lsp"]
SERVER_ENV = {**GIT_ENV, "TECHCAT_LSP_LOG": "WARNING"}


def vscode_capabilities() -> lsp.ClientCapabilities:
    """VS Code: UTF-16 positions, pull diagnostics with refresh, file watching, progress."""
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.diagnostic = lsp.DiagnosticClientCapabilities(dynamic_registration=True,
                                                                     related_document_support=False)
    caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


def neovim_capabilities() -> lsp.ClientCapabilities:
    """Neovim: UTF-8 positions, push diagnostics, no file watching (the server watches)."""
    caps = client_capabilities("neovim@v0.11.0")
    assert caps.text_document is not None
    caps.text_document.diagnostic = None
    return caps


PROFILES = {"vscode": vscode_capabilities, "neovim": neovim_capabilities}


def uri(path: Path) -> str:
    found = from_fs_path(str(path.resolve()))
    assert found is not None
    return str(found)


def units(text: str, encoding: str) -> int:
    """Length of `text` in the client's position units."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def position_of(text: str, needle: str, encoding: str, occurrence: int = 0, shift: int = 0) -> lsp.Position:
    """Where `needle` (its `occurrence`-th) starts in `text`, plus `shift` characters, in client units."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += shift
    line = text.count("\n", 0, index)
    line_start = text.rfind("\n", 0, index) + 1
    return lsp.Position(line, units(text[line_start:index], encoding))


@dataclass
class Session:
    """A client session under one profile, with the helpers the tests share."""

    client: LanguageClient
    profile: str
    root: Path
    encoding: str = "utf-16"
    pull: bool = False
    versions: dict[str, int] | None = None
    texts: dict[str, str] | None = None

    @property
    def codex(self) -> Path:
        return self.root / ".codex"

    async def start(self, init_options: dict[str, Any] | None = None) -> lsp.InitializeResult:
        result = await self.client.initialize_session(lsp.InitializeParams(
            capabilities=PROFILES[self.profile](), root_uri=uri(self.root),
            workspace_folders=[lsp.WorkspaceFolder(uri(self.root), self.root.name)],
            initialization_options=init_options or {"debounceMs": 20}))
        chosen = result.capabilities.position_encoding or "utf-16"
        self.encoding = chosen.value if isinstance(chosen, lsp.PositionEncodingKind) else str(chosen)
        self.pull = result.capabilities.diagnostic_provider is not None
        self.versions, self.texts = {}, {}
        return result

    def open(self, path: Path, text: str | None = None) -> str:
        assert self.versions is not None and self.texts is not None
        text = path.read_text(encoding="utf-8") if text is None else text
        target = uri(path)
        self.versions[target] = 1
        self.texts[target] = text
        language = "json" if path.suffix == ".json" else "markdown"
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(target, language, 1, text)))
        return target

    def edit(self, target: str, start: int, end: int, new_text: str) -> None:
        """Replace characters `[start, end)` of the document, sent as an incremental change."""
        assert self.versions is not None and self.texts is not None
        text = self.texts[target]
        begin = self._position(text, start)
        finish = self._position(text, end)
        self.texts[target] = text[:start] + new_text + text[end:]
        self.versions[target] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(self.versions[target], target),
            [lsp.TextDocumentContentChangePartial(range=lsp.Range(begin, finish), text=new_text)]))

    def replace(self, target: str, old: str, new: str) -> None:
        assert self.texts is not None
        start = self.texts[target].index(old)
        self.edit(target, start, start + len(old), new)

    def wrote(self, path: Path, created: bool = False) -> None:
        """A file changed on disk. VS Code reports it (it watches for the server); Neovim does not."""
        if self.profile == "vscode":
            kind = lsp.FileChangeType.Created if created else lsp.FileChangeType.Changed
            self.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
                [lsp.FileEvent(uri(path), kind)]))

    def _position(self, text: str, offset: int) -> lsp.Position:
        line = text.count("\n", 0, offset)
        line_start = text.rfind("\n", 0, offset) + 1
        return lsp.Position(line, units(text[line_start:offset], self.encoding))

    def at(self, target: str, needle: str, occurrence: int = 0, shift: int = 0) -> lsp.Position:
        assert self.texts is not None
        return position_of(self.texts[target], needle, self.encoding, occurrence, shift)

    async def diagnostics(self, target: str, timeout: float = 20.0) -> list[lsp.Diagnostic]:
        """The diagnostics of the document's current version: pulled, or waited for until published."""
        assert self.versions is not None
        if self.pull:
            report = await self.client.text_document_diagnostic_async(
                lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(target)))
            assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport), report
            return list(report.items)
        return await self.published(target, timeout, version=self.versions.get(target))

    async def published(self, target: str, timeout: float = 20.0, version: int | None = None,
                        settled: float = 0.3) -> list[lsp.Diagnostic]:
        """Push mode: the last diagnostics published for `target` (for `version`, if it is open)."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen: object = None
        quiet_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() < deadline:
            current = self.client.diagnostics.get(target)
            if current is not seen:
                seen, quiet_since = current, asyncio.get_running_loop().time()
            quiet = asyncio.get_running_loop().time() - quiet_since >= settled
            if current is not None and quiet and (version is None or self.published_version(target) == version):
                return list(current)
            await asyncio.sleep(0.02)
        raise AssertionError(f"no diagnostics published for {target} (version {version})")

    def published_version(self, target: str) -> int | None:
        return getattr(self.client, "diagnostic_versions", {}).get(target)

    async def diagnostics_until(self, target: str, holds: Callable[[list[lsp.Diagnostic]], object], what: str,
                                timeout: float = DEADLINE) -> list[lsp.Diagnostic]:
        """The document's diagnostics once `holds` is true of them: re-pulled, or the last ones published (each
        publish is the file's whole list; a change on disk or in git is published for the version the client
        holds, so no version is asked for).

        Fails naming `what`, and what was seen last, if it never holds within `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        found: list[lsp.Diagnostic] | None = None
        while True:
            if self.pull:
                found = await self.diagnostics(target)
            else:
                current = self.client.diagnostics.get(target)
                found = None if current is None else list(current)
            if found is not None and holds(found):
                return found
            if loop.time() >= deadline:
                seen = "nothing published" if found is None else codes(found)
                raise AssertionError(f"waited {timeout:g} s for {what}; last saw {seen}")
            await asyncio.sleep(0.05)

    async def workspace_reports(self, holds: Callable[[dict[str, list[lsp.Diagnostic]]], object] | None = None,
                                what: str = "the workspace's diagnostics", timeout: float = DEADLINE,
                                settled: float = 0.5) -> dict[str, list[lsp.Diagnostic]]:
        """Every file's diagnostics: workspace pulls, or what was pushed, once `holds` is true of them.

        A test names what it expects (`holds`) and gets it as soon as the server reports it, or fails at the
        deadline with what it saw. Without `holds`: one pull; pushed, once the server has published something
        and then nothing for `settled` seconds (the server publishes every file that has diagnostics)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        reports: dict[str, list[lsp.Diagnostic]] = {}
        count, quiet_since = -1, loop.time()
        while True:
            if self.pull:
                report = await self.client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams([]))
                reports = {item.uri: list(item.items) for item in report.items
                           if isinstance(item, lsp.WorkspaceFullDocumentDiagnosticReport)}
                if holds is None or holds(reports):
                    return reports
            else:
                published = int(getattr(self.client, "publish_count", 0))
                if published != count:
                    count, quiet_since = published, loop.time()
                reports = {k: list(v) for k, v in self.client.diagnostics.items()}
                if holds is not None and holds(reports):
                    return reports
                if holds is None and count > 0 and loop.time() - quiet_since >= settled:
                    return reports
            if loop.time() >= deadline:
                seen = {k.rsplit("/", 1)[-1]: codes(v) for k, v in reports.items()}
                raise AssertionError(f"waited {timeout:g} s for {what}; last saw {seen}")
            await asyncio.sleep(0.05)


def codes(diagnostics: list[lsp.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)

"""In a git repository the history checks (TC403/TC404) cost the language server no second copy of the log.

They used to load the whole workspace from disk again in a thread on open and on save (a second text and a
second full parse) and parse HEAD's log as well: 613 MiB at 100k entries against 306 MiB without git. The
same log is served twice here, outside git and inside a repository where it has an uncommitted append (as
after `techcat log`) and one unlogged commit (so TC404 says when the history checks are done), and the
server's peak memory is compared.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.gitutil import GIT_ENV, commit_all, init_repo
from tests.lsp.helpers import vscode_capabilities

ENTRIES = 30_000


def _workspace(root: Path, git: bool) -> Path:
    from benchmarks.bench_check import build_workspace

    log = Path(build_workspace(root, ENTRIES))
    if git:
        init_repo(root)
        commit_all(root, "the workspace")
        (root / "NOTES.md").write_text("an unlogged change\n", encoding="utf-8")
        commit_all(root, "notes")
    entries = json.loads(log.read_text(encoding="utf-8"))
    entries.append({**entries[-1], "task_id": f"task-{ENTRIES + 1}", "summary": "Appended since the last commit."})
    log.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return log


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


async def _served_peak(root: Path, log: Path, wait_for: str | None) -> tuple[float, list[str]]:
    """Open the log as VS Code does, pull its diagnostics (until `wait_for` is among them); the peak RSS."""
    client = LanguageClient()
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, lsp.CLIENT_REGISTER_CAPABILITY: lambda *_: None})
    env = {**GIT_ENV, "TECHCAT_LSP_LOG": "WARNING", "TECHCAT_LSP_CODE_CACHE": "0"}
    await client.start_io(sys.executable, "-m", "techcat_cli.main", "lsp", cwd=str(root), env=env)
    server = client._server
    assert server is not None
    try:
        await client.initialize_session(lsp.InitializeParams(
            capabilities=vscode_capabilities(), process_id=os.getpid(), root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        document = lsp.TextDocumentIdentifier(log.as_uri())
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=log.as_uri(), language_id="json", version=1, text=log.read_text(encoding="utf-8"))))
        deadline = asyncio.get_running_loop().time() + 120
        while True:  # the history checks end with a refresh request; pull until their result is there
            report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(document))
            assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
            found = sorted(str(d.code) for d in report.items)
            if wait_for is None or wait_for in found:
                break
            assert asyncio.get_running_loop().time() < deadline, f"no {wait_for} in 120 s: {found}"
            await asyncio.sleep(0.1)
        return _peak_mib(server.pid), found
    finally:
        await client.shutdown_session()


@pytest.mark.slow
async def test_the_history_checks_cost_no_second_copy_of_the_log(tmp_path: Path) -> None:
    plain_log = _workspace(tmp_path / "plain", git=False)
    git_log = _workspace(tmp_path / "repo", git=True)
    log_mib = git_log.stat().st_size / 2**20
    plain, plain_codes = await _served_peak(tmp_path / "plain", plain_log, None)
    in_git, git_codes = await _served_peak(tmp_path / "repo", git_log, "TC404")
    assert git_codes == sorted([*plain_codes, "TC404"])  # the append is no TC403: HEAD's entries are unchanged
    # A second text and parse of the log was ~7 times its size; gitpython's import and the drift rule are not.
    assert in_git - plain < 1.5 * log_mib + 25, (plain, in_git, log_mib)

"""Fixtures: a broken workspace in a real git repository, and a client session per editor profile."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.gitutil import commit_all, init_repo
from tests.lsp.helpers import SERVER, SERVER_ENV, Session
from tests.wsbuilder import AGENTS_MD, PROPOSED_MD, make_workspace

# One entry per line for the last one, with curly quotes, a dash and emoji before its broken date, so
# that its diagnostics' columns differ between UTF-8, UTF-16 and code points.
BROKEN_LOG = """[
  {
    "task_id": "task-001",
    "agent": "planner",
    "date": "2025-07-01",
    "summary": "Planned the “booking” flow — first pass",
    "output_files": [".codex/PROPOSED-TASKS.md"]
  },
  {
    "task_id": "task-002",
    "agent": "frontend_specialst",
    "date": "2025-07-02",
    "summary": "Built the home page",
    "output_files": ["apps/web/home.tsx", "apps/web/gone.tsx"]
  },
  {"task_id": "task-003", "agent": "planner", "summary": "“Quoted” — 🐾🐾", "date": "2025/07/03", "output_files": []}
]
"""
BROKEN_CODES = ["TC108", "TC114", "TC401"]


def _publish(ls: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
    ls.diagnostics[params.uri] = params.diagnostics
    ls.diagnostic_versions[params.uri] = params.version  # type: ignore[attr-defined]
    ls.publish_count += 1  # type: ignore[attr-defined]  # so a waiter can tell "quiet" from "nothing new"


def _registered(ls: LanguageClient, params: lsp.RegistrationParams) -> None:
    ls.registrations = [*getattr(ls, "registrations", []), *params.registrations]  # type: ignore[attr-defined]


def _command_or_action(converter: Any) -> Any:
    """Real clients tell a Command from a CodeAction by `command` being a string; lsprotocol's client
    hook takes any CodeAction that carries a command for a bare Command."""

    def structure(obj: Any, _: type) -> lsp.Command | lsp.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, lsp.Command)  # type: ignore[no-any-return]
        return converter.structure(obj, lsp.CodeAction)  # type: ignore[no-any-return]

    return structure


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also remembering the version each publishDiagnostics was for, and how many came."""
    client = LanguageClient(converter_factory=default_converter)
    converter = client.protocol._converter
    converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], _command_or_action(converter))  # noqa: UP007
    client.diagnostic_versions = {}  # type: ignore[attr-defined]
    client.publish_count = 0  # type: ignore[attr-defined]
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
                                   lsp.CLIENT_REGISTER_CAPABILITY: _registered})
    return client


CONFIG = ClientServerConfig(server_command=SERVER, server_env=SERVER_ENV, client_factory=recording_client)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a committed, broken `.codex/` workspace."""
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root, log=BROKEN_LOG, agents=AGENTS_MD, proposed=PROPOSED_MD)
    (root / ".codex" / "prompts").mkdir()
    for name in ("planner", "frontend_specialist", "task_logger"):
        (root / ".codex" / "prompts" / f"{name}.md").write_text(f"# {name}\n\nYou are {name}.\n", encoding="utf-8")
    commit_all(root, "initial workspace")
    return root


@pytest.fixture(params=["vscode", "neovim"])
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_lsp.fixture(config=CONFIG)  # type: ignore[untyped-decorator]
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield


@pytest_asyncio.fixture
async def session(client: LanguageClient, profile: str, repo: Path) -> AsyncIterator[Session]:
    current = Session(client, profile, repo)
    await current.start()
    yield current
    await client.shutdown_session()


def log_entries(root: Path) -> list[dict[str, object]]:
    data = json.loads((root / ".codex" / "TASK-LOG.json").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data

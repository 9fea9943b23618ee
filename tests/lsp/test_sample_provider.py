"""The bundled sample's dry-run hint says to set OPENAI_BASE_URL; that must work. Its techcat.toml said
`kind = "dry-run"`, which no environment overrides, so following the hint changed nothing (issue 15)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig

from techcat_cli.main import copy_sample
from tests.fake_openai import FakeOpenAI
from tests.lsp.conftest import recording_client
from tests.lsp.helpers import SERVER, SERVER_ENV, Session


async def _run_planner(root: Path, env: dict[str, str]) -> dict[str, object]:
    client = await ClientServerConfig(server_command=SERVER, server_env={**SERVER_ENV, **env},
                                      client_factory=recording_client).start()
    session = Session(client, "neovim", root)  # type: ignore[arg-type]
    await session.start()
    try:
        result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            "techcat.runAgent", [{"workspace": str(root / ".codex"), "agent": "planner", "task": "Plan a step"}]))
    finally:
        await session.client.shutdown_session()
        await session.client.stop()  # type: ignore[no-untyped-call]
    assert isinstance(result, dict)
    return result


async def test_the_sample_hint_is_true(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = tmp_path / "pawprint"
    copy_sample(root)
    dry = await _run_planner(root, {})
    assert "Set OPENAI_API_KEY (or OPENAI_BASE_URL" in str(dry["message"]) and not fake_openai.requests
    fake_openai.queue("Planned a step.\n\n- [ ] @planner Plan the next step\n")
    await _run_planner(root, {"OPENAI_BASE_URL": fake_openai.base_url})
    assert fake_openai.requests, "OPENAI_BASE_URL set as the hint says, yet nothing was sent"

"""The codex executor: the real Codex CLI (installed by ./scripts/setup-agents) against tests/fake_responses.py.

The local server scripts Codex's own `exec_command` tool, so Codex itself edits the worktree; nothing is
patched. Skipped only when the binary is absent (./scripts/test installs it, so CI runs these).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from techcat_core.executors import ExecutorFailed, ExecutorSpec, run_executor
from techcat_core.executors.codex import SANDBOX_VAR
from techcat_core.runtime.settings import ProviderSettings
from tests.fake_responses import FakeResponses, Turn, apply_patch, exec_command, message, serve_fake_responses
from tests.gitutil import commit_all, git, init_repo

ROOT = Path(__file__).resolve().parents[1]
CODEX = Path(os.environ.get("TECHCAT_AGENTS_CACHE") or ROOT / ".cache" / "agents") / "bin" / "codex"
KEY = "sk-test-codexcodexcodexcodex0123"
PATIENCE = 180.0

pytestmark = pytest.mark.skipif(not os.access(CODEX, os.X_OK),
                                reason=f"Codex CLI is not installed at {CODEX}: run ./scripts/setup-agents")


@pytest.fixture
def fake() -> Iterator[FakeResponses]:
    with serve_fake_responses() as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".codex").mkdir(parents=True)
    init_repo(root)
    (root / "README.md").write_text("# demo\n", encoding="utf-8")
    (root / ".codex" / "PRD.md").write_text("# PRD\n", encoding="utf-8")
    commit_all(root, "start")
    return root


def settings_for(fake: FakeResponses) -> ProviderSettings:
    return ProviderSettings(kind="openai-compatible", model="techcat-test-model", base_url=fake.base_url,
                            api_key=KEY, max_retries=0)


def env_for(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CODEX_HOME")},
            "TECHCAT_CODEX": str(CODEX), **extra}


async def run_codex(repo: Path, fake: FakeResponses, *, model: str | None = None, env: dict[str, str] | None = None,
                    cancel: asyncio.Event | None = None, timeout: float | None = None) -> list[str]:
    lines: list[str] = []
    async for line in run_executor(ExecutorSpec("codex"), root=repo, prompt_text="PERSONA: builder\nTASK: add hello",
                                   task="add hello", agent="builder", model=model, settings=settings_for(fake),
                                   cancel=cancel, timeout=timeout, env=env or env_for()):
        lines.append(line)
    return lines


def codex_version() -> str:
    return subprocess.run([str(CODEX), "--version"], capture_output=True, text=True, timeout=60).stdout.strip()


async def test_codex_edits_the_worktree_through_its_own_tool(repo: Path, fake: FakeResponses) -> None:
    fake.queue(Turn([exec_command("mkdir -p src && printf 'hello from codex\\n' > src/hello.txt && "
                                  "cat \"$CODEX_HOME/config.toml\"")]),
               Turn([message("Wrote src/hello.txt.")]))
    lines = await asyncio.wait_for(run_codex(repo, fake, model="roster-model"), PATIENCE)
    assert (repo / "src" / "hello.txt").read_text() == "hello from codex\n"
    assert "Wrote src/hello.txt." in lines
    assert codex_version() == "codex-cli 0.171.0"
    first, second = fake.requests
    assert first.path == "/v1/responses" and first.body["model"] == "roster-model" and first.body["stream"] is True
    assert first.headers["authorization"] == f"Bearer {KEY}"  # the key reached the server through the environment
    assert any("PERSONA: builder\nTASK: add hello" in text for text in first.user_texts())  # the prompt, on stdin
    output = second.function_outputs()["call_1"]
    assert 'model_provider = "techcat"' in output and f'base_url = "{fake.base_url}"' in output
    assert KEY not in output  # the generated config names the variable, never the key
    assert not any(KEY in line for line in lines)
    assert git(repo, "status", "--porcelain") == "?? src/\n"


async def test_the_model_defaults_to_the_settings_model(repo: Path, fake: FakeResponses) -> None:
    fake.queue(Turn([message("Nothing to do.")]))
    await asyncio.wait_for(run_codex(repo, fake), PATIENCE)
    assert fake.requests[0].body["model"] == "techcat-test-model"


async def test_codex_may_write_the_workspaces_codex_folder(repo: Path, fake: FakeResponses) -> None:
    """Codex keeps a project's `.codex/` read-only in its sandbox; TechCat adds it back (an agent's outputs may
    be there), and checks every changed path afterwards as for any executor."""
    fake.queue(Turn([exec_command("printf 'more\\n' >> .codex/PRD.md")]), Turn([message("Done.")]))
    await asyncio.wait_for(run_codex(repo, fake), PATIENCE)
    assert (repo / ".codex" / "PRD.md").read_text() == "# PRD\nmore\n"


async def test_a_server_error_is_executor_failed_without_the_key(repo: Path, fake: FakeResponses) -> None:
    fake.queue(Turn(status=400, error=f"model not found (key {KEY[:6]}…)"), Turn(status=400, error="model not found"))
    fake.default = Turn(status=400, error="model not found")
    with pytest.raises(ExecutorFailed) as caught:
        await asyncio.wait_for(run_codex(repo, fake), PATIENCE)
    text = str(caught.value)
    assert text.startswith("the codex executor exited with status 1; the end of its stderr: ")
    assert "model not found" in text and KEY not in text


async def test_an_unknown_sandbox_setting_is_refused_before_codex_starts(repo: Path, fake: FakeResponses) -> None:
    with pytest.raises(ExecutorFailed) as caught:
        await run_codex(repo, fake, env=env_for(**{SANDBOX_VAR: "yolo"}))
    assert str(caught.value) == (f"{SANDBOX_VAR}='yolo' is not a Codex sandbox: use one of workspace-write, "
                                 "danger-full-access, read-only")
    assert fake.requests == []


def processes_running(marker: str) -> list[int]:
    """Pids whose command line holds `marker` (Codex's sandbox may give its commands another pid namespace, so
    a pid the command prints is not ours)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "cmdline" not in cmdline:
                found.append(int(entry.name))
    return found


async def test_cancel_ends_codex_and_the_command_it_runs(repo: Path, fake: FakeResponses) -> None:
    marker = "3141.59"
    fake.queue(Turn([exec_command(f"touch started; exec sleep {marker}")]))
    cancel = asyncio.Event()
    task = asyncio.create_task(run_codex(repo, fake, cancel=cancel))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not ((repo / "started").exists() and processes_running(f"sleep {marker}")):  # Codex ran the command
        assert loop.time() < deadline and not task.done(), "Codex never ran the scripted command"
        await asyncio.sleep(0.05)
    pids = processes_running(f"sleep {marker}")
    cancel.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PATIENCE)
    from tests.test_executors import wait_gone

    assert all(wait_gone(pid) for pid in pids)


async def test_without_a_provider_codex_uses_its_own_configuration(repo: Path, fake: FakeResponses,
                                                                   tmp_path: Path) -> None:
    """TechCat's provider is `dry-run`: Codex runs as the user set it up (their CODEX_HOME), TechCat names no
    model or provider of its own."""
    home = tmp_path / "users-codex-home"
    home.mkdir()
    (home / "config.toml").write_text(f'''model = "users-own-model"
model_provider = "mine"
[model_providers.mine]
name = "mine"
base_url = "{fake.base_url}"
env_key = "MY_CODEX_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
''', encoding="utf-8")
    fake.queue(Turn([exec_command("echo mine > mine.txt")]), Turn([message("Done.")]))
    lines = [line async for line in run_executor(
        ExecutorSpec("codex"), root=repo, prompt_text="TASK: mine", task="mine", agent="builder", model=None,
        settings=ProviderSettings(), cancel=None, timeout=None,
        env=env_for(CODEX_HOME=str(home), MY_CODEX_KEY="sk-users-own-key-0123456789"))]
    assert (repo / "mine.txt").read_text() == "mine\n"
    assert fake.requests[0].body["model"] == "users-own-model"
    assert fake.requests[0].headers["authorization"] == "Bearer sk-users-own-key-0123456789"
    assert not any("sk-users-own-key" in line for line in lines)


async def test_the_commands_codex_runs_do_not_see_the_key(repo: Path, fake: FakeResponses) -> None:
    """The generated config has Codex hand its commands the environment without the key or variables named like
    secrets (Codex 0.171 passes them all unless told), so a command the model chose cannot print or send them."""
    fake.queue(Turn([exec_command("env | cut -d= -f1 | sort; echo names-done")]), Turn([message("Done.")]))
    env = env_for(MY_SERVICE_TOKEN="tok-0123456789", DEPLOY_SECRET="s3cr3t-0123456789", BUILD_MODE="fast")
    await asyncio.wait_for(run_codex(repo, fake, env=env), PATIENCE)
    output = fake.requests[1].function_outputs()["call_1"]
    names = output.split("Output:\n", 1)[1].split("names-done")[0].split()
    assert "names-done" in output and "BUILD_MODE" in names and "PATH" in names  # the environment is there
    assert [n for n in names if n in ("OPENAI_API_KEY", "MY_SERVICE_TOKEN", "DEPLOY_SECRET")] == []
    assert KEY not in output


async def test_codex_edits_a_file_with_its_apply_patch(repo: Path, fake: FakeResponses) -> None:
    fake.queue(Turn([apply_patch("*** Update File: README.md\n@@\n-# demo\n+# demo, patched by codex\n"
                                 "*** Add File: docs/new.md\n+new page")]),
               Turn([message("Patched.")]))
    await asyncio.wait_for(run_codex(repo, fake), PATIENCE)
    assert (repo / "README.md").read_text() == "# demo, patched by codex\n"
    assert (repo / "docs" / "new.md").read_text() == "new page\n"
    assert "Success." in fake.requests[1].function_outputs()["call_1"]

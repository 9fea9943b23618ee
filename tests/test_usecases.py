"""The core use-cases on real files (techcat_core.usecases): each rule once, for every front end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from techcat_core.usecases import proposed_items as items
from techcat_core.usecases.agents import NewAgent, add_agent, known_agents, require_agent
from techcat_core.usecases.entry import TaskEntry
from techcat_core.usecases.errors import UnknownAgent, UseCaseError
from techcat_core.usecases.loading import roster_workspace
from techcat_core.usecases.log_query import LogQuery, QueryProblem, parse_query, query_log
from techcat_core.usecases.log_task import LogRequest, log_task, prepare_log
from techcat_core.workspace import load_workspace
from tests.wsbuilder import AGENTS_MD, entry, make_workspace

TODAY = dt.date(2025, 8, 1)


def test_task_entry_keeps_extra_fields_and_round_trips() -> None:
    value = {"task_id": "task-007", "agent": "planner", "date": "2025-07-01", "summary": "Planned",
             "output_files": ["a.md"], "reviewer": "ana", "tags": ["q3"]}
    typed = TaskEntry.from_value(value)
    assert typed.output_files == ("a.md",) and typed.extra == {"reviewer": "ana", "tags": ["q3"]}
    assert typed.as_dict() == value
    assert TaskEntry.from_value({"task_id": 7}).agent == "" and TaskEntry.from_value({"task_id": 7}).task_id == "7"


def test_log_task_refuses_each_bad_request_and_writes_nothing(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    before = (codex / "TASK-LOG.json").read_bytes()
    refusals = {
        "unknown": LogRequest("frontend_spec", "x"),
        "future": LogRequest("planner", "x", date="2025-08-03"),
        "impossible": LogRequest("planner", "x", date="2025-02-30"),
        "two lines": LogRequest("planner", "one\ntwo"),
        "unicode line break": LogRequest("planner", "one\u2028two"),
        "empty": LogRequest("planner", " \t "),
        "pasted": LogRequest("planner", "x" * 501),
        "long path": LogRequest("planner", "x", output_files=("a/" * 300,)),
        "absolute": LogRequest("planner", "x", output_files=("/etc/passwd",)),
        "escapes": LogRequest("planner", "x", output_files=("apps/../../x",)),
        "no git": LogRequest("planner", "x", changed_since="HEAD"),
        "done item": LogRequest("planner", "x", done_item=3),
        "no item": LogRequest("planner", "x", done_item=9),
    }
    messages = {}
    for name, request in refusals.items():
        with pytest.raises(UseCaseError) as raised:
            log_task(codex, request, today=TODAY)
        messages[name] = str(raised.value)
    assert messages["unknown"] == ("agent `frontend_spec` is not in the roster; did you mean `frontend_specialist`? "
                                   "known agents: frontend_specialist, planner, task_logger")
    assert messages["future"] == "date 2025-08-03 is in the future (today is 2025-08-01); log a task once it is done"
    assert messages["two lines"] == messages["unicode line break"]
    assert messages["pasted"] == ("the summary is 501 characters long; keep it to one line of at most 500 (the "
                                  "details belong in the files it names)")
    assert messages["long path"].startswith("an output file name is 600 characters long")
    assert messages["done item"] == "item 3 is already done: @frontend_specialist Build the home page (task-001)"
    assert messages["no item"] == "PROPOSED-TASKS.md has no item 9 (it has 3)"
    assert (codex / "TASK-LOG.json").read_bytes() == before
    assert prepare_log(roster_workspace(codex), LogRequest("planner", "x", date="2025-08-02"), TODAY).date == \
        "2025-08-02"  # within [check] future_date_tolerance_days (1)


def test_log_task_logs_ticks_and_warns(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    result = log_task(codex, LogRequest(" frontend_specialist ", " Built the settings page ",
                                        ("apps/web/settings.tsx", "apps/web/" + "x" * 300), done_item=1),
                      today=TODAY)
    assert result.entry == TaskEntry("task-003", "frontend_specialist", "2025-08-01", "Built the settings page",
                                     ("apps/web/settings.tsx", "apps/web/" + "x" * 300))
    assert result.ticked_item == 1 and len(result.warnings) == 1 and "does not exist" in result.warnings[0]
    assert "- [x] @frontend_specialist Build the settings page (task-003)" in (codex / "PROPOSED-TASKS.md").read_text()
    forced = log_task(codex, LogRequest("stranger", "Helped", force=True), today=TODAY)
    assert forced.entry.agent == "stranger" and json.loads((codex / "TASK-LOG.json").read_text())[-1]["agent"] == \
        "stranger"


def test_known_agents_are_the_roster_then_the_built_ins(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, agents=AGENTS_MD.split("## Agent: `task_logger`")[0])
    ws = roster_workspace(codex)
    assert [(a.name, a.builtin) for a in known_agents(ws)] == [
        ("planner", False), ("frontend_specialist", False), ("task_logger", True)]
    with pytest.raises(UnknownAgent):
        require_agent(ws, "ghost")
    assert require_agent(ws, "ghost", force=True) == "ghost"


def test_proposed_items_change_only_the_item_asked_for(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, proposed="# Proposed\r\n\r\n- [ ] @planner Plan\r\n* [>] @planner Replan\r\n")
    path = codex / "PROPOSED-TASKS.md"
    with pytest.raises(UseCaseError, match="item 1 changed on disk since it was read"):
        items.queue(codex, 1, expect_text="@planner Plan it")
    items.queue(codex, 1, expect_text="@planner Plan")
    items.unqueue(codex, 2)
    items.edit(codex, 2, "@frontend_specialist Build")
    assert path.read_bytes() == b"# Proposed\r\n\r\n- [>] @planner Plan\r\n* [ ] @frontend_specialist Build\r\n"
    items.tick(codex, 1, task_id="task-009")
    with pytest.raises(UseCaseError, match="is done"):
        items.edit(codex, 1, "Rewrite")
    assert items.reopen(codex, 1).state == " "
    assert items.remove(codex, 1).text == "@planner Plan (task-009)"
    assert path.read_bytes() == b"# Proposed\r\n\r\n* [ ] @frontend_specialist Build\r\n"
    with pytest.raises(UseCaseError, match="the title has 2 lines"):
        items.propose(codex, "a\nb", "planner")
    with pytest.raises(UseCaseError, match="the new text is 501 characters long"):
        items.edit(codex, 1, "x" * 501)
    with pytest.raises(UnknownAgent):
        items.propose(codex, "Haunt", "ghost")
    assert items.propose(codex, "Plan Q4", "planner", queued=True).number == 2
    assert items.what_next(load_workspace(codex))[0].text == "@frontend_specialist Build"


def test_add_agent_appends_in_the_rosters_own_style(tmp_path: Path) -> None:
    plain = "# Team\r\n\r\n## reviewer\r\n\r\nReviews every change.\r\n"
    codex = make_workspace(tmp_path, agents=plain)
    assert add_agent(codex, NewAgent("Lead", "Leads")).name == "Lead"  # capitalised: the backticks make it an agent
    plain += "\r\n## `Lead`\r\n\r\n- **Role:** Leads\r\n"
    added = add_agent(codex, NewAgent("qa-bot", "Tests it", "Find bugs", ("tests/**", "tests/**"), "gpt-4.1"))
    assert added.name == "qa-bot" and added.outputs == ["tests/**"] and added.model == "gpt-4.1"
    assert (codex / "AGENTS.md").read_bytes() == (plain + "\r\n## `qa-bot`\r\n\r\n- **Role:** Tests it\r\n"
                                                  "- **Goal:** Find bugs\r\n- **Output:** tests/**\r\n"
                                                  "- **Model:** gpt-4.1\r\n").encode()
    for bad, message in [(NewAgent("qa-bot", "x"), "already in the roster"), (NewAgent("a b", "x"), "not an agent"),
                         (NewAgent("ok", ""), "the role is empty"), (NewAgent("ok", "two\nlines"), "several lines"),
                         (NewAgent("ok", "x", outputs=("a,b",)), "holds a comma"),
                         (NewAgent("a" * 101, "x"), "101 characters long"),
                         (NewAgent("ok", "r" * 501), "the role is 501 characters long"),
                         (NewAgent("ok", "x", outputs=("o" * 513,)), "an output is 513 characters long")]:
        with pytest.raises(UseCaseError, match=message):
            add_agent(codex, bad)


def test_add_agent_creates_the_roster_and_leaves_free_form_instructions_alone(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, agents=None)
    add_agent(codex, NewAgent("planner", "Plans"))
    assert (codex / "AGENTS.md").read_text() == "# Agents\n\n## Agent: `planner`\n\n- **Role:** Plans\n"
    (codex / "AGENTS.md").write_text("# How we work\n\nRun the tests first.\n")
    with pytest.raises(UseCaseError, match="free-form instructions"):
        add_agent(codex, NewAgent("qa", "Tests"))
    assert (codex / "AGENTS.md").read_text() == "# How we work\n\nRun the tests first.\n"
    (codex / "AGENTS.md").write_bytes(AGENTS_MD.encode() + b"\n\xff\n")
    with pytest.raises(UseCaseError, match="save it as UTF-8 first"):
        add_agent(codex, NewAgent("qa", "Tests"))


def test_one_log_query_for_every_front_end(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log=[
        entry(1, agent="planner", date="2025-06-30", summary="Planned Q3"),
        entry(2, date="2025-07-03", summary="Built the booking page", output_files=["apps/web/book.tsx"]),
        entry(3, date="2025-07-15", summary="Styled the booking page", output_files=["apps/web/style.css"])])
    log = load_workspace(codex).task_log
    assert log is not None

    def ids(query: LogQuery) -> list[str | None]:
        return [e.task_id for e in query_log(log.entries, query).entries]

    assert ids(parse_query("BOOKING page")) == ["task-002", "task-003"]
    assert ids(parse_query("@planner")) == ids(parse_query("agent:planner")) == ["task-001"]
    assert ids(parse_query("date:2025-07")) == ["task-002", "task-003"]
    assert ids(parse_query("", date_text="..2025-07-03")) == ["task-001", "task-002"]
    assert ids(parse_query("", date_text="2025-07..2025-07")) == ["task-002", "task-003"]
    assert ids(parse_query("file:*.css")) == ids(parse_query("style.css")) == ["task-003"]
    assert ids(parse_query("")) == ["task-001", "task-002", "task-003"]
    page = query_log(log.entries, LogQuery(), offset=1, limit=1, newest_first=True)
    assert (page.total, [e.task_id for e in page.entries]) == (3, ["task-002"])
    with pytest.raises(QueryProblem, match=r"use YYYY, YYYY-MM, YYYY-MM-DD or FROM\.\.TO"):
        parse_query("", date_text="last week")


def test_a_codex_linked_out_of_its_repository_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    outside = make_workspace(tmp_path / "outside")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".codex").symlink_to(outside)
    before = sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*"))
    for action in (lambda: add_agent(repo / ".codex", NewAgent("qa", "Tests")),
                   lambda: items.propose(repo / ".codex", "Plan", "planner"),
                   lambda: items.queue(repo / ".codex", 1),
                   lambda: items.edit(repo / ".codex", 1, "x"),
                   lambda: log_task(repo / ".codex", LogRequest("planner", "x"))):
        with pytest.raises(UseCaseError, match="leads outside the repository through a symbolic link"):
            action()
    assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*")) == before  # no .techcat/ made

"""`runs/summary.py` on real `run_agent` streams against the local OpenAI-compatible server, with a chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

from techcat_core.runs.summary import RunSummarizer, RunSummary, summarize
from techcat_core.runtime import events as ev
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.wsbuilder import AGENTS_MD, make_workspace

CHAIN_AGENTS = AGENTS_MD + """
## Agent: `scribe`

- **Role:** Writes notes
- **Output:** docs/notes.md

Once complete, invoke `writer`.

## Agent: `writer`

- **Role:** Writes the summary
- **Output:** docs/summary.md
"""
PROPOSED = "# Proposed tasks\n\n- [ ] @scribe Write the notes\n"


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"}


async def _summary(codex: Path, request: RunRequest, stop_at: type | None = None,
                   cancel: asyncio.Event | None = None, agent: str = "") -> tuple[RunSummary, list[object]]:
    summarizer = RunSummarizer(request.agent, request.task, request.proposed_item, codex.parent)
    seen: list[object] = []
    async for event in run_agent(codex, request):
        seen.append(event)
        summarizer.feed(event)
        if stop_at is not None and isinstance(event, stop_at) and getattr(event, "agent", "") == agent:
            assert cancel is not None
            cancel.set()  # the chained agent has started: cancel it while its reply streams
    return summarizer.summary(), seen


async def test_a_chain_says_what_each_agent_wrote_logged_and_ticked(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, proposed=PROPOSED)
    fake_openai.queue("Notes written.\n", "Summary written.\n")
    summary, seen = await _summary(codex, RunRequest("scribe", "Write the notes", env=_env(fake_openai),
                                                     proposed_item=1))
    assert [(run.agent, run.outcome, run.files, run.task_id, run.ticked_item) for run in summary.agents] == [
        ("scribe", "done", ("docs/notes.md",), "task-003", 1),
        ("writer", "done", ("docs/summary.md",), "task-004", None)]
    assert summary.outcome == "done" and summary.ok and summary.wrote_anything
    assert summary.lines() == ["scribe wrote docs/notes.md; logged task-003; ticked item 1",
                               "writer wrote docs/summary.md; logged task-004"]
    assert summarize("scribe", seen, 1, codex.parent) == summary  # the same fold, replayed


async def test_a_cancel_during_the_chained_agent_names_it_and_keeps_the_first_agents_work(
        tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, proposed=PROPOSED)
    fake_openai.queue("Notes written.\n", Behaviour(reply="Summary " * 400, chunk_delay=0.05))
    cancel = asyncio.Event()
    summary, _ = await _summary(codex, RunRequest("scribe", "Write the notes", env=_env(fake_openai),
                                                  proposed_item=1, cancel=cancel),
                                stop_at=ev.RunStarted, cancel=cancel, agent="writer")
    assert [(run.agent, run.outcome) for run in summary.agents] == [("scribe", "done"), ("writer", "cancelled")]
    assert summary.outcome == "cancelled" and not summary.ok
    message = summary.message()
    assert message == ("scribe wrote docs/notes.md; logged task-003; ticked item 1; "
                       "writer was cancelled before it wrote anything")
    assert "nothing was written" not in message
    assert "[x] @scribe Write the notes (task-003)" in (codex / "PROPOSED-TASKS.md").read_text()
    assert not (tmp_path / "docs/summary.md").exists()


async def test_nothing_was_written_only_when_nothing_was(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, proposed=PROPOSED)
    fake_openai.default = Behaviour(status=400, error_body={"error": {"message": "bad model"}})
    summary, _ = await _summary(codex, RunRequest("scribe", "Write the notes", env=_env(fake_openai)))
    assert [(run.agent, run.outcome) for run in summary.agents] == [("scribe", "failed")]
    assert summary.lines()[-1] == "nothing was written"
    assert summary.lines()[0].startswith("scribe failed: ")


async def test_an_unknown_agent_fails_under_its_own_name(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS)
    summary, _ = await _summary(codex, RunRequest("nobody", "Do it"))
    assert [(run.agent, run.outcome) for run in summary.agents] == [("nobody", "failed")]
    assert "no agent named `nobody`" in summary.message()


async def test_a_dry_run_says_so_with_its_hint(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS)
    summary, _ = await _summary(codex, RunRequest("scribe", "Write", dry_run=True,
                                                  env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}))
    assert summary.outcome == "dry-run" and summary.ok
    assert summary.lines() == ["scribe: dry run, nothing was sent or written", "dry run: nothing was sent or written"]


def test_progress_lines_name_the_agent_of_each_event(tmp_path: Path) -> None:
    from techcat_core.runtime.changes import ChangeSet, FileChange

    summarizer = RunSummarizer("scribe", root=tmp_path)
    stream: list[object] = [
        ev.RunStarted("r1", "scribe", "t", "openai", "gpt"),
        ev.Isolated("r1", tmp_path / "wt"),
        ev.ToolCalled("r1", "c1", "read_file", '{"path": "README.md"}'),
        ev.ToolResult("r1", "c1", "read_file", True, "read README.md, lines 1-4"),
        ev.ToolResult("r1", "c2", "write_file", False, ".git/config is outside the outputs"),
        ev.ChangesProposed("r1", "scribe", ChangeSet((FileChange("docs/notes.md", None, b"x"),)), True),
        ev.RunDiscarded("r1", "scribe"),
        ev.RunFinished("r1", "scribe", None),
        ev.ExecutorOutput("r1", "some line"),  # no news to a person: the front end streams it itself
    ]
    assert [summarizer.feed(e) for e in stream] == [
        "scribe started (openai, gpt)", "scribe works in its own worktree", 'scribe: read_file {"path": "README.md"}',
        "scribe: read README.md, lines 1-4", "scribe: refused: .git/config is outside the outputs",
        "scribe changed 1 file, waiting for review", "scribe: changes discarded, nothing was written", None, None]
    summary = summarizer.summary()
    assert summary.agents[0].outcome == "discarded" and summary.agents[0].tool_calls == 2
    assert summary.lines() == ["scribe: changes discarded in review, nothing was written or logged"]


async def test_a_discarded_review_says_nothing_was_written_or_logged(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from techcat_core.runtime.changes import ChangeSet, ReviewDecision

    codex = make_workspace(tmp_path, agents=CHAIN_AGENTS, proposed=PROPOSED)
    fake_openai.queue("Notes written.\n")
    shown: list[tuple[str, ...]] = []

    async def discard(changes: ChangeSet) -> ReviewDecision:
        shown.append(changes.paths)
        return "discard"

    summary, _ = await _summary(codex, RunRequest("scribe", "Write the notes", env=_env(fake_openai),
                                                  proposed_item=1, review=discard))
    assert shown == [("docs/notes.md",)]
    assert [(run.agent, run.outcome, run.task_id, run.ticked_item) for run in summary.agents] == [
        ("scribe", "discarded", None, None)]
    assert summary.lines() == ["scribe: changes discarded in review, nothing was written or logged"]
    assert summary.ok and not summary.wrote_anything
    assert not (tmp_path / "docs/notes.md").exists() and "- [ ] @scribe" in (codex / "PROPOSED-TASKS.md").read_text()

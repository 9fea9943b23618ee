"""TC207 unknown-executor in the real `techcat lsp`: typing a bad `- **Executor:**` value in AGENTS.md's buffer
reports it at the value, with the run's sentence; correcting it to a valid executor clears it."""

from __future__ import annotations

from lsprotocol import types as lsp

from tests.lsp.helpers import Session

ACCEPTED = "`builtin` (the default), `codex`, `claude`, `aider` or `command: CMD`"
GOAL = "- **Goal:** Build pages.\n"


async def test_a_bad_executor_typed_in_the_roster_is_reported_and_cleared(session: Session) -> None:
    agents = session.open(session.codex / "AGENTS.md")
    assert [d.code for d in await session.diagnostics(agents)] == []
    session.replace(agents, GOAL, GOAL + "- **Executor:** cobol\n")
    [found] = [d for d in await session.diagnostics(agents) if d.code == "TC207"]
    start = session.at(agents, "cobol")
    assert found.range == lsp.Range(start, lsp.Position(start.line, start.character + len("cobol")))
    assert found.severity == lsp.DiagnosticSeverity.Error
    assert found.message == f"unknown executor 'cobol': use {ACCEPTED}"
    session.replace(agents, "- **Executor:** cobol", "- **Executor:** codex")
    assert [d.code for d in await session.diagnostics(agents)] == []

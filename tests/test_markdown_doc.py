"""Markdown is parsed for its block structure only: nothing reads inline tokens, and markdown-it's inline phase
costs seconds on a roster of nested brackets (the engine fuzz's slowest case: 2.5 s for 600 KB, over its 10 s
limit on a busy machine), while the block phase takes milliseconds."""

from __future__ import annotations

from techcat_core.markdown_doc import parse_markdown
from techcat_core.roster import parse_agents_md
from techcat_core.runtime.reply import _parser as reply_parser

NESTED = "[" * 100_000 + "]" * 100_000


def test_documents_are_tokenised_without_the_inline_phase() -> None:
    doc = parse_markdown("# Agents\n\nSee [the **plan**](PRD.md) and `code`.\n\n" + NESTED + "\n", "AGENTS.md")
    inline = [token for token in doc.tokens if token.type == "inline"]
    assert len(inline) == 3 and all(not token.children for token in inline)
    assert inline[1].content == "See [the **plan**](PRD.md) and `code`."  # the raw text is kept for the rules


def test_a_roster_of_nested_brackets_still_reads_its_agents() -> None:
    text = ("# Agents\n\n## Agent: `planner`\n- **Role:** plans\n- **Outputs:** `.codex/PROPOSED-TASKS.md`\n\n"
            + NESTED + "\n\n## Agent: `frontend_specialist`\n- **Role:** UI\n")
    roster = parse_agents_md(text, "AGENTS.md")
    assert [agent.name for agent in roster.agents] == ["planner", "frontend_specialist"]
    assert roster.agents[0].outputs == [".codex/PROPOSED-TASKS.md"]


def test_a_reply_is_read_for_its_fences_without_the_inline_phase() -> None:
    tokens = reply_parser().parse(NESTED + "\n\n```md\nbody\n```\n")
    assert [token.type for token in tokens if token.type == "fence"] == ["fence"]
    assert all(not token.children for token in tokens if token.type == "inline")

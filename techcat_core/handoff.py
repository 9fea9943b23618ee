"""The hand-off grammar: where an agent's text says which agent runs next. Defined once, here.

Agent prose is full of verbs that look like hand-offs ("Invoke for setup questions", "delegate to the
service layer", "Do not invoke `c`"). A hand-off is only an explicit verb phrase (*invoke*, *pass control
to*, *hand off to* / *hand over to*, *delegate to*, *chain to*, *escalate to*) followed by the agent written
as a code span (`` `reviewer` ``) or as the exact name of a known agent, and not negated ("do not",
"never", "don't", …, in the three words before the verb), and not followed by a tool's noun ("invoke
`context7` MCP", "the `search` tool"). Text in fenced code blocks is an example, not an instruction, and
is skipped. The roster check (TC202) and the runtime's chaining both read hand-offs
from `find_handoffs`, through `roster.Agent.chains`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

BUILTIN_AGENTS = frozenset({"task_logger"})

_VERB = re.compile(
    r"\b(?:invokes?|pass(?:es)?\s+control\s+to|hand(?:s)?\s+(?:it\s+|work\s+)?(?:off|over)\s+to|"
    r"delegates?\s+(?:it\s+|work\s+)?to|chains?\s+to|escalates?\s+(?:it\s+)?to)\s+",
    re.IGNORECASE,
)
_TARGET = re.compile(r"(?:the\s+)?(?:`([A-Za-z][\w.-]*)`|([A-Za-z](?:[\w.-]*\w)?))")
_MORE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+|then\s+)?|\s(?:and|or|then)\s+)", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.,;:!?()\[\]—–]|^\s*[-*+]\s|\s-\s")
_NEGATIONS = frozenset({"not", "never", "don't", "dont", "doesn't", "mustn't", "shouldn't", "cannot", "can't",
                        "won't", "no", "without", "avoid", "nor"})
_FENCE = re.compile(r"^\s*(```|~~~)")
# "invoke `context7` MCP", "invoke the `search` tool": a code span that names a tool, not an agent
_NOT_AN_AGENT = re.compile(r"\s+(?:mcp|tools?|commands?|cli|skills?|servers?|scripts?|functions?|methods?|api|"
                           r"hooks?|endpoints?|binar(?:y|ies)|plugins?|extensions?|prompts?|slash)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Handoff:
    """One hand-off target: 0-based line, the name's columns (inside any backticks), and how it was written."""

    target: str
    line: int
    start: int
    end: int
    quoted: bool  # written as a code span, so it counts even when no agent has that name


def _negated(prefix: str) -> bool:
    """True when the clause before the verb negates it ("Do not invoke", "never hand off to")."""
    clause = _CLAUSE_END.split(prefix)[-1] if _CLAUSE_END.search(prefix) else prefix
    words = re.findall(r"[A-Za-z']+", clause.lower().replace("\u2019", "'"))
    return any(word in _NEGATIONS or word.endswith("n't") for word in words[-3:])


def _line_handoffs(line: str, line_no: int, known: Collection[str]) -> Iterator[Handoff]:
    for verb in _VERB.finditer(line):
        if _negated(line[:verb.start()]):
            continue
        at = verb.end()
        while True:
            target = _TARGET.match(line, at)
            if target is None:
                break
            quoted = target.group(1) is not None
            name = target.group(1) if quoted else target.group(2)
            group = 1 if quoted else 2
            if (not quoted and name not in known) or (name not in known and _NOT_AN_AGENT.match(line, target.end())):
                break  # prose ("invoke for setup questions", "invoke `rg` commands"); a list ends there too
            yield Handoff(name, line_no, target.start(group), target.end(group), quoted)
            more = _MORE.match(line, target.end())
            if more is None:
                break
            at = more.end()


def find_handoffs(text: str, known: Collection[str] = BUILTIN_AGENTS, first_line: int = 0) -> list[Handoff]:
    """Every hand-off in `text`; a bare name counts only when it is in `known` (code spans always count)."""
    found: list[Handoff] = []
    in_fence = False
    for offset, line in enumerate(text.splitlines()):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or not _VERB.search(line):
            continue
        found.extend(_line_handoffs(line, first_line + offset, known))
    return found

"""The hand-off grammar: where an agent's text says which agent runs next. Defined once, here.

Agent prose is full of verbs that look like hand-offs ("Invoke for setup questions", "delegate to the
service layer", "Do not invoke `c`", "Invoke `pytest` after every change"). A hand-off is only an explicit
verb phrase (*invoke*, *pass control to*, *hand off to* / *hand over to*, *delegate to*, *chain to*,
*escalate to*) followed by an agent: the exact name of a known agent (bare or as a code span, bold or not),
or a code span close to a known name (`` `security-reviewer` `` for `security_reviewer`: a typo the roster
check reports). A code span that names no agent and is close to none is a tool (`pytest`, `rg`, `gh`), not
a hand-off; so is one followed by a tool's noun ("invoke `context7` MCP"). Codex CLI's built-in roles
(`default`, `explorer`, `worker`, `awaiter`) are Codex's own sub-agents: known, never a TechCat chain.

A hand-off is negated by a negation anywhere in its clause before the verb ("Do not, under any
circumstances, invoke", "Under no circumstances should you invoke", "It is forbidden to invoke", "never");
the clause ends at a sentence end or where a new coordinated or conditional clause begins ("If tests do
not pass, fix them, then invoke `x`" is not negated). A hand-off qualified by a condition ("invoke `deploy`
only if the user asks", "If the build is red, hand off to `debugger`", "otherwise never") is conditional:
the roster check reads it, the runtime does not chain it. Text in fenced code blocks is an example, and is
skipped. The roster check (TC202) reads `roster.Agent.handoffs`; the runtime reads `roster.Agent.chains`,
the unconditional ones; both come from `find_handoffs`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

BUILTIN_AGENTS = frozenset({"task_logger"})
# codex-rs core/src/agent/role.rs `built_in::configs()` (awaiter in earlier releases)
CODEX_BUILTIN_ROLES = frozenset({"default", "explorer", "worker", "awaiter"})
TYPO_CUTOFF = 0.8  # `security-reviewer` ~ `security_reviewer` 0.94; `pytest` ~ `tester` 0.67

_VERB = re.compile(
    r"\b(?:invokes?|pass(?:es)?\s+control\s+to|hand(?:s)?\s+(?:it\s+|work\s+)?(?:off|over)\s+to|"
    r"delegates?\s+(?:it\s+|work\s+)?to|chains?\s+to|escalates?\s+(?:it\s+)?to)\s+",
    re.IGNORECASE,
)
_TARGET = re.compile(r"(?:the\s+)?(\*\*|__|\*|_)?(?:`([A-Za-z][\w.-]*)`|([A-Za-z](?:[\w.-]*\w)?))"
                     r"(?(1)(?:\*\*|__|\*|_))")  # bold or italic too: "invoke **`tester`**"
_MORE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+|then\s+)?|\s(?:and|or|then)\s+)", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.:!?](?:\s|$)|[;()\[\]—–]|^\s*[-*+]\s|\s-\s")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_NEGATIONS = frozenset({"not", "never", "don't", "dont", "doesn't", "mustn't", "shouldn't", "cannot", "can't",
                        "won't", "no", "without", "avoid", "nor", "forbidden", "prohibited", "disallowed",
                        "refrain", "neither"})
# a comma segment starting with these begins a clause of its own: negations before it are not this verb's
_NEW_CLAUSE = frozenset({"and", "then", "but", "so", "instead", "otherwise", "finally"})
_SUBORDINATE = frozenset({"if", "when", "unless", "once", "after", "before", "while", "because", "since",
                          "although", "though", "whenever", "until"})
_CONDITION_BEFORE = re.compile(r"\b(?:if|unless|only\s+(?:if|when)|in\s+case|provided|should\s+the)\b", re.IGNORECASE)
_CONDITION_AFTER = re.compile(r"\b(?:if|unless|only\s+(?:if|when|after|for|on)|in\s+case|provided|otherwise|"
                              r"except|should\s+the)\b", re.IGNORECASE)
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
    quoted: bool  # written as a code span
    conditional: bool = False  # "only if the user asks": read by the roster check, never chained


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z']+", text.lower().replace("\u2019", "'"))


def _is_negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


def _sentence(prefix: str) -> str:
    """The sentence the verb stands in, up to the verb."""
    ends = list(_CLAUSE_END.finditer(prefix))
    return prefix[ends[-1].end():] if ends else prefix


def _negated(prefix: str) -> bool:
    """True when the verb's clause negates it; walks the sentence's comma segments back to the clause start."""
    for segment in reversed(_sentence(prefix).split(",")):
        words = _words(re.sub(r"\bno\s+matter\b|\bnot\s+only\b", " ", segment, flags=re.IGNORECASE))
        if words and words[0] in _SUBORDINATE:
            return False  # "If tests do not pass, …": the negation is the condition's
        if any(_is_negation(word) for word in words):
            return True
        if words and words[0] in _NEW_CLAUSE:
            return False
    return False


def _conditional(prefix: str, rest: str) -> bool:
    """A condition on the hand-off: in its sentence before the verb, or after the target up to the sentence end."""
    after = _SENTENCE_END.split(rest, maxsplit=1)[0]
    return bool(_CONDITION_BEFORE.search(_sentence(prefix)) or _CONDITION_AFTER.search(after))


def _names_an_agent(name: str, known: Collection[str]) -> bool:
    return name in known or bool(difflib.get_close_matches(name, sorted(known), n=1, cutoff=TYPO_CUTOFF))


def _line_handoffs(line: str, line_no: int, known: Collection[str]) -> Iterator[Handoff]:
    for verb in _VERB.finditer(line):
        if _negated(line[:verb.start()]):
            continue
        at = verb.end()
        while True:
            target = _TARGET.match(line, at)
            if target is None:
                break
            quoted = target.group(2) is not None
            group = 2 if quoted else 3
            name = target.group(group)
            if name not in known and (not quoted or _NOT_AN_AGENT.match(line, target.end())):
                break  # prose ("invoke for setup questions", "invoke `rg` commands"); a list ends there too
            if name in known or (name not in CODEX_BUILTIN_ROLES and _names_an_agent(name, known)):
                yield Handoff(name, line_no, target.start(group), target.end(group), quoted,
                              _conditional(line[:verb.start()], line[target.end():]))
            more = _MORE.match(line, target.end())
            if more is None:
                break
            at = more.end()


def find_handoffs(text: str, known: Collection[str] = BUILTIN_AGENTS, first_line: int = 0) -> list[Handoff]:
    """Every hand-off in `text` to an agent in `known` or (a code span) close to one of them."""
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

"""The agent roster: `AGENTS.md` sections and Codex CLI custom agents in `.codex/agents/*.toml`.

Real rosters come in two Markdown styles (`## Agent: \\`name\\`` with bold Role/Goal/Backstory bullets,
and a plain `## name` heading with a body), and many `AGENTS.md` files are not rosters at all but
free-form instructions for a coding agent; all three are understood here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.config import toml_error_location
from techcat_core.handoff import BUILTIN_AGENTS, find_handoffs
from techcat_core.markdown_doc import MarkdownDoc, parse_markdown
from techcat_core.positions import Range

_AGENT_HEADING = re.compile(r"^agent\s*:\s*`?([A-Za-z][\w.-]*)`?\s*$", re.IGNORECASE)
_PLAIN_HEADING = re.compile(r"^(`?)([A-Za-z][\w.-]*)\1$")
_FIELD = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(role|goal|backstory|responsibilities|outputs?|model|executor)"
    r"(?::(?:\*\*|__)|(?:\*\*|__):|:)\s*(.*)$",
    re.IGNORECASE,
)
_NESTED_BULLET = re.compile(r"^\s+[-*+]\s+(.*)$")
_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(slots=True)
class ChainLink:
    """A "once complete, invoke X" line: the target and where its name stands."""

    target: str
    range: Range
    conditional: bool = False  # "only if the user asks": the roster check reads it, the runtime never chains it


@dataclass(slots=True)
class Agent:
    name: str
    source: Path
    name_range: Range
    section: Range  # the whole section, heading included
    role: str = ""
    goal: str = ""
    backstory: str = ""
    responsibilities: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    model: str | None = None
    executor: str = ""  # the `Executor:` line's raw text ("": the built-in runtime); executors.parse_executor reads it
    executor_range: Range | None = None  # where that text stands, for a diagnostic about it
    chains: list[ChainLink] = field(default_factory=list)  # the unconditional hand-offs: what a run chains to
    handoffs: list[ChainLink] = field(default_factory=list)  # every hand-off, conditional ones too (TC202)
    body: str = ""
    origin: str = "AGENTS.md"  # "toml" (.codex/agents/*.toml) or "config.toml" (an [agents.NAME] table alone)
    named_by: str = "AGENTS.md heading"  # where the name comes from, as `techcat agents` shows it
    chain_text: str = ""  # the text hand-offs are read from, starting at line `chain_line` of `source`
    chain_line: int = 0

    @property
    def description(self) -> str:
        return self.role or self.goal or (self.body.strip().splitlines() or [""])[0]


@dataclass(slots=True)
class TomlProblem:
    path: Path
    message: str
    range: Range


@dataclass(slots=True)
class Roster:
    path: Path
    doc: MarkdownDoc | None
    agents: list[Agent] = field(default_factory=list)
    kind: str = "missing"  # "roster", "instructions", "empty" or "missing"
    toml_problems: list[TomlProblem] = field(default_factory=list)

    def get(self, name: str) -> Agent | None:
        for agent in self.agents:
            if agent.name == name:
                return agent
        return None

    @property
    def names(self) -> list[str]:
        seen: dict[str, None] = {}
        for agent in self.agents:
            seen.setdefault(agent.name, None)
        return list(seen)


def _agent_name(heading: str, body_lines: list[str]) -> str | None:
    match = _AGENT_HEADING.match(heading)
    if match:
        return match.group(1)
    plain = _PLAIN_HEADING.match(heading)
    if not plain:
        return None
    name = plain.group(2)
    if plain.group(1) or "_" in name or "-" in name or name.islower():
        return name
    if any(_FIELD.match(line) for line in body_lines):
        return name
    return None


def _split_list(value: str) -> list[str]:
    return [part.strip().strip("`").strip() for part in re.split(r",|;", value) if part.strip().strip("`")]


def _fill_fields(agent: Agent, lines: list[str], first_line: int = 0) -> None:
    current: str | None = None
    for number, line in enumerate(lines, first_line):
        match = _FIELD.match(line)
        if match:
            current = match.group(1).lower().rstrip("s") if match.group(1).lower() != "responsibilities" \
                else "responsibilities"
            value = match.group(2).strip()
            if current == "role":
                agent.role = value
            elif current == "goal":
                agent.goal = value
            elif current == "backstory":
                agent.backstory = value
            elif current == "model":
                agent.model = value.strip("`") or None
            elif current == "executor" and not agent.executor:  # the first line counts, as a reader sees it
                agent.executor = value
                agent.executor_range = Range.of(number, match.start(2), end=match.start(2) + len(value))
            elif current == "output":
                agent.outputs.extend(_split_list(value))
            elif current == "responsibilities" and value:
                agent.responsibilities.append(value)
            continue
        nested = _NESTED_BULLET.match(line)
        if nested and current in ("responsibilities", "output"):
            item = nested.group(1).strip()
            if current == "output":
                agent.outputs.extend(_split_list(item))
            else:
                agent.responsibilities.append(item)
        elif line.strip() and not line.startswith((" ", "\t")):
            current = None


def parse_agents_md(text: str, path: Path | str) -> Roster:
    """Parse `AGENTS.md` into a roster; never raises."""
    doc = parse_markdown(text, path)
    roster = Roster(Path(path), doc)
    lines = text.splitlines()
    headings = [(h.line, h.level, h.text) for h in doc.headings if h.line < len(lines)]
    for i, (line, level, heading_text) in enumerate(headings):
        end = len(lines)
        for next_line, next_level, _ in headings[i + 1:]:
            if next_level <= level or _AGENT_HEADING.match(headings[i + 1][2]):
                end = next_line
                break
        body_lines = lines[line + 1:end]
        name = _agent_name(heading_text, body_lines)
        if name is None or level == 1:
            continue
        raw = lines[line]
        col = raw.find(name)
        agent = Agent(name=name, source=Path(path), name_range=Range.of(line, max(col, 0), end=max(col, 0) +
                                                                         len(name)),
                      section=Range.of(line, 0, end - 1, len(lines[end - 1]) if end - 1 < len(lines) else 0),
                      body="\n".join(body_lines), chain_text="\n".join(body_lines), chain_line=line + 1)
        _fill_fields(agent, body_lines, line + 1)
        roster.agents.append(agent)
    resolve_chains(roster.agents)
    if roster.agents:
        roster.kind = "roster"
    elif text.strip():
        roster.kind = "instructions"
    else:
        roster.kind = "empty"
    return roster


_NAME_KEY = re.compile(r"^\s*name\s*=")


@dataclass(frozen=True, slots=True)
class DeclaredRole:
    """An `[agents.NAME]` table of Codex CLI's `config.toml` whose `config_file` is an agent file."""

    name: str
    description: str = ""


def parse_agent_toml(text: str, path: Path, declared: DeclaredRole | None = None) -> Agent | TomlProblem:
    """A Codex CLI custom agent (`name`, `description`, `developer_instructions`), read-only.

    Named as Codex CLI names it (codex-rs `agent_roles.rs`): a non-empty `name` key, else the
    `[agents.NAME]` table of `config.toml` whose `config_file` is this file (`declared`), else the
    file stem, which Codex itself does not accept but which is the best guess left.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line, col = toml_error_location(error, text)
        return TomlProblem(path, message, Range.of(line, col, end=col + 1))
    raw_name = data.get("name")
    lines = text.splitlines()
    if isinstance(raw_name, str) and raw_name.strip():
        name, named_by = raw_name.strip(), f"`name` in {path.parent.name}/{path.name}"
        line_no = next((i for i, line in enumerate(lines) if _NAME_KEY.match(line)), 0)
    elif declared is not None:
        name, named_by, line_no = declared.name, f"[agents.{declared.name}] in config.toml", 0
    else:
        name, named_by, line_no = path.stem, f"file name {path.parent.name}/{path.name}", 0
    col = lines[line_no].find(name) if lines else -1
    name_range = Range.of(line_no, col, end=col + len(name)) if col >= 0 else Range.of(line_no, 0)
    description = data.get("description")
    instructions = data.get("developer_instructions")
    agent = Agent(name=name, source=path, name_range=name_range,
                  section=Range.of(0, 0, max(len(lines) - 1, 0), len(lines[-1]) if lines else 0),
                  role=description.strip() if isinstance(description, str) and description.strip()
                  else declared.description if declared is not None else "",
                  body=instructions if isinstance(instructions, str) else "", origin="toml", named_by=named_by,
                  chain_text=instruction_lines(text, lines))
    model = data.get("model")
    if isinstance(model, str):
        agent.model = model
    _set_links(agent, {name} | BUILTIN_AGENTS)
    return agent


_INSTRUCTION_KEY = re.compile(r"^\s*(?:developer_instructions|instructions)\s*=\s*(\"\"\"|'''|\"|')?")


def instruction_lines(text: str, lines: list[str]) -> str:
    """`text` with every line blanked but the instruction keys' values: hand-offs are read from the
    instructions, not from comments or other keys, and keep their exact places in the file."""
    keep: set[int] = set()
    i = 0
    while i < len(lines) and not lines[i].lstrip().startswith("["):  # top-level keys come before any table
        match = _INSTRUCTION_KEY.match(lines[i])
        if match is None:
            i += 1
            continue
        quote = match.group(1)
        end = i
        if quote in ('"""', "'''") and quote not in lines[i][match.end():]:
            end = next((j for j in range(i + 1, len(lines)) if quote in lines[j]), len(lines) - 1)
        keep.update(range(i, end + 1))
        i = end + 1
    return "\n".join(line if n in keep else "" for n, line in enumerate(lines))


def _set_links(agent: Agent, known: set[str] | frozenset[str]) -> None:
    links = [ChainLink(h.target, Range.of(h.line, h.start, end=h.end), h.conditional)
             for h in find_handoffs(agent.chain_text, known, agent.chain_line)]
    agent.handoffs = links
    agent.chains = [link for link in links if not link.conditional]


def resolve_chains(agents: list[Agent]) -> None:
    """Read every agent's hand-offs once all agents are known (a name counts when it is one of them or,
    as a code span, close to one: a typo the roster check reports)."""
    known = {agent.name for agent in agents} | BUILTIN_AGENTS
    for agent in agents:
        _set_links(agent, known)

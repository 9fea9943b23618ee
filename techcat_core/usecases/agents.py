"""Known agents, the one rule for an agent name a front end is given, and adding an agent to the roster."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from techcat_core.atomic import WriteRefused, write_atomic
from techcat_core.handoff import BUILTIN_AGENTS
from techcat_core.roster import Agent, parse_agents_md
from techcat_core.tasklog.rules import path_escape_problem
from techcat_core.usecases.errors import UnknownAgent, UseCaseError
from techcat_core.usecases.limits import MAX_LINE, MAX_PATH
from techcat_core.workspace import AGENTS, DecodeProblem, UnsafeFile, Workspace, read_text

AGENT_NAME = re.compile(r"[A-Za-z][\w.-]*")  # as the roster parser reads a heading (docs/codex-format.md)
MAX_NAME = 100
_STYLE_ONE = re.compile(r"^#{2,6}\s+agent\s*:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class KnownAgent:
    """An agent a task may name: a roster agent (`agent` set) or a built-in one such as `task_logger`."""

    name: str
    role: str
    builtin: bool
    agent: Agent | None = None


def known_agents(ws: Workspace) -> list[KnownAgent]:
    """The roster's agents in roster order, then the built-in ones it does not define itself."""
    found = [KnownAgent(a.name, a.description, False, a) for a in ws.agents]
    names = {a.name for a in found}
    found += [KnownAgent(name, "Built-in: records a finished task in the task log", True)
              for name in sorted(BUILTIN_AGENTS) if name not in names]
    return found


def known_agent_names(ws: Workspace) -> frozenset[str]:
    return frozenset(ws.agent_names | BUILTIN_AGENTS)


def has_roster(ws: Workspace) -> bool:
    """A free-form AGENTS.md (instructions, no agent sections) names no agents, so any name is accepted."""
    return bool(ws.agents)


def unknown_agent_problem(ws: Workspace, name: str) -> str | None:
    """Why `name` is not an agent of this workspace, with the closest names; None when it is one."""
    if not has_roster(ws) or name in known_agent_names(ws):
        return None
    names = sorted(known_agent_names(ws))
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"agent `{name}` is not in the roster; {hint}known agents: {', '.join(names)}"


def require_agent(ws: Workspace, name: str, force: bool = False) -> str:
    """The agent name, stripped, when the roster knows it (or `force`); else UnknownAgent naming the known ones."""
    name = name.strip()
    if not name:
        raise UseCaseError("the agent name is empty; name an agent of the roster")
    problem = unknown_agent_problem(ws, name)
    if problem is not None and not force:
        raise UnknownAgent(problem)
    return name


@dataclass(frozen=True, slots=True)
class NewAgent:
    """A roster section to append to AGENTS.md; only `name` and `role` are required."""

    name: str
    role: str
    goal: str = ""
    outputs: tuple[str, ...] = ()
    model: str = ""


def add_agent(codex_dir: Path, new: NewAgent) -> Agent:
    """Append a well-formed section for `new` to `.codex/AGENTS.md`, atomically and under a lock.

    Refused (nothing written) for a bad or duplicate name, a free-form AGENTS.md (a section would make it a
    roster), or a file TechCat may not read whole; everything already in the file is kept byte for byte.
    """
    name = new.name.strip()
    if len(name) > MAX_NAME:
        raise UseCaseError(f"the agent name is {len(name):,} characters long; keep it under {MAX_NAME}")
    if not AGENT_NAME.fullmatch(name):
        raise UseCaseError(f"`{name}` is not an agent name: start with a letter, then letters, digits, `_`, `-` "
                           "or `.`")
    fields = [("Role", _one_line(new.role, "the role")), ("Goal", _one_line(new.goal, "the goal", empty=True)),
              ("Output", _outputs(new.outputs)), ("Model", _one_line(new.model, "the model", empty=True))]
    from techcat_core.tasklog.store import state_dir
    from techcat_core.usecases.loading import placed

    codex_dir = placed(codex_dir)
    try:
        with FileLock(str(state_dir(codex_dir) / "roster.lock"), timeout=30):
            return _append_section(codex_dir, name, [(k, v) for k, v in fields if v])
    except Timeout:
        raise UseCaseError(f"another process has held {state_dir(codex_dir) / 'roster.lock'} for 30 s; "
                           "try again") from None
    except WriteRefused as error:
        raise UseCaseError(str(error)) from None


def _append_section(codex_dir: Path, name: str, fields: list[tuple[str, str]]) -> Agent:
    from techcat_core.usecases.loading import roster_workspace

    ws = roster_workspace(codex_dir)
    if name in ws.agent_names:
        agent = ws.agent(name)
        where = f" ({ws.relative(agent.source)}:{agent.name_range.start.line + 1})" if agent else ""
        raise UseCaseError(f"agent `{name}` is already in the roster{where}; edit that section instead")
    path = ws.path(AGENTS)
    problems: list[DecodeProblem] = []
    unsafe: list[UnsafeFile] = []
    text = read_text(path, problems, root=ws.root, limit=ws.config.limits.max_file_bytes, unsafe=unsafe)
    if unsafe:
        raise UseCaseError(f"{path} {unsafe[0].reason}; {unsafe[0].hint}; nothing was written")
    if problems:
        raise UseCaseError(f"{path}:{problems[0].line + 1}: {problems[0].message}; save it as UTF-8 first, "
                           "nothing was written")
    text = text or ""
    if ws.roster is not None and ws.roster.kind == "instructions":
        raise UseCaseError(f"{path} holds free-form instructions, not a roster; an agent section would turn it "
                           "into one, so add it by hand if that is what you want (nothing was written)")
    newline = "\r\n" if "\r\n" in text else "\n"
    style_one = bool(_STYLE_ONE.search(text)) or not (ws.roster and ws.roster.agents)
    heading = f"## Agent: `{name}`" if style_one else f"## `{name}`"  # backticks: read as an agent whatever its case
    section = [heading, "", *(f"- **{key}:** {value}" for key, value in fields)]
    if not text.strip():
        new_text = newline.join(["# Agents", "", *section]) + newline
    else:
        body = text.rstrip("\r\n")
        divider = ["---", ""] if re.search(r"^---\s*$", text, re.MULTILINE) else []
        new_text = body + newline * 2 + newline.join([*divider, *section]) + newline
    added = parse_agents_md(new_text, path).get(name)
    if added is None or len(parse_agents_md(new_text, path).agents) != len(ws.roster.agents if ws.roster else []) + 1:
        raise UseCaseError(f"a section for `{name}` would not read back as one new agent of {path}; "
                           "add it by hand (nothing was written)")
    write_atomic(path, new_text)
    return added


def _one_line(text: str, what: str, empty: bool = False) -> str:
    line = text.strip()
    if len(line) > MAX_LINE:
        raise UseCaseError(f"{what} is {len(line):,} characters long; keep it to one line of at most {MAX_LINE}")
    if len(line.splitlines()) > 1:
        raise UseCaseError(f"{what} has several lines; write it on one line")
    if not line and not empty:
        raise UseCaseError(f"{what} is empty; say in a few words what the agent does")
    return line


def _outputs(outputs: tuple[str, ...]) -> str:
    names: list[str] = []
    for raw in outputs:
        name = raw.strip().replace("\\", "/")
        if len(name) > MAX_PATH:
            raise UseCaseError(f"an output is {len(name):,} characters long, more than the {MAX_PATH} a path or "
                               "glob takes")
        problem = path_escape_problem(name) or ("is empty" if not name else None) or \
            ("holds a comma, which separates outputs" if "," in name else None) or \
            ("has several lines" if len(name.splitlines()) > 1 else None)
        if problem:
            raise UseCaseError(f'output "{raw}" {problem}; name paths or globs relative to the repository root')
        if name not in names:
            names.append(name)
    return ", ".join(names)

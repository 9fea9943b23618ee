"""TC0xx, TC2xx, TC3xx and TC4xx: the workspace, roster, checklist and cross-file rules."""

from __future__ import annotations

import difflib
import re
from collections.abc import Set as AbstractSet

from techcat_core.diagnostics import Diagnostic, Fix, TextEdit
from techcat_core.folder_kind import is_techcat_workspace, near_miss_rules, not_a_workspace_note
from techcat_core.handoff import BUILTIN_AGENTS as BUILTIN_AGENTS  # re-exported (techcat_lsp)
from techcat_core.positions import Range
from techcat_core.roster import Agent
from techcat_core.workspace import CONFIG, CORE_FILES, Workspace, markdown_files

PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z][^{}\n]{0,80}?\}\}")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_FENCE = re.compile(r"^\s*(```|~~~)")


def nearest(name: str, candidates: list[str] | set[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def known_agents(ws: Workspace) -> set[str]:
    return ws.agent_names | BUILTIN_AGENTS


def has_roster(ws: Workspace) -> bool:
    """Agent-name checks only make sense where the workspace actually keeps a roster."""
    return bool(ws.agents)


def workspace_rules(ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for problem in ws.decode_problems:
        out.append(Diagnostic.of("TC001", problem.message, problem.path,
                              Range.of(problem.line, problem.character, end=problem.character + 1)))
    if not is_techcat_workspace(ws):
        out.append(not_a_workspace_note(ws))  # one note, not a TC002 for each of the five files
    for name in CORE_FILES if is_techcat_workspace(ws) else ():
        path = ws.path(name)
        if path not in ws.texts:
            if path.is_dir():
                message = (f"{name} is a folder, not a file; move it aside, then `techcat init` creates the file "
                           "without touching the others")
            elif path.exists():
                message = f"{name} cannot be read (check its permissions); TechCat treats it as missing"
            else:
                message = (f"{name} is missing from {ws.relative(ws.codex_dir)}/; `techcat init` creates the "
                           "missing files without touching the others")
            out.append(Diagnostic.of("TC002", message, path, Range.of(0, 0)))
    for config_problem in ws.config_problems:
        out.append(Diagnostic.of("TC003", config_problem.message, ws.path(CONFIG), config_problem.range))
    out.extend(near_miss_rules(ws))
    return out


def roster_rules(ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    roster = ws.roster
    if roster is not None and roster.kind == "instructions" and is_techcat_workspace(ws):
        out.append(Diagnostic.of("TC200", _free_form_message(ws), roster.path, Range.of(0, 0)))
    for problem in ws.toml_problems:
        out.append(Diagnostic.of("TC205", f"cannot read custom agent: {problem.message}", problem.path,
                              problem.range))
    agents = ws.agents
    first: dict[str, Agent] = {}
    for agent in agents:
        if agent.name in first:
            other = first[agent.name]
            where = f"{other.source.name}:{other.name_range.start.line + 1}"
            out.append(Diagnostic.of("TC201", f"agent `{agent.name}` is already defined at {where}",
                                  agent.source, agent.name_range))
        else:
            first[agent.name] = agent
    names = known_agents(ws)
    for agent in first.values():
        for link in agent.handoffs:
            if link.target not in names:
                guess = nearest(link.target, names)
                editable = agent.origin == "AGENTS.md"  # Codex CLI's files are read-only to TechCat
                fixes = (Fix(f"Chain to `{guess}`", (TextEdit(agent.source, link.range, guess),), safe=False),) \
                    if guess and editable else ()
                hint = f"; did you mean `{guess}`?" if guess else ""
                out.append(Diagnostic.of("TC202", f"`{agent.name}` chains to `{link.target}`, which is "
                                      f"not in the roster{hint}", agent.source, link.range, fixes))
    out.extend(_cycles(first))
    if ws.uses_prompts and roster is not None and not _codex_prompts_only(ws, first):
        for agent in first.values():
            if agent.origin == "AGENTS.md" and agent.name not in ws.prompts:
                out.append(Diagnostic.of("TC204", f"agent `{agent.name}` has no prompt file; create "
                                      f".codex/prompts/{agent.name}.md", agent.source, agent.name_range))
    return out


def _codex_prompts_only(ws: Workspace, agents: dict[str, Agent]) -> bool:
    """`prompts/` is Codex CLI's (its custom prompts, beside its `config.toml`), not one prompt per roster agent."""
    return (ws.codex_dir / "config.toml").is_file() and not any(name in ws.prompts for name in agents)


def _free_form_message(ws: Workspace) -> str:
    """TC200, saying truthfully which agent checks still run."""
    head = "AGENTS.md reads as free-form instructions for a coding agent, not a roster of `## Agent: name` sections"
    codex = ws.custom_agents
    if not codex:
        return head + "; no agent is defined anywhere, so the agent-name checks (TC301, TC401) are off"
    count = f"{len(codex)} Codex CLI agent{'' if len(codex) == 1 else 's'}"
    return (head + f"; agent names in the task log and the checklist are checked against the {count} of "
            ".codex/agents/*.toml and config.toml")


def _cycles(agents: dict[str, Agent]) -> list[Diagnostic]:
    graph = {name: [link for link in agent.chains if link.target in agents] for name, agent in agents.items()}
    reported: set[frozenset[str]] = set()
    out: list[Diagnostic] = []
    for start in agents:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for link in graph.get(node, []):
                if link.target == start:
                    members = frozenset(path)
                    if members not in reported:
                        reported.add(members)
                        agent = agents[node]
                        cycle = " → ".join([*path, start])
                        out.append(Diagnostic.of("TC203", f"agents chain in a cycle: {cycle}; a run "
                                              "stops at the chain depth limit", agent.source, link.range))
                elif link.target not in path and len(path) < 32:
                    stack.append((link.target, [*path, link.target]))
    return out


def proposed_rules(ws: Workspace, task_ids: AbstractSet[str]) -> list[Diagnostic]:
    proposed = ws.proposed
    if proposed is None:
        return []
    out: list[Diagnostic] = []
    path = proposed.path
    for odd in proposed.odd_items:
        out.append(Diagnostic.of("TC300", f"unknown checklist mark [{odd.mark}]; use [ ] proposed, "
                              "[>] queued or [x] done", path, odd.range))
    names = known_agents(ws)
    for item in proposed.items:
        if item.agent and item.agent_range and has_roster(ws) and item.agent not in names:
            guess = nearest(item.agent, names)
            fixes = (Fix(f"Assign to `{guess}`", (TextEdit(path, item.agent_range, guess),), safe=False),) \
                if guess else ()
            hint = f"; did you mean `{guess}`?" if guess else ""
            out.append(Diagnostic.of("TC301", f"item {item.number} names agent `{item.agent}`, which is "
                                  f"not in the roster{hint}", path, item.agent_range, fixes))
        if ws.task_log is not None:
            for task_id, rng in item.task_ids:
                if task_id not in task_ids:
                    out.append(Diagnostic.of("TC302", f"item {item.number} cites {task_id}, which is not "
                                          "in TASK-LOG.json", path, rng))
        if item.state == "x" and not item.task_ids:
            out.append(Diagnostic.of("TC303", f"item {item.number} is done but cites no task id; add "
                                  "the id of the task that did it, as (task-042)", path, item.mark_range))
    return out


def agent_reference_rules(ws: Workspace) -> list[Diagnostic]:
    log = ws.task_log
    if log is None or not has_roster(ws):
        return []
    names = known_agents(ws)
    out: list[Diagnostic] = []
    guesses: dict[str, str | None] = {}
    digest = log.fresh_digest()  # every entry an object, and the set of their agents
    if digest is not None:
        if digest.agents <= names:
            return out
    else:
        named = {agent for e in log.entries if type(e.value) is dict and type(agent := e.value.get("agent")) is str}
        if named <= names and all(type(e.value) is dict for e in log.entries):
            return out  # every entry names a known agent (the common case, decided in C-speed passes)
    for entry in log.entries:
        agent = entry.agent
        if agent is None or not agent.strip() or agent in names:
            continue
        if agent not in guesses:
            guesses[agent] = nearest(agent, names)
        guess = guesses[agent]
        rng = log.value_range(entry, "agent")
        fixes = (Fix(f"Change the agent to `{guess}`", (TextEdit(log.path, rng, f'"{guess}"'),), safe=False),) \
            if guess else ()
        hint = f"; did you mean `{guess}`?" if guess else "; add it to AGENTS.md"
        out.append(Diagnostic.of("TC401", f"agent `{agent}` is not in the roster{hint}", log.path, rng,
                              fixes))
    return out


def placeholder_rules(ws: Workspace) -> list[Diagnostic]:
    """TC402. Only in a TechCat workspace: `{{…}}` in Codex CLI's prompts or another tool's Markdown is theirs."""
    out: list[Diagnostic] = []
    if not is_techcat_workspace(ws):
        return out
    for path in markdown_files(ws):
        text = ws.texts.get(path)
        if text is None:
            from techcat_core.workspace import read_text  # confined and bounded (issue 11)

            text = read_text(path, root=ws.root, limit=ws.config.limits.max_file_bytes)
            if text is None:
                continue
        if "{{" not in text:
            continue
        in_fence = False
        for line_no, line in enumerate(text.splitlines()):
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence or "{{" not in line:
                continue
            code_spans = [m.span() for m in _INLINE_CODE.finditer(line)]
            for match in PLACEHOLDER.finditer(line):
                if any(a <= match.start() < b for a, b in code_spans):
                    continue
                out.append(Diagnostic.of("TC402", f"unfilled placeholder {match.group(0)}; templates "
                                      "belong in .codex/templates/", path,
                                      Range.of(line_no, match.start(), end=match.end())))
    return out


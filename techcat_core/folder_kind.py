"""What kind of `.codex/` folder this is: a TechCat workspace or another tool's (TC005), and near misses (TC006).

Most `.codex/` folders in the wild belong to OpenAI's Codex CLI (`config.toml`, `agents/*.toml`, `skills/`,
`prompts/`, `hooks.json`) or hold a free-form `AGENTS.md`. Reporting four missing TechCat files there is noise:
such a folder gets one note saying what it holds and how to start a TechCat workspace beside it.
"""

from __future__ import annotations

from pathlib import Path

from techcat_core.codex_agents import codex_inventory, read_declarations
from techcat_core.diagnostics import Diagnostic
from techcat_core.positions import Range
from techcat_core.workspace import AGENTS, ARCHITECTURE, CORE_FILES, PRD, PROPOSED, TASK_LOG, Workspace


def techcat_files(ws: Workspace) -> list[str]:
    """The TechCat files present; `AGENTS.md` counts only as a roster (free-form instructions are any tool's)."""
    present = [name for name in (PRD, ARCHITECTURE, PROPOSED, TASK_LOG) if ws.path(name) in ws.texts]
    if ws.roster is not None and ws.roster.kind == "roster":
        present.insert(0, AGENTS)
    return present


def is_techcat_workspace(ws: Workspace) -> bool:
    return bool(techcat_files(ws))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _found(ws: Workspace) -> list[str]:
    inventory = codex_inventory(ws.codex_dir)
    found: list[str] = []
    if inventory["config"]:
        found.append("Codex CLI's config.toml")
    names = list(dict.fromkeys(agent.name for agent in ws.custom_agents))  # a name defined twice is one agent
    if names:
        found.append(f"{_plural(len(names), 'Codex CLI agent')} (" + ", ".join(names[:5])
                     + (", …" if len(names) > 5 else "") + ")")

    if inventory["skills"]:
        found.append(_plural(inventory["skills"], "skill"))
    if inventory["prompts"]:
        found.append(_plural(inventory["prompts"], "prompt") + " in prompts/")
    if inventory["hooks"]:
        found.append("hooks.json")
    if ws.roster is not None and ws.roster.kind == "instructions":
        found.append("a free-form AGENTS.md (instructions for a coding agent)")
    outside = read_declarations(ws.codex_dir, ws.texts.get).outside
    if outside:
        shown = ", ".join(f"{name} → {value}" for name, value in list(outside.items())[:3])
        found.append(f"{_plural(len(outside), 'agent file')} outside the repository ({shown}"
                     f"{', …' if len(outside) > 3 else ''}), which TechCat does not read")
    if not found:
        other = _other_entries(ws.codex_dir)
        if other:
            found.append(", ".join(other[:3]) + (f" and {len(other) - 3} more" if len(other) > 3 else ""))
    return found


def _other_entries(codex_dir: Path) -> list[str]:
    try:
        return sorted(p.name + ("/" if p.is_dir() else "") for p in codex_dir.iterdir() if not p.name.startswith("."))
    except OSError:
        return []


def not_a_workspace_note(ws: Workspace) -> Diagnostic:
    """TC005: one note instead of a TC002 warning per missing file."""
    found = _found(ws)
    holds = ("it holds " + (", ".join(found[:-1]) + " and " + found[-1] if len(found) > 1 else found[0])
             if found else "it holds no file TechCat reads")
    files = sorted(p for p in ws.codex_dir.iterdir() if p.is_file()) if ws.codex_dir.is_dir() else []
    agent_files = [agent.source for agent in ws.custom_agents[:1]]
    anchor = next((path for path in (ws.path(AGENTS), ws.codex_dir / "config.toml", *files, *agent_files)
                   if path.is_file()), ws.codex_dir)  # an existing file, else the folder itself
    inventory = codex_inventory(ws.codex_dir)
    codex = "; Codex CLI's files stay as they are" if ws.custom_agents or any(inventory.values()) else ""
    start = ("To keep TechCat's agent memory beside them, run `techcat init`: it adds the missing files and never "
             f"changes a file that exists{codex}") if found else \
        "To start a TechCat workspace here, run `techcat init`: it creates TechCat's files"
    return Diagnostic.of("TC005", f"{ws.relative(ws.codex_dir)}/ is not a TechCat workspace: it has none of "
                         f"TechCat's files (an AGENTS.md roster, {PRD}, {ARCHITECTURE}, {PROPOSED}, {TASK_LOG}); "
                         f"{holds}. {start}", anchor, Range.of(0, 0))


_RENAME = "TechCat reads `.codex/{target}`; rename it"
_IMPORT = "`techcat import-log {path}` converts its `### Task Completed` blocks into `.codex/TASK-LOG.json`"
_NEAR_MISSES: dict[str, tuple[str, str, str]] = {
    # lower-case file name → (what it probably is, what to do, the TechCat file it stands for)
    "agent.md": ("the roster misnamed", _RENAME, AGENTS),
    "tasks.json": ("a task log or task list", "TechCat's task log is `.codex/TASK-LOG.json`, a JSON array of entries "
                   "with task_id, agent, date, summary and output_files", TASK_LOG),
    "task-log.json": ("the task log misnamed", _RENAME, TASK_LOG),
    "task_log.json": ("the task log misnamed", _RENAME, TASK_LOG),
    "tasklog.json": ("the task log misnamed", _RENAME, TASK_LOG),
    "task-log.md": ("a Markdown task log", _IMPORT, TASK_LOG),
    "task_log.md": ("a Markdown task log", _IMPORT, TASK_LOG),
    "tasks.md": ("a task list", "TechCat keeps work not yet done in `.codex/PROPOSED-TASKS.md`, a `- [ ]` checklist",
                 PROPOSED),
    "proposed_tasks.md": ("the task list misnamed", _RENAME, PROPOSED),
    "prd.txt": ("the PRD", _RENAME, PRD),
    "architecture.txt": ("the architecture", _RENAME, ARCHITECTURE),
}


def _has_task_blocks(ws: Workspace, path: Path) -> bool:
    """Whether a Markdown log has `### Task Completed` blocks: read confined and bounded (a link out is not read)."""
    from techcat_core.confine import Refused, read_bounded
    from techcat_core.tasklog.legacy import has_task_blocks

    try:
        return has_task_blocks(read_bounded(ws.root, path, ws.config.limits.max_file_bytes).text())
    except (OSError, Refused):
        return False


def _case_miss(name: str) -> str | None:
    """A TechCat file name written in another case (`agents.md`, `Task-Log.json`)."""
    return next((core for core in CORE_FILES if core.lower() == name.lower() and core != name), None)


def near_miss_rules(ws: Workspace) -> list[Diagnostic]:
    """TC006: files that look like a misnamed TechCat file, each with what it is and what to do."""
    out: list[Diagnostic] = []
    try:
        entries = sorted(p for p in ws.codex_dir.iterdir() if p.is_file())
    except OSError:
        return out
    for path in entries:
        rel = ws.relative(path)
        core = _case_miss(path.name)
        if core is not None and not ws.path(core).exists():
            out.append(Diagnostic.of("TC006", f"{path.name} looks like {core} with other capitals; "
                                  f"TechCat reads `.codex/{core}` (names are case-sensitive); rename it",
                                  path, Range.of(0, 0)))
            continue
        miss = _NEAR_MISSES.get(path.name.lower())
        if miss is None:
            continue
        what, todo, target = miss
        if ws.path(target).exists():
            continue  # the real file is there: this one is something else
        if todo is _IMPORT and not _has_task_blocks(ws, path):
            what, todo = "a task log of its own shape", ("TechCat keeps its log in `.codex/TASK-LOG.json`; "
                                                          "`techcat import-log` reads only `### Task Completed` "
                                                          "blocks, and this file has none")
        out.append(Diagnostic.of("TC006", f"{path.name} looks like {what}; "
                              f"{todo.format(path=rel, target=target)}", path, Range.of(0, 0)))
    out.extend(_markdown_agents(ws))
    return out


def _markdown_agents(ws: Workspace) -> list[Diagnostic]:
    agents_dir = ws.codex_dir / "agents"
    if not agents_dir.is_dir():
        return []
    markdown = sorted(p for p in agents_dir.glob("*.md") if p.is_file() and p.stem.lower() != "readme")
    if not markdown:
        return []
    names = ", ".join(p.name for p in markdown[:3]) + (", …" if len(markdown) > 3 else "")
    first: Path = markdown[0]
    verb = "defines" if len(markdown) == 1 else "define"
    return [Diagnostic.of("TC006", f"{_plural(len(markdown), 'Markdown file')} in "
                       f"{ws.relative(agents_dir)}/ ({names}) {verb} no agent: Codex CLI and TechCat read "
                       "agents/<name>.toml (`name`, `description`, `developer_instructions`); define these agents "
                       "as TOML files, or as `## Agent: name` sections of .codex/AGENTS.md", first, Range.of(0, 0))]

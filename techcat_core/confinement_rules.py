"""TC004 unsafe-file and TC206 unsafe-output: what the confinement rule (techcat_core.confine) refused.

TC004 reports the workspace files `load_workspace` would not read (a FIFO, a device, a link out of the
repository, a file over the size cap, a `.codex/` or a folder of it that leads out). TC206 reports a roster
`Output:` that is absolute, escapes the repository, has a `..` part, lies under `.git/` or is the task log:
the runtime never reads it into a prompt and never writes it.
"""

from __future__ import annotations

from techcat_core.confine import is_task_log, normalise, write_problem
from techcat_core.diagnostics import Diagnostic
from techcat_core.handoff import BUILTIN_AGENTS
from techcat_core.positions import LineIndex, Range
from techcat_core.roster import Agent
from techcat_core.workspace import Workspace


def unsafe_output_problem(output: str) -> str | None:
    """Why a roster `Output:` entry can never be written, or None: the runtime's own rule (`write_problem`), so
    `check` says before a run what the run would refuse after a model call."""
    return write_problem(output)


def unsafe_file_rules(ws: Workspace) -> list[Diagnostic]:
    return [Diagnostic.of("TC004", f"{ws.relative(unsafe.path)} {unsafe.reason}; it was not read"
                       + (f" ({unsafe.hint})" if unsafe.hint else ""), unsafe.path, Range.of(0, 0))
            for unsafe in ws.unsafe_files]


def _output_range(ws: Workspace, agent: Agent, output: str) -> Range:
    """Where `output` is written in the agent's section, else the agent's name."""
    text = ws.texts.get(agent.source)
    if text is None:
        return agent.name_range
    index = LineIndex(text)
    start = index.offset(agent.section.start)
    end = index.offset(agent.section.end)
    found = text.find(output, start, max(start, end))
    return index.range(found, found + len(output)) if found >= 0 else agent.name_range


def unsafe_output_rules(ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for agent in ws.agents:
        for output in agent.outputs:
            problem = unsafe_output_problem(output)
            if problem and agent.name in BUILTIN_AGENTS and is_task_log(normalise(output)):
                continue  # the built-in task_logger is the store itself: it appends, no reply writes the log
            if problem:
                out.append(Diagnostic.of(
                    "TC206", f"`{agent.name}`'s Output: `{output}` {problem}; TechCat never reads it into a prompt nor "
                    "writes it: name a path inside the repository, outside .git/",
                    agent.source, _output_range(ws, agent, output)))
    return out


def confinement_rules(ws: Workspace) -> list[Diagnostic]:
    return [*unsafe_file_rules(ws), *unsafe_output_rules(ws)]

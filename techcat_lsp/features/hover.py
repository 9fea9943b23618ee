"""Hover: an output path's first lines, an agent's role and recent tasks, a task's entry."""

from __future__ import annotations

from lsprotocol import types as lsp

from techcat_lsp.analysis import Analysis
from techcat_lsp.guard import guarded
from techcat_lsp.locate import Target, target_at
from techcat_lsp.preview import preview
from techcat_lsp.server import TechcatServer

RECENT_TASKS = 5


def describe_agent(analysis: Analysis, name: str) -> str:
    agent = analysis.agent(name)
    parts: list[str] = []
    if agent is None:
        parts.append(f"**`{name}`** — built-in agent that appends completed tasks to the task log")
    else:
        title = f"**`{agent.name}`**" + (f" — {agent.role}" if agent.role else "")
        parts.append(title)
        if agent.goal:
            parts.append(agent.goal)
        if agent.responsibilities:
            parts.append("**Responsibilities**\n" + "\n".join(f"- {r}" for r in agent.responsibilities))
        extras = []
        if agent.model:
            extras.append(f"**Model:** `{agent.model}`")
        if agent.chains:
            extras.append("**Hands off to:** " + ", ".join(f"`{link.target}`" for link in agent.chains))
        if agent.outputs:
            extras.append("**Writes:** " + ", ".join(f"`{o}`" for o in agent.outputs))
        if extras:
            parts.append("  \n".join(extras))
    recent = analysis.entries_of(name, RECENT_TASKS)
    if recent:
        parts.append("**Recent tasks**\n" + "\n".join(
            f"- `{e.task_id}` {e.date or ''} — {e.summary or ''}" for e in recent))
    else:
        parts.append("*No tasks logged yet.*")
    return "\n\n".join(parts)


def describe_task(analysis: Analysis, task_id: str) -> str:
    entry = analysis.entry(task_id)
    if entry is None:
        return f"**{task_id}** is not in TASK-LOG.json."
    header = f"**{task_id}** · {entry.date or 'no date'} · `{entry.agent or 'no agent'}`"
    files = entry.output_files
    body = [header, entry.summary or "*no summary*"]
    if files:
        body.append("**Files**\n" + "\n".join(f"- `{f}`" for f in files[:20]) +
                    (f"\n- … and {len(files) - 20} more" if len(files) > 20 else ""))
    return "\n\n".join(body)


def describe(analysis: Analysis, target: Target) -> str:
    if target.kind == "agent":
        return describe_agent(analysis, target.name)
    if target.kind == "task":
        return describe_task(analysis, target.name)
    return preview(analysis.ws.root, target.name, analysis.ws.config.limits.max_read_bytes)


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @guarded()
    def hover(ls: TechcatServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found = ls.analysis_for(params.text_document.uri)
        if found is None:
            return None
        analysis, path = found
        encoder = analysis.encoder(path, ls.encoding)
        target = target_at(analysis, path, encoder.core_position(params.position))
        if target is None:
            return None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, describe(analysis, target)),
                         encoder.range(target.range))

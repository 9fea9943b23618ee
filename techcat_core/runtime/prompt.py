"""Assembling a stateless agent's prompt: its persona, the project documents, its memory (recent
task-log entries) and its output files, within a budget sized to the model's context window.

The budget (in tokens as `techcat_core.runtime.tokens` estimates them, never fewer than a real
tokenizer counts) is the context window less a reserve for the reply, which is also sent as
`max_tokens`, so the prompt plus the reply never exceed the window. Required parts (persona,
output contract, task) always go in; then the current output files,
PRD.md and ARCHITECTURE.md (each trimmed to a share of what is left); then task-log entries, newest
first, while they fit. `techcat run --explain` prints the messages and this accounting.

Every file is read through `techcat_core.confine` (inside the repository, regular files only, at most
`[limits] max_read_bytes`); an output path the agent could not write is never read into its prompt.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.confine import Refused, truncation_note, write_problem
from techcat_core.confine import read_text_bounded as _read_bounded
from techcat_core.roster import Agent
from techcat_core.runtime.memory import Memory, memory_of_log
from techcat_core.runtime.tokens import BYTES_PER_TOKEN, estimate_messages, estimate_tokens
from techcat_core.tasklog.ids import task_number
from techcat_core.workspace import Workspace

__all__ = ["Prompt", "agent_targets", "build_prompt", "estimate_tokens", "prompt_budget", "reply_reserve"]

REPLY_RESERVE = 4096
DOC_SHARE = 0.25  # of the remaining budget, for each of PRD and ARCHITECTURE
OUTPUT_SHARE = 0.35  # for the current content of the output files
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\n]{1,80}?)\s*\}\}")


@dataclass
class BudgetLine:
    part: str
    tokens: int
    note: str = ""


@dataclass
class Prompt:
    messages: list[dict[str, str]]
    budget: int
    lines: list[BudgetLine] = field(default_factory=list)
    entries_included: int = 0
    entries_total: int | None = 0  # None: not counted (only --explain counts a large log)
    unfilled: list[str] = field(default_factory=list)

    @property
    def used(self) -> int:
        return sum(line.tokens for line in self.lines)


def _trim(text: str, max_tokens: int) -> tuple[str, bool]:
    max_tokens = max(0, max_tokens)
    if estimate_tokens(text) <= max_tokens:
        return text, False
    cut = text[:int(max_tokens * BYTES_PER_TOKEN)]
    while cut and estimate_tokens(cut) > max_tokens:  # non-ASCII text has more bytes than characters
        cut = cut[:int(len(cut) * 0.9)]
    return cut + "\n[… trimmed to fit the context budget …]", True


def read_part(ws: Workspace, path: Path | str) -> str | None:
    """A prompt part's text, cut at the workspace's read cap with a marker; None when it may not be read."""
    limit = ws.config.limits.max_read_bytes
    try:
        text, truncated = _read_bounded(ws.root, path, limit)
    except (OSError, Refused):
        return None
    return text + "\n" + truncation_note(limit) if truncated else text


def persona(ws: Workspace, agent: Agent) -> str:
    """The agent's own prompt file when it has one, else its roster section."""
    prompt_path = ws.prompts.get(agent.name)
    if prompt_path is not None:
        text = read_part(ws, prompt_path)
        if text is not None:
            return text.strip()
    parts = [f"You are `{agent.name}`."]
    for label, value in (("Role", agent.role), ("Goal", agent.goal), ("Backstory", agent.backstory)):
        if value:
            parts.append(f"{label}: {value}")
    if agent.responsibilities:
        parts.append("Responsibilities:\n" + "\n".join(f"- {r}" for r in agent.responsibilities))
    if not agent.role and not agent.goal and agent.body.strip():
        parts.append(agent.body.strip())
    return "\n".join(parts)


def _memory_note(included: int, memory: Memory) -> str:
    return f"{included} of {memory.total} most recent" if memory.total is not None else f"{included} most recent"


def workspace_memory(ws: Workspace) -> Memory:
    """The memory of a workspace whose log was parsed whole."""
    return memory_of_log(ws.task_log.entries if ws.task_log else [])


def render_task(ws: Workspace, agent: Agent, task: str, today: dt.date,
                memory: Memory | None = None) -> tuple[str, list[str]]:
    """The task through `.codex/templates/task-template.md` when there is one; unknown placeholders are listed."""
    template_path = ws.codex_dir / "templates" / "task-template.md"
    template = read_part(ws, template_path)
    if template is None:
        return task, []
    next_id = (memory or workspace_memory(ws)).next_id
    title = task.strip().splitlines()[0][:80] if task.strip() else agent.name
    known = {
        "AGENT": agent.name, "AGENT_NAME": agent.name, "TASK": task, "TASK_DESCRIPTION": task,
        "DATE": today.isoformat(),
        "TASK_ID": next_id, "TASK_NUMBER": f"{task_number(next_id) or 1:0{len(next_id) - 5}d}", "SHORT_TITLE": title,
        "TITLE": title, "GOAL": task, "GOAL OR DESIRED OUTCOME": task,
    }
    unfilled: list[str] = []

    def fill(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        value = known.get(key.upper())
        if value is None:
            unfilled.append(match.group(0))
            return ""
        return value

    rendered = _PLACEHOLDER.sub(fill, template)
    if task not in rendered:
        rendered = rendered.rstrip() + "\n\n## Task\n\n" + task + "\n"
    return rendered, unfilled


def output_contract(agent: Agent, targets: list[str], multi: bool) -> str:
    if multi:
        allowed = ", ".join(agent.outputs)
        return ("Reply with the complete new content of every file you change, each in a fenced code block whose "
                "info string names its path relative to the repository root, like:\n```python path=src/app.py\n…\n```\n"
                f"You may only write paths matching: {allowed}. Start with one line summarising what you did.")
    return (f"Reply with the complete new content of `{targets[0]}` and nothing else: it is written to that file "
            "as is. Its first line should say what you changed.")


def _entry_line(entry_value: object) -> str:
    return json.dumps(entry_value, ensure_ascii=False)


def reply_reserve(context_window: int) -> int:
    """Tokens kept for the reply, sent as `max_tokens`: 4,096, or a quarter of a window under 16,384."""
    return max(1, min(REPLY_RESERVE, context_window // 4))


def prompt_budget(context_window: int) -> int:
    """Tokens the prompt may use: the window less room for the reply (a quarter of a small window)."""
    return max(1, context_window - reply_reserve(context_window))


def build_prompt(ws: Workspace, agent: Agent, task: str, targets: list[str], multi: bool, context_window: int,
                 today: dt.date | None = None, previous: str | None = None, memory: Memory | None = None) -> Prompt:
    """The messages for one run. `memory` is the log's newest entries (`runtime.memory`); without it, the
    workspace's fully parsed log."""
    today = today or dt.date.today()
    memory = memory or workspace_memory(ws)
    budget = prompt_budget(context_window)
    system_text = persona(ws, agent) + "\n\n" + output_contract(agent, targets, multi)
    user_task, unfilled = render_task(ws, agent, task, today, memory)
    if previous:
        user_task = f"The previous agent in the chain finished with:\n\n{previous}\n\n" + user_task
    prompt = Prompt(messages=[], budget=budget, unfilled=unfilled)
    prompt.lines.append(BudgetLine("persona and output contract", estimate_tokens(system_text)))
    prompt.lines.append(BudgetLine("task", estimate_tokens(user_task)))
    remaining = budget - prompt.used
    context: list[str] = []

    outputs_text = []
    for rel in targets:
        if write_problem(rel):
            continue  # an Output: that is absolute, escapes or lies in .git/ is never read (TC206)
        content = read_part(ws, rel)
        if content is None:
            continue
        outputs_text.append(f"### Current content of `{rel}`\n\n```\n{content}\n```")
    if outputs_text:
        text, trimmed = _trim("\n\n".join(outputs_text), int(remaining * OUTPUT_SHARE))
        context.append(text)
        prompt.lines.append(BudgetLine("current output files", estimate_tokens(text), "trimmed" if trimmed else ""))
        remaining = budget - prompt.used
    for label, doc in (("PRD.md", ws.prd), ("ARCHITECTURE.md", ws.architecture)):
        if doc is None or not doc.text.strip():
            continue
        body = doc.text.strip()
        if len(body) > ws.config.limits.max_read_bytes:
            body = body[:ws.config.limits.max_read_bytes] + "\n" + truncation_note(ws.config.limits.max_read_bytes)
        text, trimmed = _trim(f"### {label}\n\n{body}", int(remaining * DOC_SHARE))
        context.append(text)
        prompt.lines.append(BudgetLine(label, estimate_tokens(text), "trimmed" if trimmed else ""))
        remaining = budget - prompt.used
    prompt.entries_total = memory.total
    lines: list[str] = []
    spent = 0
    for value in reversed(memory.entries):
        line = _entry_line(value)
        cost = estimate_tokens(line) + 1
        if spent + cost > remaining - 16:
            break
        lines.append(line)
        spent += cost
    lines.reverse()
    prompt.entries_included = len(lines)
    if lines:
        context.append("### Recent task log (your memory: what has been done, oldest first)\n\n" + "\n".join(lines))
        prompt.lines.append(BudgetLine("task-log entries", spent, _memory_note(len(lines), memory)))
    memory_at = len(context) - 1 if lines else None
    while True:
        user = "\n\n".join([*context, "### Your task\n\n" + user_task]) if context else user_task
        prompt.messages = [{"role": "system", "content": system_text}, {"role": "user", "content": user}]
        framing = max(0, estimate_messages(prompt.messages) - prompt.used)  # headings, separators, roles
        if prompt.used + framing <= budget or memory_at is None or not lines:
            break
        lines = lines[max(1, len(lines) // 20):]  # the headings did not fit: give up the oldest entries
        context[memory_at] = ("### Recent task log (your memory: what has been done, oldest first)\n\n"
                              + "\n".join(lines))
        prompt.lines[-1] = BudgetLine("task-log entries", sum(estimate_tokens(m) + 1 for m in lines),
                                      _memory_note(len(lines), memory))
        prompt.entries_included = len(lines)
    prompt.lines.append(BudgetLine("headings and message framing", framing))
    return prompt


def agent_targets(agent: Agent) -> tuple[list[str], bool]:
    """The files a run may write: one literal path by default, or globs that allow several files."""
    literal = [o for o in agent.outputs if not any(ch in o for ch in "*?[")]
    globs = [o for o in agent.outputs if o not in literal]
    if globs or len(literal) > 1:
        return literal, True
    if literal:
        return literal, False
    return [f".codex/outputs/{agent.name}.md"], False


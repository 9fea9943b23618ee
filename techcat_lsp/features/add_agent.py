"""`techcat.addAgent`: a quick fix for an agent the roster does not know (TC202, TC301, TC401), as the
message says ("add it to AGENTS.md"). The core's `add_agent` use-case writes the section when AGENTS.md is
not open; when it is, the same section is appended to the buffer, where the user sees it and saves it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from lsprotocol import types as lsp

from techcat_core.usecases.agents import AGENT_NAME, NewAgent, add_agent
from techcat_core.usecases.errors import UseCaseError
from techcat_lsp.command_args import AddAgentArgs
from techcat_lsp.command_support import CommandError, show, workspace_state
from techcat_lsp.convert import uri
from techcat_lsp.features.diagnostics import publisher
from techcat_lsp.server import TechcatServer

UNKNOWN_AGENT_CODES = frozenset({"TC202", "TC301", "TC401"})
_STYLE_ONE = re.compile(r"^#{2,6}\s+agent\s*:", re.IGNORECASE | re.MULTILINE)


def default_role(name: str) -> str:
    return f"Describe what {name} does."


def agent_name(text: str) -> str | None:
    """The agent a diagnostic's range names (`"name"` in the log, `@name` or `name` in Markdown), if it is one."""
    name = text.strip().strip('"`@').strip()
    return name if AGENT_NAME.fullmatch(name) else None


def section_text(buffer: str, name: str, role: str) -> str:
    """What `add_agent` would append to `buffer`: the roster's heading style, a blank line before."""
    heading = f"## Agent: `{name}`" if _STYLE_ONE.search(buffer) or "## " not in buffer else f"## {name}"
    newline = "\r\n" if "\r\n" in buffer else "\n"
    lead = "" if buffer.endswith(newline * 2) else newline if buffer.endswith(newline) else newline * 2
    body = newline.join([heading, "", f"- **Role:** {role}"]) + newline
    return (lead if buffer.strip() else "# Agents" + newline * 2) + body


async def add_agent_command(ls: TechcatServer, args: AddAgentArgs) -> dict[str, Any]:
    state = workspace_state(ls, args.location)
    name = args.name.strip()
    role = (args.role or "").strip() or default_role(name)
    if not AGENT_NAME.fullmatch(name):
        raise CommandError(f"`{name[:80]}` is not an agent name: start with a letter, then letters, digits, `_`, "
                           "`-` or `.`")
    if "\n" in role or "\r" in role or len(role) > 300:
        raise CommandError("the role must be one line of at most 300 characters")
    path = state.codex_dir / "AGENTS.md"
    if name in state.analysis().ws.agent_names:
        raise CommandError(f"agent `{name}` is already in the roster")
    doc = ls.docs.by_path(path)
    if doc is not None:  # open: append to the buffer
        text = doc.text
        added = section_text(text, name, role)
        end = state.analysis().encoder(path, ls.encoding).offset_range(len(text), len(text))
        result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(
            lsp.WorkspaceEdit(changes={uri(path): [lsp.TextEdit(end, added)]}), label=f"Add {name} to the roster"))
        return {"ok": bool(result.applied), "agent": name}
    try:
        agent = await asyncio.to_thread(add_agent, state.codex_dir, NewAgent(name, role))
    except UseCaseError as error:
        raise CommandError(str(error)) from None
    state.changed(path, on_disk=True)
    publisher(ls).schedule()
    if ls.show_document_support:  # where the role is to be described
        start = lsp.Position(agent.name_range.start.line, 0)
        await ls.window_show_document_async(lsp.ShowDocumentParams(uri(path), take_focus=False,
                                                                   selection=lsp.Range(start, start)))
    show(ls, f"Added `{name}` to AGENTS.md; describe its role there")
    return {"ok": True, "agent": name}

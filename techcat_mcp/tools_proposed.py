"""The PROPOSED-TASKS.md tools: list, "what next", propose, and change (queue, unqueue, edit, remove) an item, each
a call into the core's proposed-item use-cases (techcat_core.usecases.proposed_items). One `change_task` instead of
a tool per action: every tool's schema costs each client's context."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.proposed import STATE_DONE, ProposedItem
from techcat_core.usecases import proposed_items as items
from techcat_core.workspace import PROPOSED
from techcat_mcp.locate import WorkspaceLocator, core_errors
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec


def describe(item: ProposedItem) -> dict[str, Any]:
    entry: dict[str, Any] = {"number": item.number, "state": items.STATE_NAMES.get(item.state, item.state),
                             "text": item.text}
    if item.agent:
        entry["agent"] = item.agent
    return entry


def proposed_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    def list_proposed(
        include_done: Annotated[bool, Field(description="Also list done items.")] = False,
    ) -> str:
        """The numbered checklist of .codex/PROPOSED-TASKS.md: proposed [ ] and queued [>] items."""
        ws = locator.load()
        if ws.proposed is None:
            return as_json({"items": [], "note": f"{PROPOSED} does not exist yet; propose_task creates it"})
        shown = [i for i in ws.proposed.items if include_done or i.state != STATE_DONE]
        reply: dict[str, Any] = {"items": [describe(i) for i in shown]}
        hidden = len(ws.proposed.items) - len(shown)
        if hidden:
            reply["done_hidden"] = hidden
        return as_json(reply)

    def next_task() -> str:
        """What to do next: the open PROPOSED-TASKS.md items whose @agent is in the roster, in the file's order."""
        ws = locator.load()
        found = items.what_next(ws)
        reply: dict[str, Any] = {"items": [describe(i) for i in found]}
        if not found:
            waiting = len(items.open_items(ws))
            reply["note"] = (f"{waiting} open item{'s' if waiting != 1 else ''}, but none names a roster agent "
                             "with @name; change_task can assign one") if waiting else \
                "no open items; propose_task adds one"
        return as_json(reply)

    def propose_task(
        title: Annotated[str, Field(description="One line: the work to do.")],
        agent: Annotated[str | None, Field(description="Roster agent to do it.")] = None,
    ) -> str:
        """Add a `- [ ]` item to .codex/PROPOSED-TASKS.md."""
        with core_errors():
            item = items.propose(locator.codex_dir(), title, agent)
        return as_json({"added": describe(item)})

    def change_task(
        number: Annotated[int, Field(description="Item number from list_proposed.", ge=1)],
        action: Literal["queue", "unqueue", "edit", "remove"],
        text: Annotated[str | None, Field(description="edit: the new one-line text.")] = None,
    ) -> str:
        """Change a .codex/PROPOSED-TASKS.md item: queue it [>] for `techcat watch`, unqueue it, edit its text,
        or remove it (later items are renumbered)."""
        codex = locator.codex_dir()
        with core_errors():
            if action == "edit":
                if text is None:
                    raise ToolError("edit needs text: the item's new one-line text")
                item = items.edit(codex, number, text)
            elif text is not None:
                raise ToolError(f"{action} takes no text; only edit does")
            else:
                item = {"queue": items.queue, "unqueue": items.unqueue, "remove": items.remove}[action](codex, number)
        done = {"queue": "queued", "unqueue": "unqueued", "edit": "edited", "remove": "removed"}[action]
        return as_json({done: describe(item)})

    return [ToolSpec(list_proposed), ToolSpec(next_task), ToolSpec(propose_task, writes=True),
            ToolSpec(change_task, writes=True, destructive=True)]

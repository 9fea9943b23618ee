"""The PROPOSED-TASKS.md tools: list the checklist, propose an item, queue one for `techcat watch`."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from techcat_core.proposed import STATE_DONE, STATE_PROPOSED, STATE_QUEUED, ProposedItem
from techcat_core.proposed_edit import add_item, set_item_state
from techcat_core.workspace import PROPOSED
from techcat_mcp.locate import WorkspaceLocator, core_errors
from techcat_mcp.replies import as_json, one_line, require_agent
from techcat_mcp.toolspec import ToolSpec

STATE_NAMES = {STATE_PROPOSED: "proposed", STATE_QUEUED: "queued", STATE_DONE: "done"}


def describe(item: ProposedItem) -> dict[str, Any]:
    entry: dict[str, Any] = {"number": item.number, "state": STATE_NAMES.get(item.state, item.state),
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
        items = [i for i in ws.proposed.items if include_done or i.state != STATE_DONE]
        reply: dict[str, Any] = {"items": [describe(i) for i in items]}
        hidden = len(ws.proposed.items) - len(items)
        if hidden:
            reply["done_hidden"] = hidden
        return as_json(reply)

    def propose_task(
        title: Annotated[str, Field(description="One line: the work to do.")],
        agent: Annotated[str | None, Field(description="Roster agent to do it.")] = None,
    ) -> str:
        """Add a `- [ ]` item to .codex/PROPOSED-TASKS.md."""
        ws = locator.load()
        name = require_agent(ws, agent) if agent and agent.strip() else None
        with core_errors():
            item = add_item(ws.codex_dir, one_line(title, "title"), name)
        return as_json({"added": describe(item)})

    def queue_task(
        number: Annotated[int, Field(description="Item number from list_proposed.", ge=1)],
    ) -> str:
        """Mark a proposed item `[>]` so `techcat watch` runs it with its agent."""
        ws = locator.load()
        item = ws.proposed.item(number) if ws.proposed else None
        if item is None:
            count = len(ws.proposed.items) if ws.proposed else 0
            raise ToolError(f"{PROPOSED} has no item {number} (it has {count}); list_proposed shows them")
        if item.state == STATE_DONE:
            raise ToolError(f"item {number} is already done ({item.text}); propose_task a new one instead")
        if item.state != STATE_QUEUED:
            with core_errors():
                item = set_item_state(ws.codex_dir, number, STATE_QUEUED, expect_text=item.text)
        return as_json({"queued": describe(item)})

    return [ToolSpec(list_proposed), ToolSpec(propose_task, writes=True), ToolSpec(queue_task, writes=True)]

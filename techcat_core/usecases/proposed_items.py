"""The PROPOSED-TASKS.md actions every front end offers: propose, queue, unqueue, tick, edit, remove, and
"what next". Each checks the item it is given is still the one the caller saw (`expect_text`), then changes
only that item's line under the checklist's lock (`techcat_core.proposed_edit`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from techcat_core.proposed import (
    AGENT_MENTION,
    STATE_DONE,
    STATE_PROPOSED,
    STATE_QUEUED,
    ProposedItem,
    parse_proposed,
)
from techcat_core.proposed_edit import (
    ProposedEditError,
    add_item,
    remove_item,
    replace_item_text,
    set_item_state,
)
from techcat_core.usecases.agents import has_roster, known_agent_names, require_agent
from techcat_core.usecases.errors import UseCaseError
from techcat_core.usecases.limits import MAX_LINE
from techcat_core.usecases.loading import placed, roster_workspace
from techcat_core.workspace import PROPOSED, Workspace, read_text

STATE_NAMES = {STATE_PROPOSED: "proposed", STATE_QUEUED: "queued", STATE_DONE: "done"}


def _items(codex_dir: Path) -> list[ProposedItem]:
    path = codex_dir / PROPOSED
    text = read_text(path)
    if text is None:
        raise UseCaseError(f"{path} does not exist; propose a task first (or `techcat init`)")
    return parse_proposed(text, path).items


def require_item(items: list[ProposedItem], number: int) -> ProposedItem:
    if not 1 <= number <= len(items):
        raise UseCaseError(f"PROPOSED-TASKS.md has no item {number} (it has {len(items)})")
    return items[number - 1]


def require_open_item(ws: Workspace, number: int) -> ProposedItem:
    """Item `number`, refused when missing or already done."""
    item = require_item(_items(ws.codex_dir), number)
    if item.state == STATE_DONE:
        raise UseCaseError(f"item {number} is already done: {item.text}")
    return item


def _current(codex_dir: Path, number: int, expect_text: str | None) -> ProposedItem:
    item = require_item(_items(placed(codex_dir)), number)
    if expect_text is not None and item.text != expect_text:
        raise UseCaseError(f"item {number} changed on disk since it was read (it now reads \"{item.text[:80]}\"); "
                           "reload and try again")
    return item


def _edit(action: str, run: Callable[[], ProposedItem]) -> ProposedItem:
    """Run one locked edit; its refusal (the item moved meanwhile) becomes a sentence naming the action."""
    try:
        return run()
    except ProposedEditError as error:
        raise UseCaseError(f"cannot {action}: {error}") from None


def open_items(ws: Workspace) -> list[ProposedItem]:
    """The items not done yet (proposed and queued), in file order."""
    return [item for item in (ws.proposed.items if ws.proposed else []) if item.state != STATE_DONE]


def what_next(ws: Workspace) -> list[ProposedItem]:
    """What to do next: the open items whose `@agent` is a known agent, in file order (queued ones first are
    no more urgent: the file's order is the plan's). An item naming no agent, or one the roster lacks, is left
    out: nobody can run it until it is assigned."""
    known = known_agent_names(ws)
    return [item for item in open_items(ws) if item.agent and (item.agent in known or not has_roster(ws))]


def _title(text: str, what: str = "title") -> str:
    line = text.strip()
    if not line:
        raise UseCaseError(f"the {what} is empty; say in one line what the task is")
    if len(line) > MAX_LINE:
        raise UseCaseError(f"the {what} is {len(line):,} characters long; a checklist item is one line of at most "
                           f"{MAX_LINE}")
    if len(line.splitlines()) > 1:
        raise UseCaseError(f"the {what} has {len(line.splitlines())} lines; a checklist item is one line")
    return line


def _mentions_known(ws: Workspace, text: str, force: bool) -> None:
    for mention in AGENT_MENTION.finditer(text):
        require_agent(ws, mention.group(1), force)


def propose(codex_dir: Path, title: str, agent: str | None = None, *, queued: bool = False,
            force: bool = False) -> ProposedItem:
    """Append `- [ ] @agent title` (`[>]` when `queued`); an agent the roster lacks is refused unless `force`."""
    ws = roster_workspace(placed(codex_dir))
    name = require_agent(ws, agent, force) if agent and agent.strip() else None
    line = _title(title)
    _mentions_known(ws, line, force)
    return _edit("add the item", lambda: add_item(ws.codex_dir, line, name, STATE_QUEUED if queued else STATE_PROPOSED))


def queue(codex_dir: Path, number: int, expect_text: str | None = None) -> ProposedItem:
    """Mark item `number` `[>]` so `techcat watch` runs it; a done item is refused, a queued one left as is."""
    item = _current(codex_dir, number, expect_text)
    if item.state == STATE_DONE:
        raise UseCaseError(f"item {number} is already done ({item.text}); propose a new one instead")
    if item.state == STATE_QUEUED:
        return item
    return _edit(f"queue item {number}", lambda: set_item_state(codex_dir, number, STATE_QUEUED, expect_text=item.text))


def unqueue(codex_dir: Path, number: int, expect_text: str | None = None) -> ProposedItem:
    """Back from `[>]` to `[ ]`; only a queued item can be unqueued."""
    item = _current(codex_dir, number, expect_text)
    if item.state != STATE_QUEUED:
        raise UseCaseError(f"item {number} is {STATE_NAMES.get(item.state, item.state)}, not queued: {item.text}")
    return _edit(f"unqueue item {number}", lambda: set_item_state(codex_dir, number, STATE_PROPOSED,
                                                            expect_text=item.text))


def reopen(codex_dir: Path, number: int, expect_text: str | None = None) -> ProposedItem:
    """Back to `[ ]` from any state (the cited task id stays in the text: the log still holds that entry)."""
    item = _current(codex_dir, number, expect_text)
    if item.state == STATE_PROPOSED:
        return item
    return _edit(f"reopen item {number}", lambda: set_item_state(codex_dir, number, STATE_PROPOSED,
                                                           expect_text=item.text))


def tick(codex_dir: Path, number: int, task_id: str | None = None, expect_text: str | None = None) -> ProposedItem:
    """Mark item `number` done, citing `task_id` (the entry that did it) when given."""
    item = _current(codex_dir, number, expect_text)
    if item.state == STATE_DONE and (task_id is None or task_id in item.text):
        return item
    return _edit(f"tick item {number}", lambda: set_item_state(codex_dir, number, STATE_DONE, task_id,
                                                         expect_text=item.text))


def edit(codex_dir: Path, number: int, text: str, expect_text: str | None = None, *,
         force: bool = False) -> ProposedItem:
    """Replace item `number`'s text; its state stays. A done item is history (its text cites the entry that did
    it), so it is refused; so is an `@agent` the roster lacks, unless `force`."""
    ws = roster_workspace(placed(codex_dir))
    item = _current(ws.codex_dir, number, expect_text)
    if item.state == STATE_DONE:
        raise UseCaseError(f"item {number} is done ({item.text}); propose a new item instead of rewriting it")
    line = _title(text, "new text")
    _mentions_known(ws, line, force)
    if line == item.text:
        return item
    return _edit(f"edit item {number}", lambda: replace_item_text(ws.codex_dir, number, line, expect_text=item.text))


def remove(codex_dir: Path, number: int, expect_text: str | None = None) -> ProposedItem:
    """Delete item `number`'s line; returns it (its text), so a front end can say what went. The items after it
    are renumbered."""
    item = _current(codex_dir, number, expect_text)
    return _edit(f"remove item {number}", lambda: remove_item(codex_dir, number, expect_text=item.text))

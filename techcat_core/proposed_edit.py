"""Changing PROPOSED-TASKS.md: queue, tick, reopen and add items, touching only the line concerned.

Editing the file is the one way every surface queues work (`techcat watch` runs `[>]` items), so
the TUI, the language server, the MCP server and the runtime all come through here.
"""

from __future__ import annotations

import re
from pathlib import Path

from filelock import FileLock

from techcat_core.atomic import write_atomic
from techcat_core.proposed import STATE_DONE, STATE_PROPOSED, STATE_QUEUED, ProposedItem, parse_proposed
from techcat_core.workspace import PROPOSED, read_text

_STATES = (STATE_PROPOSED, STATE_QUEUED, STATE_DONE)


class ProposedEditError(Exception):
    """The item is not there (any more) or the request makes no sense; the message says which."""


def _lock(codex_dir: Path) -> FileLock:
    from techcat_core.tasklog.store import state_dir

    return FileLock(str(state_dir(codex_dir) / "proposed.lock"), timeout=30)


def set_item_state(codex_dir: Path, number: int, state: str, task_id: str | None = None,
                   expect_text: str | None = None) -> ProposedItem:
    """Set item `number` (1-based) to ` `, `>` or `x`; ticking may cite the task id that did it.

    `expect_text` guards against the file having changed since the caller read it: the item's text
    must still be the same, else nothing is written.
    """
    if state not in _STATES:
        raise ProposedEditError(f"unknown state {state!r}; use ' ', '>' or 'x'")
    path = codex_dir / PROPOSED
    with _lock(codex_dir):
        text = read_text(path)
        if text is None:
            raise ProposedEditError(f"{path} does not exist")
        new_text = _with_state(text, path, number, state, task_id, expect_text)
        write_atomic(path, new_text)
        return parse_proposed(new_text, path).items[number - 1]


def _with_state(text: str, path: Path, number: int, state: str, task_id: str | None,
                expect_text: str | None) -> str:
    """`text` with item `number` set to `state` (citing `task_id` when ticked); only that line changes."""
    proposed = parse_proposed(text, path)
    item = proposed.item(number)
    if item is None:
        raise ProposedEditError(f"PROPOSED-TASKS.md has no item {number} (it has {len(proposed.items)})")
    if expect_text is not None and item.text != expect_text:
        raise ProposedEditError(f"item {number} changed on disk since it was read; reload and try again")
    lines = text.splitlines(keepends=True)
    line = lines[item.line]
    col = item.mark_range.start.character
    line = line[:col] + state + line[col + 1:]
    if state == STATE_DONE and task_id and task_id not in item.text:
        body_end = len(line.rstrip("\r\n"))
        line = line[:body_end] + f" ({task_id})" + line[body_end:]
    lines[item.line] = line
    return "".join(lines)


def tick_in_text(text: str, item_text: str, task_id: str, path: Path | str = PROPOSED) -> str | None:
    """`text` (another version of the checklist, such as HEAD's) with the one item reading `item_text` ticked
    as `tick_item` ticks it; None when that version has no such item or has it more than once."""
    same = [item for item in parse_proposed(text, path).items if item.text == item_text]
    if len(same) != 1:
        return None
    return _with_state(text, Path(path), same[0].number, STATE_DONE, task_id, item_text)


def tick_item(codex_dir: Path, number: int, text: str, task_id: str) -> ProposedItem:
    """Tick the item that read `text` when a run started, citing the task id that did it.

    Prefer item `number`; if the checklist was renumbered meanwhile, the one item with that exact text.
    Raises ProposedEditError when it is gone or ambiguous, and then writes nothing.
    """
    text_now = read_text(codex_dir / PROPOSED)
    if text_now is None:
        raise ProposedEditError(f"{codex_dir / PROPOSED} does not exist any more")
    items = parse_proposed(text_now, codex_dir / PROPOSED).items
    if 0 < number <= len(items) and items[number - 1].text == text:
        return set_item_state(codex_dir, number, STATE_DONE, task_id, expect_text=text)
    same = [item for item in items if item.text == text]
    if len(same) != 1:
        why = "is no longer in the checklist" if not same else "now appears more than once"
        raise ProposedEditError(f"the item \"{text[:80]}\" {why}")
    return set_item_state(codex_dir, same[0].number, STATE_DONE, task_id, expect_text=text)


def add_item(codex_dir: Path, title: str, agent: str | None = None, state: str = STATE_PROPOSED) -> ProposedItem:
    """Append `- [ ] @agent title` to the checklist (creating the file if needed)."""
    title = " ".join(title.split())
    if not title:
        raise ProposedEditError("a proposed task needs a title")
    if agent and not re.fullmatch(r"[A-Za-z][\w-]*", agent):
        raise ProposedEditError(f"{agent!r} is not an agent name")
    path = codex_dir / PROPOSED
    with _lock(codex_dir):
        text = read_text(path) or "# Proposed tasks\n\n"
        if text and not text.endswith("\n"):
            text += "\n"
        mention = f"@{agent} " if agent else ""
        text += f"- [{state}] {mention}{title}\n"
        write_atomic(path, text)
        return parse_proposed(text, path).items[-1]


def _item_checked(proposed_text: str, path: Path, number: int, expect_text: str | None) -> ProposedItem:
    proposed = parse_proposed(proposed_text, path)
    item = proposed.item(number)
    if item is None:
        raise ProposedEditError(f"PROPOSED-TASKS.md has no item {number} (it has {len(proposed.items)})")
    if expect_text is not None and item.text != expect_text:
        raise ProposedEditError(f"item {number} changed on disk since it was read; reload and try again")
    return item


def replace_item_text(codex_dir: Path, number: int, new_text: str, expect_text: str | None = None) -> ProposedItem:
    """Replace item `number`'s text (after its `[ ]` mark), keeping its bullet, mark and line ending."""
    path = codex_dir / PROPOSED
    with _lock(codex_dir):
        text = read_text(path)
        if text is None:
            raise ProposedEditError(f"{path} does not exist")
        item = _item_checked(text, path, number, expect_text)
        lines = text.splitlines(keepends=True)
        line = lines[item.line]
        body_end = len(line.rstrip("\r\n"))
        lines[item.line] = line[:item.text_range.start.character] + new_text + line[body_end:]
        new = "".join(lines)
        write_atomic(path, new)
        return parse_proposed(new, path).items[number - 1]


def remove_item(codex_dir: Path, number: int, expect_text: str | None = None) -> ProposedItem:
    """Delete item `number`'s line (only that line; the items after it are renumbered); returns the item removed."""
    path = codex_dir / PROPOSED
    with _lock(codex_dir):
        text = read_text(path)
        if text is None:
            raise ProposedEditError(f"{path} does not exist")
        item = _item_checked(text, path, number, expect_text)
        lines = text.splitlines(keepends=True)
        del lines[item.line]
        write_atomic(path, "".join(lines))
        return item

"""How a merged task log is laid out: ours' own text where it is unchanged, and conflicts between markers.

Kept apart from the merge rules (`merge.py`) so that each reads on its own: the rules decide which
elements the merged array holds, this module turns them into text.
"""

from __future__ import annotations

from dataclasses import dataclass

from techcat_core.tasklog.parse import TaskLog
from techcat_core.tasklog.render import LogStyle, insertion

MARKER = 7  # git's default conflict-marker size


@dataclass(frozen=True, slots=True)
class Conflict:
    """One entry both sides changed differently, or one changed and the other deleted."""

    task_id: str
    ours: str | None  # the entry's text on our side; None when we deleted it
    theirs: str | None

    def describe(self) -> str:
        if self.ours is None:
            return f"{self.task_id} was deleted on this branch and changed on the other"
        if self.theirs is None:
            return f"{self.task_id} was changed on this branch and deleted on the other"
        return f"{self.task_id} was changed differently on both branches"


@dataclass(slots=True)
class MergeItem:
    """One element of the merged array: ours' own text (`index`), a new text, or a conflict."""

    index: int | None = None
    text: str | None = None
    conflict: Conflict | None = None


def entry_text(log: TaskLog, index: int) -> str:
    entry = log.entries[index]
    return log.text[entry.start:entry.end]


def _item_text(ours: TaskLog, item: MergeItem) -> str:
    if item.index is not None:
        return entry_text(ours, item.index)
    assert item.text is not None
    return item.text


def render_merged(ours: TaskLog, items: list[MergeItem], style: LogStyle) -> str:
    """Ours' text with the merged elements: untouched neighbours keep the separator ours had between them."""
    text = ours.text
    if not ours.entries:
        start, end, inserted = insertion(ours, [_item_text(ours, item) for item in items], style)
        return text[:start] + inserted + text[end:]
    if not items:
        assert ours.array_close is not None  # a valid log with entries is a closed array
        return text[:ours.top_level_span[0] + 1] + text[ours.array_close:]
    joiner = "," + style.newline + style.entry_indent
    out = [text[:ours.entries[0].start]]
    for n, item in enumerate(items):
        if n:
            before = items[n - 1].index
            if before is not None and item.index == before + 1:
                out.append(text[ours.entries[before].end:ours.entries[item.index].start])
            else:
                out.append(joiner)
        out.append(_item_text(ours, item))
    out.append(text[ours.entries[-1].end:])
    return "".join(out)


def render_conflicted(ours: TaskLog, items: list[MergeItem], style: LogStyle) -> str:
    """The merged log with each conflict between git-style markers, laid out so that keeping either side
    (or both, or neither) of every conflict, with its marker lines deleted, leaves valid JSON.

    Before the first element that is not a conflict each side carries a trailing comma; after it, a
    leading one (on its own line), since an empty side (a deletion) must take its comma with it.
    """
    nl, indent = style.newline, style.entry_indent
    first_plain = next((n for n, item in enumerate(items) if item.conflict is None), None)
    out = ["[", nl]
    open_line = False  # the last thing written is an element without its line end
    for n, item in enumerate(items):
        trailing = n < len(items) - 1 if first_plain is None else n < first_plain
        leading = first_plain is not None and n > first_plain
        if item.conflict is None:  # the first plain element, or one after it
            out.append(("," + nl if leading else "") + indent + _item_text(ours, item))
            open_line = True
            continue
        if open_line:
            out.append(nl)
        conflict = item.conflict
        ours_mark = f"{'<' * MARKER} ours: {conflict.task_id} on this branch"
        theirs_mark = f"{'>' * MARKER} theirs: {conflict.task_id} on the branch being merged"
        out.append(ours_mark + (" (deleted there)" if conflict.ours is None else "") + nl)
        for side, mark in ((conflict.ours, "=" * MARKER),
                           (conflict.theirs, theirs_mark + (" (deleted there)" if conflict.theirs is None else ""))):
            if side is not None:
                out.append(("," + nl if leading else "") + indent + side + ("," if trailing else "") + nl)
            out.append(mark + nl)
        open_line = False
    out += [nl] if open_line else []
    out.append("]" + (nl if ours.text.endswith(("\n", "\r\n")) or not ours.text else ""))
    return "".join(out)

"""`PROPOSED-TASKS.md`: the checklist of work not yet done, queued, or done citing its task id."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.markdown_doc import parse_markdown
from techcat_core.positions import Range

_ITEM = re.compile(r"^(\s*[-*+]\s+)\[([ >xX])\]\s+(.*)$")
_ODD_ITEM = re.compile(r"^(\s*[-*+]\s+)\[([^\]]{0,3})\](?:\s|$)")
AGENT_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][\w-]*)")
TASK_ID = re.compile(r"\btask-\d+\b")

STATE_PROPOSED = " "
STATE_QUEUED = ">"
STATE_DONE = "x"


@dataclass(slots=True)
class ProposedItem:
    """One checklist item; `number` counts items from 1 in file order (what `run --proposed N` takes)."""

    number: int
    line: int
    state: str
    text: str
    mark_range: Range  # the character between the brackets
    text_range: Range
    agent: str | None = None
    agent_range: Range | None = None
    task_ids: list[tuple[str, Range]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The item's text without the agent mention and the task-id citation."""
        text = AGENT_MENTION.sub("", self.text)
        text = re.sub(r"\(\s*task-\d+\s*\)", "", text)
        return " ".join(text.split())


@dataclass(slots=True)
class OddItem:
    """A line that looks like a checklist item but uses a mark TechCat does not know."""

    line: int
    mark: str
    range: Range


@dataclass(slots=True)
class ProposedTasks:
    path: Path
    text: str
    items: list[ProposedItem] = field(default_factory=list)
    odd_items: list[OddItem] = field(default_factory=list)

    def item(self, number: int) -> ProposedItem | None:
        return self.items[number - 1] if 1 <= number <= len(self.items) else None


def _code_lines(text: str, path: Path | str) -> set[int]:
    """Lines inside fenced or indented code blocks, where checklist syntax means nothing."""
    lines: set[int] = set()
    for token in parse_markdown(text, path).tokens:
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(token.map[0], token.map[1]))
    return lines


def parse_proposed(text: str, path: Path | str) -> ProposedTasks:
    """Parse the checklist; never raises. An empty file is a valid, empty list."""
    result = ProposedTasks(Path(path), text)
    skip = _code_lines(text, path) if "```" in text or "~~~" in text or "\n    " in text else set()
    for line_no, line in enumerate(text.splitlines()):
        if line_no in skip:
            continue
        match = _ITEM.match(line)
        if match is None:
            odd = _ODD_ITEM.match(line)
            if odd and odd.group(2).strip() not in ("", ">", "x", "X"):
                start = len(odd.group(1))
                result.odd_items.append(OddItem(line_no, odd.group(2), Range.of(line_no, start, end=odd.end(2) + 1)))
            continue
        mark_col = len(match.group(1)) + 1
        text_col = match.start(3)
        body = match.group(3)
        item = ProposedItem(
            number=len(result.items) + 1,
            line=line_no,
            state=match.group(2).lower(),
            text=body,
            mark_range=Range.of(line_no, mark_col, end=mark_col + 1),
            text_range=Range.of(line_no, text_col, end=len(line)),
        )
        mention = AGENT_MENTION.search(body)
        if mention:
            item.agent = mention.group(1)
            item.agent_range = Range.of(line_no, text_col + mention.start(1), end=text_col + mention.end(1))
        for task in TASK_ID.finditer(body):
            item.task_ids.append((task.group(0), Range.of(line_no, text_col + task.start(), end=text_col + task.end())))
        result.items.append(item)
    return result

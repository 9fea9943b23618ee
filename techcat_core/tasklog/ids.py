"""Task ids (`task-042`): parsing, formatting and allocating the next free one."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# At most 18 digits: every id is a small int, and converting thousands of digits would hit Python's
# int-conversion limit (a ValueError) or cost quadratic time. A longer id is malformed (TC110).
MAX_ID_DIGITS = 18
TASK_ID = re.compile(rf"^task-([0-9]{{1,{MAX_ID_DIGITS}}})$")
_DIGITS = re.compile(r"([0-9]+)")


def task_number(task_id: str | None) -> int | None:
    if not task_id:
        return None
    match = TASK_ID.match(task_id)
    return int(match.group(1)) if match else None


def id_width(task_ids: Iterable[str | None]) -> int:
    """The zero-padding the log uses most (3 for `task-001`); new ids follow it."""
    widths = Counter(len(m.group(1)) for t in task_ids if t and (m := TASK_ID.match(t)))
    return widths.most_common(1)[0][0] if widths else 3


def format_task_id(number: int, width: int = 3) -> str:
    return f"task-{number:0{width}d}"


def next_task_id(task_ids: Iterable[str | None]) -> str:
    """One past the highest number in use (never a gap: ids follow the order work was done)."""
    ids = list(task_ids)
    numbers = [n for t in ids if (n := task_number(t)) is not None]
    return format_task_id(max(numbers, default=0) + 1, id_width(ids))


def repair_task_id(value: str, width: int) -> str | None:
    """`TASK_12`, `task-12a`, `12` → `task-012` when the intent is plain; else None."""
    digits = _DIGITS.findall(value)
    if len(digits) != 1 or len(digits[0]) > MAX_ID_DIGITS or \
            not re.fullmatch(r"(?i)\s*(task)?[\s_#-]*[0-9]+\s*", value):
        return None
    return format_task_id(int(digits[0]), width)

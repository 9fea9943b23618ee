"""What makes two task-log entries the same entry, and ids compared without turning huge digit runs into ints.

An entry's identity is its content without `task_id`: the merge driver renumbers an incoming entry whose
id is taken, so after one merge the same entry can carry different ids on two branches, and only its
content still says which entry it is (the duplicate check, TC115, uses the same key).
"""

from __future__ import annotations

import json
from typing import Any

from techcat_core.tasklog.ids import TASK_ID

_PLAIN_KEYS = frozenset({"agent", "date", "summary", "output_files"})
SMALL_DIGITS = 18  # ids longer than this are never allocated from (int() of 5,000 digits raises)


def content_key(value: Any) -> object | None:
    """A hashable key equal for two entries exactly when they agree on everything but `task_id`.

    None for a value that cannot be keyed (nested too deep to encode): such an entry is only ever itself.
    """
    if isinstance(value, dict):
        keys = value.keys() - {"task_id"}
        if keys == _PLAIN_KEYS:
            agent, date, summary, files = value["agent"], value["date"], value["summary"], value["output_files"]
            if (isinstance(agent, str) and isinstance(date, str) and isinstance(summary, str)
                    and isinstance(files, list) and all(isinstance(f, str) for f in files)):
                return (agent, date, summary, tuple(files))  # the common shape, without encoding it
        value = {key: item for key, item in value.items() if key != "task_id"}
    try:
        return json.dumps(value, sort_keys=True)
    except (ValueError, TypeError, RecursionError):
        return None


def without_id(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "task_id"} if isinstance(value, dict) else value


def id_digits(task_id: object) -> str | None:
    """The number of a `task-<digits>` id as a digit string without leading zeros (`task-007` → `7`)."""
    if not isinstance(task_id, str):
        return None
    match = TASK_ID.match(task_id)
    if match is None:
        return None
    return match.group(1).lstrip("0") or "0"


def small_number(digits: str | None) -> int | None:
    """The id's number when it is short enough to count from; None for none or for a huge digit run."""
    return int(digits) if digits is not None and len(digits) <= SMALL_DIGITS else None

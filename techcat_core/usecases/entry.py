"""`TaskEntry`: one task-log entry as a typed value instead of `dict[str, Any]`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("task_id", "agent", "date", "summary", "output_files")


@dataclass(frozen=True, slots=True)
class TaskEntry:
    """The five fields every entry has, and any other field it holds, kept as written (`extra`)."""

    task_id: str
    agent: str
    date: str
    summary: str
    output_files: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @classmethod
    def from_value(cls, value: Mapping[str, Any]) -> TaskEntry:
        """From an entry as the store returns it or the log holds it; a missing or odd field reads as empty."""
        files = value.get("output_files")
        return cls(task_id=_text(value.get("task_id")), agent=_text(value.get("agent")),
                   date=_text(value.get("date")), summary=_text(value.get("summary")),
                   output_files=tuple(str(f) for f in files) if isinstance(files, list | tuple) else (),
                   extra={k: v for k, v in value.items() if k not in FIELDS})

    def as_dict(self) -> dict[str, Any]:
        """The JSON object, fields in the log's order, the extra ones after."""
        return {"task_id": self.task_id, "agent": self.agent, "date": self.date, "summary": self.summary,
                "output_files": list(self.output_files), **self.extra}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)

"""The task-log entry as a pydantic model: the JSON Schema editors use, and validation for new entries."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel


def _real_date(value: str) -> str:
    """The pattern admits 2025-13-01; the calendar does not."""
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a date on the calendar") from None
    return value


TaskId = Annotated[str, Field(pattern=r"^task-\d+$", description="Unique id, `task-` and digits, e.g. task-042.",
                              examples=["task-042"])]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Completion date, YYYY-MM-DD.",
                               examples=["2025-06-30"]), AfterValidator(_real_date)]


class TaskEntry(BaseModel):
    """One completed task: what an agent did, when, and which files it wrote."""

    model_config = ConfigDict(extra="forbid", title="Task log entry")

    task_id: TaskId
    agent: Annotated[str, Field(min_length=1, description="The roster agent that did the task.")]
    date: IsoDate
    summary: Annotated[str, Field(min_length=1, description="One line saying what was done.")]
    output_files: Annotated[list[Annotated[str, Field(min_length=1)]],
                            Field(description="Files written, relative to the repository root.")]


class TaskLogModel(RootModel[list[TaskEntry]]):
    """`.codex/TASK-LOG.json`: the append-only history of completed tasks."""

    model_config = ConfigDict(title="TechCat task log")


def task_log_schema() -> dict[str, Any]:
    schema = TaskLogModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://techcat.studio/schemas/task-log.schema.json"
    return schema


def task_log_schema_text() -> str:
    return json.dumps(task_log_schema(), indent=2, ensure_ascii=False) + "\n"

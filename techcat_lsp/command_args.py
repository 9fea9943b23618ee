"""Each command's one JSON-object argument, read into a dataclass before the command runs.

A field of the wrong type or a missing required one is the client's mistake: an `InvalidParams` error that
names the command and the field (`techcat.queueItem: `number` must be a whole number, not '3'`), never a
guess (no "3" read as 3) and never a traceback. Fields the command does not know are ignored, so an older
server accepts a newer client's arguments. JSON names are LSP's camelCase (`proposedItem`, `runId`).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pygls.exceptions import JsonRpcInvalidParams

from techcat_lsp.params import shorten

Args = TypeVar("Args")
MAX_FILES = 10_000  # an entry's output files a command takes at once


@dataclass(frozen=True, slots=True)
class Where:
    """The workspace a command acts on: its `.codex/` folder or any file in it, as a path or a `file:` URI."""

    workspace: str | None = None
    uri: str | None = None

    @property
    def location(self) -> str | None:
        return self.workspace or self.uri


@dataclass(frozen=True, slots=True)
class RunAgentArgs(Where):
    agent: str = ""
    task: str | None = None
    proposed_item: int | None = None
    review: bool | None = None  # true: review this run; else only the agents `[review] agents` names


@dataclass(frozen=True, slots=True)
class CancelRunArgs:
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class QueueItemArgs(Where):
    number: int = 0


@dataclass(frozen=True, slots=True)
class LogFromGitArgs(Where):
    agent: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class FixAllArgs(Where):
    pass


@dataclass(frozen=True, slots=True)
class OpenFilesArgs(Where):
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AddAgentArgs(Where):
    name: str = ""
    role: str | None = None


# Fields a command cannot run without (the dataclasses give every field a default, for a plain constructor).
REQUIRED: dict[type[Any], tuple[str, ...]] = {
    RunAgentArgs: ("agent",), QueueItemArgs: ("number",), FixAllArgs: ("uri",), OpenFilesArgs: ("files",),
    AddAgentArgs: ("name",),
}


def camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda letter: letter.group(1).upper(), name)


def _problem(value: Any, kind: Any) -> str | None:
    """Why `value` is not of `kind` (one of the few types the arguments use), or None when it is."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        return _problem(value, next(o for o in options if o is not type(None)))
    if kind is str:
        return None if isinstance(value, str) else f"must be a string, not {shorten(value)}"
    if kind is bool:
        return None if isinstance(value, bool) else f"must be true or false, not {shorten(value)}"
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return None if -(2**31) <= value < 2**31 else f"must be a whole number below 2³¹, not {shorten(value)}"
        return f"must be a whole number, not {shorten(value)}"
    if typing.get_origin(kind) is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"must be a list of strings, not {shorten(value)}"
        return None if len(value) <= MAX_FILES else f"may hold at most {MAX_FILES:,} paths, not {len(value):,}"
    raise TypeError(f"no check for {kind}")  # a programming error: a field of a type this module does not read


def parse(command: str, kind: type[Args], arguments: tuple[Any, ...] | list[Any]) -> Args:
    """`kind` read from the command's arguments (one object; none, or null, is an empty one)."""
    data = arguments[0] if arguments else None
    if data is None:
        data = {}
    if not isinstance(data, dict) or len(arguments) > 1:
        raise JsonRpcInvalidParams(f"{command} takes one JSON object, not {shorten(list(arguments))}")
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(kind):  # type: ignore[arg-type]
        name = camel(spec.name)
        if name not in data:
            if spec.name in REQUIRED.get(kind, ()):
                raise JsonRpcInvalidParams(f"{command} needs `{name}`")
            continue
        problem = _problem(data[name], hints[spec.name])
        if problem is not None:
            raise JsonRpcInvalidParams(f"{command}: `{name}` {problem}")
        values[spec.name] = data[name]
    for name in REQUIRED.get(kind, ()):
        if values.get(name) in ("", []) and kind is not OpenFilesArgs:
            raise JsonRpcInvalidParams(f"{command}: `{camel(name)}` must not be empty")
    return kind(**values)

"""What the server needs to know about each tool: the function (its docstring is the description the
model reads) and whether it writes, which decides the read-only set and the client-side hints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.types import ToolAnnotations


@dataclass(frozen=True, slots=True)
class ToolSpec:
    fn: Callable[..., Any]
    writes: bool = False
    destructive: bool = False  # only for writes: False means append-only, nothing is overwritten
    open_world: bool = False  # talks to something outside the repository (a model API)

    @property
    def annotations(self) -> ToolAnnotations:
        if not self.writes:
            return ToolAnnotations(read_only_hint=True)
        return ToolAnnotations(read_only_hint=False, destructive_hint=self.destructive,
                               open_world_hint=self.open_world or None)

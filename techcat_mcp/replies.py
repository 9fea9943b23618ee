"""How tool results read to a model: compact JSON. (The rules for arguments — an agent's name, a one-line
summary — are the core's use-cases', techcat_core.usecases.)"""

from __future__ import annotations

import json
from typing import Any


def as_json(value: Any) -> str:
    """One line of JSON: models read it well and it costs fewer tokens than an indented dump."""
    return json.dumps(value, ensure_ascii=False)

"""Smaller input schemas: every client puts each tool's schema into the model's context window.

pydantic writes a `title` for every property and spells an optional parameter as
`anyOf: [{type: X}, {type: null}], default: null`. Neither tells a model anything the property name
and the `required` list do not, so both are dropped from the advertised schema. Argument validation
is unaffected: it uses the pydantic model, not this dictionary.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a JSON Schema without titles and with `X | None = None` written as plain X."""
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            result[key] = {name: compact_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            result[key] = compact_schema(value)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            result[key] = [compact_schema(sub) if isinstance(sub, dict) else sub for sub in value]
        else:
            result[key] = value
    return _unwrap_optional(result)


def _unwrap_optional(schema: dict[str, Any]) -> dict[str, Any]:
    variants = schema.get("anyOf")
    if not isinstance(variants, list) or len(variants) != 2 or _NULL not in variants:
        return schema
    if "default" in schema and schema["default"] is not None:
        return schema
    other = next(v for v in variants if v != _NULL)
    merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    return {**other, **merged}

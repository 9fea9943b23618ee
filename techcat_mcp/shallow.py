"""Reading a JSON-RPC message that a full JSON parse cannot, only far enough to answer it.

A message with an argument nested five thousand levels deep makes every recursive parser give up, and
one cut off half-way is no JSON at all; either way its `id` and `method` usually sit, readable, at the
top. This reader walks the top-level object (and `params`, and `params.arguments`) without recursion,
decodes each value on its own, and marks the values it cannot read with why, so the answer can say
which argument it was.
"""

from __future__ import annotations

import json
import re
from typing import Any

scanstring = json.decoder.scanstring  # type: ignore[attr-defined]  # public since Python 2.6, untyped

_SPACE = re.compile(r"[ \t\r\n]*")
_SCALAR = re.compile(r"[^,\]}\s]*")


class Unreadable:
    """A value that could not be decoded, and why (a phrase: "is nested too deeply to read")."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _skip(text: str, index: int) -> int:
    return _SPACE.match(text, index).end()  # type: ignore[union-attr]  # matches the empty string at least


def _value_end(text: str, index: int) -> int:
    """Where the JSON value starting at `index` ends; brackets are counted, not recursed into."""
    if index >= len(text):
        raise ValueError("a value is missing")
    char = text[index]
    if char == '"':
        return int(scanstring(text, index + 1, False)[1])
    if char not in "[{":
        return _SCALAR.match(text, index).end()  # type: ignore[union-attr]
    depth = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            index = int(scanstring(text, index + 1, False)[1])
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError("the message ends inside a value")


def _decode(text: str, decoder: json.JSONDecoder) -> Any:
    try:
        return decoder.decode(text)
    except RecursionError:
        return Unreadable("is nested too deeply to read (thousands of levels of brackets)")
    except ValueError:
        return Unreadable("is not valid JSON")


def _object(text: str, index: int, into: dict[str, Any], levels: int, decoder: json.JSONDecoder) -> int:
    """Fill `into` with the object's members starting at `index` (a `{`); returns the index after it."""
    index = _skip(text, index + 1)
    if text[index:index + 1] == "}":
        return index + 1
    while True:
        if text[index:index + 1] != '"':
            raise ValueError("expected a member name")
        key, index = scanstring(text, index + 1, False)
        index = _skip(text, index)
        if text[index:index + 1] != ":":
            raise ValueError("expected ':'")
        index = _skip(text, index + 1)
        end = _value_end(text, index)
        if levels > 0 and text[index] == "{":
            inner: dict[str, Any] = {}
            into[key] = inner
            _object(text, index, inner, levels - 1, decoder)
        else:
            into[key] = _decode(text[index:end], decoder)
        index = _skip(text, end)
        if text[index:index + 1] == ",":
            index = _skip(text, index + 1)
            continue
        if text[index:index + 1] == "}":
            return index + 1
        raise ValueError("expected ',' or '}'")


def read_shallow(text: str, decoder: json.JSONDecoder) -> tuple[dict[str, Any] | None, bool]:
    """The message's members (with `params` and `params.arguments` split the same way), and whether the
    whole object was read; None when it does not even start as an object."""
    start = _skip(text, 0)
    if text[start:start + 1] != "{":
        return None, False
    found: dict[str, Any] = {}
    try:
        _object(text, start, found, 2, decoder)
    except (ValueError, IndexError):
        return found, False
    return found, True

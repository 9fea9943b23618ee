"""Reading request parameters strictly, and saying in one sentence what is wrong with them.

lsprotocol rejects a negative or too large position with a message pygls throws away (the client gets
no answer at all), and cattrs quietly turns `1.5` into 1 and `"3"` into 3. A position is a pair of
whole numbers from 0 to 2**31 - 1 (LSP's `uinteger`); anything else is the client's mistake, answered
with an `InvalidParams` error that names the field, never guessed at.
"""

from __future__ import annotations

import re
from typing import Any

import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from lsprotocol import types as lsp
from pygls.protocol import default_converter

UINTEGER_MAX = 2**31 - 1
MAX_REASON = 300  # characters of an error message that may repeat the client's input


class ParamsError(ValueError):
    """A parameter that is not what LSP says it must be; the message is meant for the client."""


def shorten(value: object, limit: int = 40) -> str:
    """A value as an error message may repeat it: short, whatever the client sent."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        text = "a number too long to print"
    return text if len(text) <= limit else text[:limit] + f"…({len(text):,} characters)"


def _uinteger(data: dict[str, Any], field: str) -> int:
    if field not in data:
        raise ParamsError(f"`{field}` is missing")
    value = data[field]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParamsError(f"`{field}` must be a whole number, not {shorten(value)}")
    if not 0 <= value <= UINTEGER_MAX:
        raise ParamsError(f"`{field}` must be from 0 to {UINTEGER_MAX:,}, not {shorten(value)}")
    return value


def _position(data: Any, _: type) -> lsp.Position:
    if not isinstance(data, dict):
        raise ParamsError(f"a position must be an object with `line` and `character`, not {shorten(data)}")
    return lsp.Position(line=_uinteger(data, "line"), character=_uinteger(data, "character"))


def strict_converter() -> cattrs.Converter:
    """pygls's converter, with positions checked as LSP defines them."""
    converter: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook(lsp.Position, _position)
    return converter


def _format(error: BaseException, expected: type | None) -> str:
    if isinstance(error, ParamsError):
        return str(error)
    if isinstance(error, KeyError):
        return "a required field is missing"
    if isinstance(error, ValueError | TypeError):
        name = getattr(expected, "__name__", None) or str(expected)
        return f"not a valid {name}" if expected is not None else "not a valid value"
    return type(error).__name__


def describe(error: BaseException) -> str:
    """What cattrs found wrong, as `where: what` sentences (at most three), for an error response."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        try:
            found = cattrs.transform_error(error, path="$", format_exception=_format)
        except Exception:  # describing must never be the thing that fails
            found = [str(error)]
        reasons = [_where(reason) for reason in found]
    else:
        reasons = [str(error) or type(error).__name__]
    text = "; ".join(reasons[:3]) + (f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else "")
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + "…"


def _where(reason: str) -> str:
    """cattrs says `what @ $.params.position`; a client reads `params.position: what` more easily."""
    what, at, path = reason.rpartition(" @ ")
    if not at:
        return reason
    path = re.sub(r"_([a-z])", lambda letter: letter.group(1).upper(), path.removeprefix("$."))  # LSP's names
    return f"{path}: {what}"

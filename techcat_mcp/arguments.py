"""Tool arguments the core cannot take, refused in one sentence before any tool runs; and error messages
that never repeat a long argument back.

Every argument ends up in UTF-8 text — a log entry, a path, a prompt, a JSON reply — so a NUL, a lone
surrogate (a `\\ud800` escape with no partner) or a megabyte-long string is the caller's mistake, said
with the argument's name and where in it the problem is. A tool that refuses a long value by quoting
it would send the megabyte back, so every message is trimmed: each long argument it repeats is cut to
a few hundred characters with an ellipsis, and the message as a whole is capped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MAX_ARGUMENT_CHARS = 100_000  # one string argument; a log summary is one line, a run's task a few paragraphs
MAX_ECHO = 200  # characters of an argument a message may repeat
MAX_MESSAGE = 2_000  # characters of any error message


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """`text` cut to `limit` characters with an ellipsis saying how long it was; NULs and surrogates escaped."""
    shown = "".join(_visible(char) for char in text[:limit])
    return shown if len(text) <= limit else f"{shown}…({len(text):,} characters)"


def _visible(char: str) -> str:
    if char == "\0" or "\ud800" <= char <= "\udfff":
        return f"\\u{ord(char):04x}"
    return char


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in an argument (keys too), with where it is: `output_files[2]`, `options.key`."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if isinstance(key, str) else f"{where}[{key!r}]"
            if isinstance(key, str):
                yield f"{where} (a key)", key
            yield from _strings(item, inner)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def argument_problem(arguments: dict[str, Any], limit_size: bool = True) -> str | None:
    """Why these arguments cannot be used, in one sentence naming the argument; None when they can.

    Without `limit_size` a long value is left to the tool (a read-only tool just finds nothing, or says
    why in its own words, which `trim_message` then shortens).
    """
    for name, value in arguments.items():
        if isinstance(name, str) and (problem := text_problem(name)) is not None:
            return f"the argument name `{shorten(name, 80)}` {problem}"
        for where, text in _strings(value, str(name)):
            problem = text_problem(text, limit_size)
            if problem is not None:
                return f"argument `{shorten(where, 80)}` {problem}"
    return None


def text_problem(text: str, limit_size: bool = True) -> str | None:
    """What keeps one string out of UTF-8 text, said so that the caller can fix it; None if nothing."""
    if limit_size and len(text) > MAX_ARGUMENT_CHARS:
        return (f"is {len(text):,} characters long, more than the {MAX_ARGUMENT_CHARS:,} a tool takes; "
                "pass a shorter value (name a file instead of pasting it)")
    nul = text.find("\0")
    if nul >= 0:
        return f"contains a NUL character (at character {nul + 1:,}), which no text or file name may hold"
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return (f"contains a lone surrogate (\\u{ord(char):04x} at character {index + 1:,}), which is not a "
                    "character and cannot be written as UTF-8; send the character itself or a complete pair")
    return None


def trim_message(message: str, arguments: dict[str, Any]) -> str:
    """An error message with each long argument it repeats (as is, quoted or as JSON) cut short, then capped."""
    long_values = sorted({text for _, text in _arguments_text(arguments) if len(text) > MAX_ECHO}, key=len,
                         reverse=True)
    for text in long_values:
        short = shorten(text)
        for form, replacement in ((repr(text), repr(short)), (json.dumps(text), json.dumps(short)), (text, short)):
            if len(form) > MAX_ECHO and form in message:
                message = message.replace(form, replacement)
    if len(message) > MAX_MESSAGE:
        message = f"{message[:MAX_MESSAGE]}…(message cut at {MAX_MESSAGE:,} of {len(message):,} characters)"
    return message


def _arguments_text(arguments: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in arguments.items():
        if isinstance(name, str):
            yield "", name
        yield from _strings(value, str(name))

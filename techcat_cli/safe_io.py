"""What the command line says when it cannot do its job: arguments it refuses, and errors as text or JSON.

Exit codes mean one thing each (see `common.py`), and `--format json` keeps its promise of JSON on
stdout even when the answer is an error, so a script never has to parse a traceback.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import sys
from collections.abc import Sequence

from techcat_cli.common import EXIT_INTERNAL, EXIT_USAGE

MAX_ECHO = 200  # characters of a user's argument repeated in a message


def reconfigure_streams() -> None:
    """A character stdout cannot encode (a lone surrogate, non-UTF-8 consoles) is escaped, never fatal."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):  # closed or detached: nothing to protect
                stream.reconfigure(errors="backslashreplace")


def shorten(text: str, limit: int = MAX_ECHO) -> str:
    """An argument as it may be echoed: printable, at most `limit` characters, with an ellipsis."""
    shown = "".join(_visible(char) for char in text[:limit])
    return shown if len(text) <= limit else shown + f"… ({len(text):,} characters)"


def _visible(char: str) -> str:
    """A byte Python could not decode (`\\udcff`) as the byte it was (`\\xff`); NUL and other surrogates escaped."""
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xDC00:02x}"
    if "\ud800" <= char <= "\udfff" or char == "\0":
        return f"\\u{ord(char):04x}"
    return char


def argv_problem(argv: Sequence[str]) -> str | None:
    """Why an argument cannot be used, as one sentence; None when all are usable.

    Python hands bytes that are not UTF-8 to the program as lone surrogates (PEP 383). Every argument
    ends up in UTF-8 text — a log entry, a prompt, a JSON report — so such bytes are refused up front,
    where the user can still see which argument held them.
    """
    for number, arg in enumerate(argv, 1):
        if "\0" in arg:
            return f"argument {number} (`{shorten(arg)}`) contains a NUL character, which no file name or text may hold"
        bad = next((i for i, char in enumerate(arg) if "\ud800" <= char <= "\udfff"), None)
        if bad is not None:
            char = arg[bad]
            byte = f"byte 0x{ord(char) - 0xDC00:02x}" if "\udc80" <= char <= "\udcff" else f"`\\u{ord(char):04x}`"
            return (f"argument {number} (`{shorten(arg)}`) is not valid UTF-8 ({byte} at character {bad + 1}); "
                    "TechCat keeps all text as UTF-8, so pass it in a UTF-8 locale or rename the file")
    return None


def wants_json(argv: Sequence[str]) -> bool:
    """`--format json` anywhere on the command line (also when the rest of it cannot be parsed)."""
    args = list(argv)
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in itertools.pairwise(args))


def error_json(kind: str, message: str) -> str:
    """The JSON report of a run that could not check: same schema version, an `error` instead of diagnostics."""
    from techcat_cli.render import JSON_SCHEMA_VERSION, json_text

    exit_code = EXIT_INTERNAL if kind == "internal" else EXIT_USAGE
    return json_text({"schemaVersion": JSON_SCHEMA_VERSION,
                      "error": {"kind": kind, "message": message, "exitCode": exit_code}})


def internal_error_message(error: BaseException) -> str:
    detail = shorten(f"{type(error).__name__}: {error}", 300)
    return f"internal error, please report it with the command you ran ({detail})"

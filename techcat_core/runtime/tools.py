"""The built-in runtime's tools: their JSON-schema definitions and what running one does (issue 13 §1).

Everything a model sends is untrusted: arguments that are not JSON, of the wrong type, huge, or for a tool
that does not exist get an error result the model can read and correct, never an exception. Every result
is capped (`MAX_RESULT_BYTES`) and has the API key redacted. A write the confinement rule refuses is marked
`refused_write`: the loop ends the run on it (nothing lands), where a refused read is only an error result.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex

from techcat_core.atomic import WriteRefused
from techcat_core.confine import Refused, glob_match, shown_path
from techcat_core.runtime.settings import ProviderSettings
from techcat_core.runtime.tool_host import MAX_FILE_BYTES, ToolHost

MAX_RESULT_BYTES = 32 * 1024  # of one tool result, as the model reads it
MAX_ARGUMENT_BYTES = 8 * 1024 * 1024  # of one call's JSON arguments
MAX_LISTED = 500
MAX_MATCHES = 100
MAX_PATTERN_CHARS = 2_000  # of a regular expression or a glob
MAX_GLOBS = 50
MAX_REPEAT = 1_000  # of one counted repetition, x{n} or x{n,m}
MAX_REPEAT_PRODUCT = 100_000  # of all of a pattern's counts together (nested ones multiply)
_COUNTED = re.compile(r"\{(\d*)(?:,(\d*))?\}")  # {n}, {n,}, {n,m} and the regex module's {,m}
MAX_LINE_CHARS = 300  # of one search match
MAX_SEARCH_FILE_BYTES = 1024 * 1024  # larger files are not searched
_SURROGATE = re.compile("[\ud800-\udfff]")
READ_TOOL, WRITE_TOOL, EDIT_TOOL, LIST_TOOL, SEARCH_TOOL, COMMAND_TOOL = (
    "read_file", "write_file", "edit_file", "list_files", "search", "run_command")


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """One call's result: `content` goes back to the model, `summary` is the one line every front end shows."""

    ok: bool
    summary: str
    content: str
    refused_write: bool = False


class _BadArguments(Exception):
    """The call's arguments are unusable; the message says which one and why."""


def _function(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": required}}}


def definitions(outputs: list[str], commands: list[str]) -> list[dict[str, Any]]:
    """The `tools` field of a chat-completions request for an agent with these outputs and named commands.

    Kept short: they go with every request, and a local model's window is often 4,096 tokens."""
    lane = ", ".join(outputs) or "none"
    text, path = {"type": "string"}, {"type": "string", "description": "relative to the repository's top"}
    line = {"type": "integer", "minimum": 1}
    tools = [
        _function(LIST_TOOL, f"List files matching a glob (`**` any folders, `*` one name); at most {MAX_LISTED}.",
                  {"pattern": {"type": "string", "description": "e.g. `src/**/*.py`"}}, []),
        _function(READ_TOOL, "Read a text file, or lines start_line to end_line (from 1).",
                  {"path": path, "start_line": line, "end_line": line}, ["path"]),
        _function(SEARCH_TOOL, "Search text files line by line for a Python regular expression; answers "
                  "path:line: text.", {"pattern": text, "globs": {"type": "array", "items": text},
                                        "ignore_case": {"type": "boolean"}}, ["pattern"]),
        _function(WRITE_TOOL, f"Create or replace a whole file; only these paths: {lane}.",
                  {"path": path, "content": text}, ["path", "content"]),
        _function(EDIT_TOOL, f"Replace old_text, which must occur exactly once, by new_text; only these paths: {lane}.",
                  {"path": path, "old_text": text, "new_text": text}, ["path", "old_text", "new_text"]),
    ]
    if commands:
        tools.append(_function(COMMAND_TOOL, "Run a named project command; answers its exit code and output.",
                               {"name": {"type": "string", "enum": sorted(commands)}}, ["name"]))
    return tools


def settings_commands(settings: ProviderSettings) -> list[str]:
    return [spec.name for spec in settings.tool_commands]


# -- arguments ------------------------------------------------------------------------------------------------

def parse_arguments(text: str) -> dict[str, Any]:
    """The call's JSON arguments as an object; `_BadArguments` for anything else."""
    if len(text) > MAX_ARGUMENT_BYTES:
        raise _BadArguments(f"the arguments are {len(text):,} characters, over the {MAX_ARGUMENT_BYTES:,} limit")
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except RecursionError:
        raise _BadArguments("the arguments nest too deeply to read") from None
    except ValueError as error:
        raise _BadArguments(f"the arguments are not valid JSON ({str(error)[:120]})") from None
    if not isinstance(value, dict):
        raise _BadArguments(f"the arguments must be a JSON object, not {type(value).__name__}")
    return value


def _text(args: dict[str, Any], key: str, required: bool = True, default: str = "") -> str:
    value = args.get(key)
    if value is None:
        if required:
            raise _BadArguments(f"`{key}` is required")
        return default
    if not isinstance(value, str):
        raise _BadArguments(f"`{key}` must be a string, not {_kind(value)}")
    return value


def _number(args: dict[str, Any], key: str) -> int | None:
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadArguments(f"`{key}` must be a whole number, not {_kind(value)}")
    if value < 1:
        raise _BadArguments(f"`{key}` must be 1 or more (lines count from 1)")
    return value


def _kind(value: object) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)


def _bytes_of(text: str) -> bytes:
    """UTF-8 of a model's text; a lone surrogate from a `\\ud800` escape becomes U+FFFD."""
    return (text if text.isascii() else _SURROGATE.sub("\ufffd", text)).encode("utf-8")


def _capped(text: str, limit: int = MAX_RESULT_BYTES) -> str:
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore") + f"\n[… cut at {limit:,} bytes …]"


# -- the tools ------------------------------------------------------------------------------------------------

def _list(host: ToolHost, args: dict[str, Any]) -> ToolOutcome:
    pattern = _text(args, "pattern", required=False, default="**") or "**"
    if len(pattern) > MAX_PATTERN_CHARS:
        raise _BadArguments(f"the pattern is {len(pattern):,} characters, over the {MAX_PATTERN_CHARS:,} limit")
    files, more = host.listing(pattern, MAX_LISTED)
    note = f"\n[… more files match; narrow the pattern (at most {MAX_LISTED} are listed) …]" if more else ""
    body = "\n".join(map(shown_path, files)) if files else f"(no files match {shown_path(pattern)})"
    return ToolOutcome(True, f"listed {len(files)}{'+' if more else ''} file(s) matching {pattern}", body + note)


def _read(host: ToolHost, args: dict[str, Any]) -> ToolOutcome:
    path = _text(args, "path")
    start, end = _number(args, "start_line"), _number(args, "end_line")
    if start is not None and end is not None and end < start:
        raise _BadArguments(f"`end_line` ({end}) comes before `start_line` ({start})")
    read = host.read(path, MAX_FILE_BYTES)
    if b"\0" in read.data[:8192]:
        return ToolOutcome(True, f"read {shown_path(path)}: a binary file",
                           f"{shown_path(path)} is a binary file ({read.size:,} bytes); it is not shown")
    lines = read.text().splitlines(keepends=True)
    first = start or 1
    last = min(end or len(lines), len(lines))
    chosen = "".join(lines[first - 1:last]) if first <= len(lines) else ""
    content = _capped(chosen)
    notes = []
    if read.truncated:
        notes.append(f"[the file is {read.size:,} bytes; only its first {MAX_FILE_BYTES:,} were read]")
    if start is not None or end is not None:
        notes.append(f"[lines {first}-{last} of {len(lines)}]" if first <= len(lines)
                     else f"[the file has only {len(lines)} lines]")
    shown = f"lines {first}-{last}" if start is not None or end is not None else f"{len(lines)} lines"
    return ToolOutcome(True, f"read {shown_path(path)}, {shown}", content + ("\n" + "\n".join(notes) if notes else ""))


def _write(host: ToolHost, args: dict[str, Any]) -> ToolOutcome:
    path, content = _text(args, "path"), _text(args, "content")
    data = _bytes_of(content)
    written = host.write(path, data)
    return ToolOutcome(True, f"wrote {shown_path(written)} ({len(data):,} bytes)",
                       f"wrote {written} ({len(data):,} bytes); it lands when the run succeeds")


def _edit(host: ToolHost, args: dict[str, Any]) -> ToolOutcome:
    path = _text(args, "path")
    old, new = (_bytes_of(_text(args, key)).decode("utf-8") for key in ("old_text", "new_text"))
    if not old:
        raise _BadArguments("`old_text` is empty; to write a whole file use write_file")
    try:
        read = host.read(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise _BadArguments(f"{shown_path(path)} does not exist; create it with write_file") from None
    if read.truncated:
        raise _BadArguments(f"{shown_path(path)} is over {MAX_FILE_BYTES:,} bytes, too large to edit")
    text = read.data.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8 are kept as they were
    count = text.count(old)
    if count != 1:
        where = "does not occur" if count == 0 else f"occurs {count} times"
        raise _BadArguments(f"`old_text` {where} in {shown_path(path)}; it must occur exactly once (include more "
                            "of the surrounding lines to make it unique)")
    written = host.write(path, text.replace(old, new, 1).encode("utf-8", "surrogateescape"))
    return ToolOutcome(True, f"edited {shown_path(written)} (1 replacement)",
                       f"edited {written}: replaced 1 occurrence; it lands when the run succeeds")


def _search(host: ToolHost, args: dict[str, Any]) -> ToolOutcome:
    pattern = _text(args, "pattern")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise _BadArguments(f"the pattern is {len(pattern):,} characters, over the {MAX_PATTERN_CHARS:,} limit")
    globs = args.get("globs") or []
    if isinstance(globs, str):
        globs = [globs]
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        raise _BadArguments("`globs` must be an array of strings")
    if len(globs) > MAX_GLOBS or any(len(g) > MAX_PATTERN_CHARS for g in globs):
        raise _BadArguments(f"`globs` may hold at most {MAX_GLOBS} globs of at most {MAX_PATTERN_CHARS:,} characters")
    ignore_case = args.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        raise _BadArguments(f"`ignore_case` must be a boolean, not {_kind(ignore_case)}")
    too_big = _repeats_problem(pattern)
    if too_big:
        raise _BadArguments(too_big)
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, ValueError, OverflowError, RecursionError) as error:
        raise _BadArguments(f"the pattern is not a valid regular expression: {str(error)[:200]}") from None
    stop = time.monotonic() + host.search_seconds
    matches: list[str] = []
    searched = 0
    stopped = ""
    for path in host.files():
        if globs and not any(glob_match(g, path) for g in globs):
            continue
        try:
            read = host.read(path, MAX_SEARCH_FILE_BYTES)
        except (OSError, Refused):
            continue
        if read.truncated or b"\0" in read.data[:8192]:
            continue
        searched += 1
        for number, line in enumerate(read.text().splitlines(), 1):
            remaining = stop - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                found = compiled.search(line, timeout=remaining, concurrent=True)
            except TimeoutError:
                stopped = (f"[stopped after {host.search_seconds:g} s: the pattern is too slow (nested repetition "
                           "such as (a+)+ backtracks without end); simplify it]")
                break
            if found is not None:
                matches.append(f"{shown_path(path)}:{number}: {line[:MAX_LINE_CHARS]}")
                if len(matches) >= MAX_MATCHES:
                    stopped = f"[stopped at {MAX_MATCHES} matches; narrow the pattern or the globs]"
                    break
        if stopped:
            break
    body = "\n".join(matches) if matches else f"(no match in {searched} file(s))"
    summary = f"searched /{pattern[:80]}/ in {searched} file(s): {len(matches)} match(es)"
    if stopped.startswith("[stopped after"):
        return ToolOutcome(False, f"search /{pattern[:80]}/ stopped: too slow", _capped(body + "\n" + stopped))
    return ToolOutcome(True, summary, _capped(body + ("\n" + stopped if stopped else "")))


def _count(digits: str) -> int:
    if not digits:
        return 0
    return int(digits) if len(digits) <= 7 else 10 ** 7  # (a 2,000-digit count is just "too many")


def _repeats_problem(pattern: str) -> str | None:
    """Why the pattern's counted repetitions (`x{1000000}`, `(a{100}){100}`) would take too long to compile: the
    regex engine expands them when it compiles, which no timeout interrupts (the search's timeout comes later)."""
    counts = [max(_count(low), _count(high)) for low, high in _COUNTED.findall(pattern)]
    product = 1
    for count in counts:
        if count > MAX_REPEAT:
            return (f"the pattern repeats something {count:,} times; counts above {MAX_REPEAT:,} are refused (they "
                    "take too long to compile); use + or * instead")
        product *= max(1, count)
    if product > MAX_REPEAT_PRODUCT:
        return (f"the pattern's counted repetitions multiply to {product:,}; above {MAX_REPEAT_PRODUCT:,} they take "
                "too long to compile; use + or * instead")
    return None


async def _command(host: ToolHost, args: dict[str, Any], cancel: asyncio.Event | None) -> ToolOutcome:
    name = _text(args, "name")
    if name not in host.commands:
        known = ", ".join(sorted(host.commands)) or "none are configured"
        raise _BadArguments(f"there is no command named {name[:64]!r} (known: {known})")
    try:
        outcome = await host.run_command(name, cancel)
    except OSError as error:  # the program is missing or not executable: the project's config, said plainly
        program = shown_path(host.commands[name].argv[0])
        return ToolOutcome(False, f"`{name}` could not start: {program}: {error.strerror or error}",
                           f"`{name}` could not start: {program}: {error.strerror or error} (the command is set in "
                           "[tools.commands] of .codex/techcat.toml)")
    if outcome.timed_out:
        head = f"`{name}` was stopped after {host.commands[name].timeout:g} s (its timeout) and killed"
    else:
        head = f"`{name}` exited with code {outcome.exit_code} after {outcome.seconds:.1f} s"
    staged = "" if host.write_through else ("\n[note: the run works in place, so your staged writes are not on disk "
                                            "yet; the command saw the files as they were]")
    return ToolOutcome(not outcome.timed_out and outcome.exit_code == 0, head,
                       _capped(head + "\n" + outcome.output + staged))


_SYNC: dict[str, Callable[[ToolHost, dict[str, Any]], ToolOutcome]] = {
    LIST_TOOL: _list, READ_TOOL: _read, WRITE_TOOL: _write, EDIT_TOOL: _edit, SEARCH_TOOL: _search}
_WRITES = (WRITE_TOOL, EDIT_TOOL)


async def execute(host: ToolHost, name: str, arguments: str, cancel: asyncio.Event | None = None) -> ToolOutcome:
    """Run one call; every failure is an error result (`ok=False`) in one sentence, never an exception."""
    outcome = await _execute(host, name, arguments, cancel)
    summary, content = _sendable(outcome.summary), _sendable(outcome.content)
    for secret in host.secrets:
        summary, content = summary.replace(secret, "***"), content.replace(secret, "***")
    return ToolOutcome(outcome.ok, summary, content, outcome.refused_write)


def _sendable(text: str) -> str:
    """Text any server can take: a lone surrogate (a file name that is not UTF-8, a model's `\\ud800`) is U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


async def _execute(host: ToolHost, name: str, arguments: str, cancel: asyncio.Event | None) -> ToolOutcome:
    known = [*_SYNC, *([COMMAND_TOOL] if host.commands else [])]
    if name not in known:
        shown = name[:64].encode("unicode_escape").decode("ascii")
        return _error(f"there is no tool named {shown!r}; the tools are {', '.join(known)}")
    try:
        args = parse_arguments(arguments)
        if name == COMMAND_TOOL:
            return await _command(host, args, cancel)
        return await asyncio.to_thread(_SYNC[name], host, args)
    except _BadArguments as error:
        return _error(f"{name}: {error}")
    except (Refused, WriteRefused) as error:
        if name in _WRITES:
            return ToolOutcome(False, f"refused: {error}", f"refused: {error}. The run ends here and nothing it "
                               "wrote lands.", refused_write=True)
        return _error(f"refused: {error}")
    except FileNotFoundError:
        return _error(f"{name}: {shown_path(str(arguments_path(arguments)))} does not exist")
    except IsADirectoryError:
        return _error(f"{name}: {shown_path(str(arguments_path(arguments)))} is a folder; use list_files")
    except OSError as error:  # an unwritable file, a full disk: the model reads it, the run goes on
        return _error(f"{name}: {error.strerror or error}")


def arguments_path(arguments: str) -> str:
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):
        return "the file"
    path = value.get("path") if isinstance(value, dict) else None
    return path if isinstance(path, str) else "the file"


def _error(message: str) -> ToolOutcome:
    return ToolOutcome(False, message[:300], message)

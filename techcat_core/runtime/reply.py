"""Reading a model's reply as files: `<think>` blocks dropped, fences parsed as CommonMark does.

Models wrap what they write in prose ("Here is the updated file:" … "Let me know if…") and in code
fences, and Markdown files hold code fences of their own. So fences are found with markdown-it-py
(a closing fence is bare and at least as long as its opening, an info string opens), and a Markdown
file's block that a model fenced with the same three backticks as its inner blocks runs to the bare
fence that balances them rather than being cut at the first inner one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_THINK_BLOCK = re.compile(r"\A\s*<(think|thinking|reasoning)>.*?</\1>\s*", re.DOTALL | re.IGNORECASE)
_THINK_UNOPENED = re.compile(r"\A(?:(?!<think>).)*?</think>\s*", re.DOTALL | re.IGNORECASE)
_FENCE_LINE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_PATH_ATTR = re.compile(r"(?:^|\s)(?:path|file|filename|title)=[\"']?([^\s\"']+)")
_BARE_PATH = re.compile(r"^[\w.-]*[\w-]+(?:/[\w.\-\[\]@+]+)+$|^[\w-]+\.[\w]+$")
_FILE_LINE = re.compile(r"^(?:#+\s*|\*\*)?(?:file|path)\s*:\s*`?([^`*\s]+)`?\**\s*:?\s*$", re.IGNORECASE)
_MARKDOWN_INFO = frozenset({"", "md", "markdown", "gfm", "mdx", "text"})
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
PREAMBLE_LINES = 3
NOTE_LINES = 6
NOTE_CHARS = 600


def strip_thinking(reply: str) -> str:
    """The reply without the reasoning a model put before it (`<think>…</think>`, or a lone `</think>`)."""
    while True:
        match = _THINK_BLOCK.match(reply)
        if match is None:
            break
        reply = reply[match.end():]
    if "</think>" in reply[:200_000].lower():
        match = _THINK_UNOPENED.match(reply)  # the chat template opened the block in the prompt
        if match is not None and "<think>" not in match.group(0).lower():
            reply = reply[match.end():]
    return reply


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")  # fences are block tokens; inline is quadratic in `[`


def _fences(text: str) -> list[Any]:
    return [t for t in _parser().parse(text) if t.type == "fence" and t.map]


def _fence_parts(line: str) -> tuple[str, int, str] | None:
    """(fence character, length, info) when `line` is a fence line."""
    match = _FENCE_LINE.match(line)
    if match is None:
        return None
    run, info = match.group(2), match.group(3).strip()
    if run[0] == "`" and "`" in info:
        return None  # a backtick fence's info may not hold backticks (CommonMark)
    return run[0], len(run), info


def _is_bare_close(line: str, char: str, length: int) -> bool:
    parts = _fence_parts(line)
    return parts is not None and parts[0] == char and parts[1] >= length and not parts[2]


def _balanced_end(lines: list[str], start: int, char: str, length: int) -> int | None:
    """The line that closes the fence opened at `start`, counting inner fences that open with an info string
    and close bare (how models nest same-length fences in a Markdown file); None when it never closes."""
    depth = 0
    for index in range(start + 1, len(lines)):
        parts = _fence_parts(lines[index])
        if parts is None or parts[0] != char:
            continue
        if parts[2]:
            depth += 1
        elif parts[1] >= length:
            if depth == 0:
                return index
            depth -= 1
    return None


def _is_markdown(path: str) -> bool:
    return path.lower().endswith(_MARKDOWN_SUFFIXES)


def _dedent(lines: list[str], indent: int) -> list[str]:
    if not indent:
        return lines
    return [line[min(indent, len(line) - len(line.lstrip(" "))):] for line in lines]


def _path_of(info: str, pending: str | None) -> str | None:
    attr = _PATH_ATTR.search(info)
    if attr:
        return attr.group(1)
    for word in info.split():
        if _BARE_PATH.match(word) and ("/" in word or "." in word):
            return word
    return pending


def fenced_files(reply: str) -> list[tuple[str, str]]:
    """(path, content) for each fenced block that names its path (in its info string or on a `File:` line
    just before it), in order."""
    lines = strip_thinking(reply).splitlines()
    files: list[tuple[str, str]] = []
    offset = 0
    while offset < len(lines):
        fences = _fences("\n".join(lines[offset:]))
        if not fences:
            break
        token = fences[0]
        start = offset + token.map[0]
        parts = _fence_parts(lines[start].lstrip(" ")) if start < len(lines) else None
        end = offset + token.map[1]  # one past the closing line (or the end when it never closes)
        before = next((lines[i].strip() for i in range(start - 1, offset - 1, -1) if lines[i].strip()), "")
        file_line = _FILE_LINE.match(before)
        path = _path_of(token.info or "", file_line.group(1) if file_line else None)
        if path and parts is not None and _is_markdown(path):
            close = _balanced_end(lines, start, parts[0], parts[1])
            end = close + 1 if close is not None else len(lines)
            body = lines[start + 1:close if close is not None else len(lines)]
            indent = len(lines[start]) - len(lines[start].lstrip(" "))
            content = "\n".join(_dedent(body, indent)) + "\n"
        else:
            content = token.content if token.content.endswith("\n") or not token.content else token.content + "\n"
        if path:
            files.append((path, content))
        offset = max(end, start + 1)
    return files


def _is_note(lines: list[str], most: int, allow_lists: bool) -> bool:
    """Whether `lines` read as a short remark to the user rather than part of a file."""
    text = [line.strip() for line in lines if line.strip()]
    if len(text) > most or sum(len(line) for line in text) > NOTE_CHARS:
        return False
    for line in text:
        if line.startswith(("#", "|", ">", "```", "~~~", "<")):
            return False
        if not allow_lists and re.match(r"^(?:[-*+]|\d+[.)])\s", line):
            return False
    return True


def single_file_content(reply: str, target: str = "") -> str:
    """The reply as the content of `target`: the one fenced block when prose merely surrounds it (a preamble
    such as "Here is the updated file:", a note after it), else the whole reply as written."""
    text = strip_thinking(reply).strip("\n")
    lines = text.splitlines()
    fences = [t for t in _fences(text) if t.level == 0]
    if not fences:
        return text + "\n"
    token = fences[0]
    start = token.map[0]
    parts = _fence_parts(lines[start])
    if parts is None or not _is_note(lines[:start], PREAMBLE_LINES, allow_lists=False):
        return text + "\n"
    char, length, info = parts
    language = info.split()[0].lower() if info.split() else ""
    close: int | None = None
    for index in range(len(lines) - 1, start, -1):
        if _is_bare_close(lines[index], char, length) and _is_note(lines[index + 1:], NOTE_LINES, True):
            close = index
            break
    wraps_whole = start == 0 and close == len(lines) - 1
    if _is_markdown(target) and language not in _MARKDOWN_INFO and not wraps_whole:
        return text + "\n"  # a Markdown file that holds a code block, not a file wrapped in one
    if close is None:
        if token.map[1] < len(lines):
            return text + "\n"
        close = len(lines)  # a fence the reply never closed: it runs to the end
    if not _is_markdown(target):
        inner = token.map[1] - 1  # CommonMark's own close: code has no nested fences to balance
        if (start < inner < close and _is_bare_close(lines[inner], char, length)
                and _is_note(lines[inner + 1:], NOTE_LINES, True)):
            close = inner
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    return "\n".join(_dedent(lines[start + 1:close], indent)) + "\n"

"""Markdown documents with line maps, via markdown-it-py, shared by the roster and checklist parsers.

Tokens and headings are computed when first read, and headings of a plain document without markdown-it at all
(`plain_headings`): importing markdown-it costs ~45 ms, a tenth of what `techcat check` of a 100k-entry log
spends in all, and a check reads only the roster's headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from techcat_core.positions import LineIndex

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Block structure only: nothing here reads inline tokens, and markdown-it's inline phase is quadratic in
    unclosed brackets (100,000 `[` in a roster took 2.5 s, 400,000 about 40 s)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


@dataclass(slots=True)
class Heading:
    level: int
    text: str
    line: int  # 0-based


@dataclass(slots=True)
class MarkdownDoc:
    path: Path
    text: str
    _tokens: list[Token] | None = field(default=None, repr=False)
    _headings: list[Heading] | None = field(default=None, repr=False)
    lines: LineIndex = field(init=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)

    @property
    def tokens(self) -> list[Token]:
        """markdown-it's block tokens (inline content unparsed); [] if it ever failed."""
        if self._tokens is None:
            try:
                self._tokens = _parser().parse(self.text)
            except Exception:  # markdown-it never should, but user input must not crash a check
                self._tokens = []
        return self._tokens

    @property
    def headings(self) -> list[Heading]:
        if self._headings is None:
            headings = plain_headings(self.text)
            if headings is None:
                tokens = self.tokens
                headings = [Heading(int(token.tag[1:]), tokens[i + 1].content.strip(), token.map[0])
                            for i, token in enumerate(tokens)
                            if token.type == "heading_open" and token.map and i + 1 < len(tokens)]
            self._headings = headings
        return self._headings


def parse_markdown(text: str, path: Path | str) -> MarkdownDoc:
    """A document whose tokens and headings are read when first asked for; never raises."""
    return MarkdownDoc(Path(path), text)


_NEWLINES = re.compile(r"\r\n?|\n")  # markdown-it's own line breaks (a form feed or U+2028 is none)
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]|$)")
# What may make a `#` line something else than a heading, or make a heading of another line: fences, HTML blocks,
# quotes, a `#` right after list markers, a `#` indented past three spaces (a heading in a list item, or code),
# setext underlines, link reference definitions (a title may span lines), and NUL (which markdown-it replaces).
_NOT_PLAIN = re.compile(r"```|~~~|\0|^[ \t]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]*)*[<>\[]"
                        r"|^[ \t]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]*)+#|^(?: {4,}|[ ]*\t)[ \t]*#|^[ \t]*(?:=+|-+)[ \t]*$",
                        re.MULTILINE)


def plain_headings(text: str) -> list[Heading] | None:
    """The headings markdown-it finds (`MarkdownDoc.headings`), for a document where every heading is an ATX
    line (`## Title`) at the top level or in a list item; None for any other document (fences, HTML, quotes,
    setext underlines, …), which markdown-it then reads. tests/test_check_speed.py compares the two."""
    if _NOT_PLAIN.search(text.replace("\r", "\n")) is not None:
        return None
    headings: list[Heading] = []
    if "#" not in text:
        return headings
    for number, line in enumerate(_NEWLINES.split(text)):
        match = _ATX.match(line)
        if match is None:
            continue
        start, end = match.end(1), len(line)
        while end > start and line[end - 1] in " \t":  # markdown-it's skipSpacesBack, then a closing `###`
            end -= 1
        hashes = end
        while hashes > start and line[hashes - 1] == "#":
            hashes -= 1
        if hashes > start and line[hashes - 1] in " \t":
            end = hashes
        headings.append(Heading(len(match.group(1)), line[start:end].strip(), number))
    return headings

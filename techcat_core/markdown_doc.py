"""Markdown documents with line maps, via markdown-it-py, shared by the roster and checklist parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from techcat_core.positions import LineIndex


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Block structure only: nothing here reads inline tokens, and markdown-it's inline phase is quadratic in
    unclosed brackets (100,000 `[` in a roster took 2.5 s, 400,000 about 40 s)."""
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
    tokens: list[Token] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    lines: LineIndex = field(init=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)


def parse_markdown(text: str, path: Path | str) -> MarkdownDoc:
    """Tokenise Markdown and collect its headings; never raises."""
    doc = MarkdownDoc(Path(path), text)
    try:
        doc.tokens = _parser().parse(text)
    except Exception:  # markdown-it never should, but user input must not crash a check
        doc.tokens = []
    tokens = doc.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and i + 1 < len(tokens):
            doc.headings.append(Heading(int(token.tag[1:]), tokens[i + 1].content.strip(), token.map[0]))
    return doc

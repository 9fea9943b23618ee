"""Document symbols (entries, agents, sections, checklist items) and folding ranges."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.markdown_doc import MarkdownDoc, parse_markdown
from techcat_core.positions import Range
from techcat_lsp.analysis import Analysis
from techcat_lsp.encoding import Encoder
from techcat_lsp.guard import guarded
from techcat_lsp.server import TechcatServer

# A 100k-entry log would make an outline no one can read and a reply of tens of megabytes:
# the newest entries are listed, as many as an outline pane can usefully show.
MAX_ENTRIES = 5000


def _markdown(analysis: Analysis, path: Path) -> MarkdownDoc | None:
    text = analysis.text(path)
    if text is None:
        return None
    for doc in (analysis.ws.prd, analysis.ws.architecture, analysis.ws.roster.doc if analysis.ws.roster else None):
        if doc is not None and doc.path == path and doc.text == text:
            return doc
    return parse_markdown(text, path)


def _sections(doc: MarkdownDoc, line_count: int) -> list[tuple[int, int, int, str]]:
    """(level, first line, last line, title) of each heading's section."""
    headings = doc.headings
    result = []
    for i, heading in enumerate(headings):
        end = line_count - 1
        for later in headings[i + 1:]:
            if later.level <= heading.level:
                end = later.line - 1
                break
        result.append((heading.level, heading.line, max(heading.line, end), heading.text))
    return result


def log_symbols(analysis: Analysis, encoder: Encoder) -> list[lsp.DocumentSymbol]:
    log = analysis.log
    if log is None:
        return []
    symbols = []
    for entry in log.entries[-MAX_ENTRIES:]:
        whole = encoder.range(log.range(entry.start, entry.end))
        task_id = entry.task_id
        if task_id is not None and "task_id" in log.spans(entry):
            selection = encoder.range(log.value_range(entry, "task_id"))
        else:
            selection = encoder.range(log.range(entry.start, entry.start + 1))
        summary = (entry.summary or "").strip()
        detail = " · ".join(part for part in (entry.agent, entry.date, summary[:80]) if part)
        symbols.append(lsp.DocumentSymbol(name=task_id or f"entry {entry.index + 1}", kind=lsp.SymbolKind.Event,
                                          range=whole, selection_range=selection, detail=detail or None))
    return symbols


def markdown_symbols(analysis: Analysis, path: Path, encoder: Encoder) -> list[lsp.DocumentSymbol]:
    doc = _markdown(analysis, path)
    if doc is None:
        return []
    lines = encoder.lines
    agents = {a.name_range.start.line: a for a in analysis.ws.agents if a.source == path}
    roots: list[lsp.DocumentSymbol] = []
    stack: list[tuple[int, lsp.DocumentSymbol]] = []
    for level, first, last, title in _sections(doc, lines.line_count):
        whole = encoder.range(Range.of(first, 0, last, len(lines.line_text(last))))
        heading = encoder.range(Range.of(first, 0, end=len(lines.line_text(first))))
        agent = agents.get(first)
        symbol = lsp.DocumentSymbol(
            name=agent.name if agent else (title or "(untitled)"),
            kind=lsp.SymbolKind.Class if agent else lsp.SymbolKind.Namespace,
            range=whole, selection_range=heading, detail=(agent.role or None) if agent else None, children=[])
        while stack and stack[-1][0] >= level:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(symbol)  # type: ignore[union-attr]
        stack.append((level, symbol))
    proposed = analysis.proposed
    if proposed is not None and path == analysis.proposed_path:
        for item in proposed.items:
            state = {" ": "proposed", ">": "queued", "x": "done"}.get(item.state, item.state)
            # The symbol spans the whole item, from its list marker; the name (its text) is selected.
            # VS Code rejects the outline if a selection lies outside its range.
            span = Range.of(item.line, 0, item.text_range.end.line, item.text_range.end.character)
            symbol = lsp.DocumentSymbol(name=f"#{item.number} {item.title or item.text}"[:120],
                                        kind=lsp.SymbolKind.Event, range=encoder.range(span),
                                        selection_range=encoder.range(item.text_range),
                                        detail=" · ".join(p for p in (state, item.agent) if p))
            parent = _innermost(roots, item.line)
            (parent.children if parent is not None else roots).append(symbol)  # type: ignore[union-attr]
    return roots


def _innermost(symbols: Sequence[lsp.DocumentSymbol], line: int) -> lsp.DocumentSymbol | None:
    for symbol in symbols:
        if symbol.kind == lsp.SymbolKind.Namespace and symbol.range.start.line <= line <= symbol.range.end.line:
            return _innermost(symbol.children or [], line) or symbol
    return None


def folding(analysis: Analysis, path: Path) -> list[lsp.FoldingRange]:
    """Folds are whole lines, so they need no column conversion."""
    lines = analysis.lines(path)
    if lines is None:
        return []
    ranges: list[lsp.FoldingRange] = []
    log = analysis.log
    if path == analysis.log_path and log is not None:
        for entry in log.entries[-MAX_ENTRIES:]:
            first, last = lines.position(entry.start).line, lines.position(entry.end).line
            if last > first:
                ranges.append(lsp.FoldingRange(first, last, kind=lsp.FoldingRangeKind.Region))
        return ranges
    doc = _markdown(analysis, path)
    if doc is None:
        return []
    for _, first, last, _title in _sections(doc, lines.line_count):
        while last > first and not lines.line_text(last).strip():
            last -= 1
        if last > first:
            ranges.append(lsp.FoldingRange(first, last, kind=lsp.FoldingRangeKind.Region))
    for token in doc.tokens:
        if token.type == "fence" and token.map and token.map[1] - 1 > token.map[0]:
            ranges.append(lsp.FoldingRange(token.map[0], token.map[1] - 1, kind=lsp.FoldingRangeKind.Region))
    return ranges


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded([])
    def document_symbols(ls: TechcatServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        found = ls.analysis_for(params.text_document.uri)
        if found is None:
            return []
        analysis, path = found
        encoder = analysis.encoder(path, ls.encoding)
        if path == analysis.log_path:
            return log_symbols(analysis, encoder)
        if path.suffix == ".md":
            return markdown_symbols(analysis, path, encoder)
        return []

    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    @guarded([])
    def folding_ranges(ls: TechcatServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange]:
        found = ls.analysis_for(params.text_document.uri)
        return folding(*found) if found is not None else []

"""Go to definition and find references for agents, task ids and output paths."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.positions import Range
from techcat_lsp.analysis import Analysis
from techcat_lsp.convert import uri
from techcat_lsp.guard import guarded
from techcat_lsp.locate import Target, target_at
from techcat_lsp.preview import inside
from techcat_lsp.server import TechcatServer


def _location(analysis: Analysis, path: Path, rng: Range, encoding: str) -> lsp.Location:
    return lsp.Location(uri(path), analysis.encoder(path, encoding).range(rng))


def definitions(analysis: Analysis, target: Target, encoding: str) -> list[lsp.Location]:
    found: list[lsp.Location] = []
    if target.kind == "agent":
        found = [_location(analysis, a.source, a.name_range, encoding) for a in analysis.ws.agents
                 if a.name == target.name]
    elif target.kind == "task":
        entry = analysis.entry(target.name)
        log = analysis.log
        if entry is not None and log is not None:
            found = [_location(analysis, analysis.log_path, log.value_range(entry, "task_id"), encoding)]
    else:
        file = inside(analysis.ws.root, target.name)
        if file is not None and file.exists():
            found = [lsp.Location(uri(file), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))]
    return found


def references(analysis: Analysis, target: Target, encoding: str, declaration: bool) -> list[lsp.Location]:
    places: list[tuple[Path, Range]] = []
    log = analysis.log
    if target.kind == "agent":
        name = target.name
        for agent in analysis.ws.agents:
            if declaration and agent.name == name:
                places.append((agent.source, agent.name_range))
            places.extend((agent.source, link.range) for link in agent.chains if link.target == name)
        if analysis.proposed is not None:
            places.extend((analysis.proposed_path, item.agent_range) for item in analysis.proposed.items
                          if item.agent == name and item.agent_range is not None)
        if log is not None:
            places.extend((analysis.log_path, log.value_range(e, "agent")) for e in log.entries if e.agent == name)
    elif target.kind == "task":
        task_id = target.name
        entry = analysis.entry(task_id)
        declared = log.value_range(entry, "task_id") if entry is not None and log is not None else None
        if declared is not None and declaration:
            places.append((analysis.log_path, declared))
        if analysis.proposed is not None:
            places.extend((analysis.proposed_path, rng) for item in analysis.proposed.items
                          for found_id, rng in item.task_ids if found_id == task_id)
        pattern = re.compile(rf"\b{re.escape(task_id)}\b")
        for path, text in _markdown_texts(analysis):
            if path == analysis.proposed_path:
                continue
            lines = analysis.lines(path)
            if lines is not None:
                places.extend((path, lines.range(m.start(), m.end())) for m in pattern.finditer(text))
        if log is not None:  # mentions in other entries' summaries, and repeated ids
            span = log.spans(entry).get("task_id") if entry is not None else None
            for match in pattern.finditer(log.text):
                if span is None or not span.value_start <= match.start() < span.value_end:
                    places.append((analysis.log_path, log.range(match.start(), match.end())))
    else:
        if log is not None:
            for item in log.entries:
                raw = item.get("output_files")
                if isinstance(raw, list) and target.name in raw:
                    for index, (start, end) in enumerate(log.item_spans(item, "output_files")):
                        if index < len(raw) and raw[index] == target.name:
                            places.append((analysis.log_path, log.range(start + 1, end - 1)))
    return [_location(analysis, path, rng, encoding) for path, rng in places]


def _markdown_texts(analysis: Analysis) -> list[tuple[Path, str]]:
    texts = {path: text for path, text in analysis.ws.texts.items() if path.suffix == ".md"}
    for doc in analysis.docs.all():
        if doc.path.suffix == ".md" and analysis.codex_dir in doc.path.parents:
            texts[doc.path] = doc.text
    return sorted(texts.items())


def _target(ls: TechcatServer, document: str, position: lsp.Position) -> tuple[Analysis, Target] | None:
    found = ls.analysis_for(document)
    if found is None:
        return None
    analysis, path = found
    encoder = analysis.encoder(path, ls.encoding)
    target = target_at(analysis, path, encoder.core_position(position))
    return (analysis, target) if target is not None else None


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @guarded([])
    def definition(ls: TechcatServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        found = _target(ls, params.text_document.uri, params.position)
        return definitions(found[0], found[1], ls.encoding) if found else []

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @guarded([])
    def find_references(ls: TechcatServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        found = _target(ls, params.text_document.uri, params.position)
        if found is None:
            return []
        return references(found[0], found[1], ls.encoding, params.context.include_declaration)

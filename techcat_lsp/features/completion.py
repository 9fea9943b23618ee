"""Completion: field names, roster agents, repository paths in `output_files`, the next task id, today."""

from __future__ import annotations

import datetime as dt
import re

from lsprotocol import types as lsp

from techcat_core.positions import Position
from techcat_core.tasklog.ids import next_task_id
from techcat_core.tasklog.parse import REQUIRED_FIELDS
from techcat_lsp.analysis import Analysis
from techcat_lsp.encoding import Encoder
from techcat_lsp.guard import guarded
from techcat_lsp.repo_files import repository_files
from techcat_lsp.server import TechcatServer

LOOK_BACK = 4000  # characters before the cursor that decide the context
MAX_PATHS = 200
_VALUE = re.compile(r'"(\w+)"\s*:\s*"([^"\n]*)$')
_IN_FILES = re.compile(r'"output_files"\s*:\s*\[[^\]]*"([^"\n]*)$')
_KEY = re.compile(r'[{,]\s*("?\w*)$')
_VALUE_REST = re.compile(r'[^"\n]*')  # the rest of the string value the cursor is in
_WORD = re.compile(r"[\w-]*")
_KEY_REST = re.compile(r'\w*(?:"\s*:[ \t]*)?')  # the rest of the key, its closing quote and colon
_MENTION = re.compile(r"(?<![\w@])@([\w-]*)$")
_CHAIN = re.compile(r"(?:invoke|control\s+to|off\s+to|over\s+to|delegate\s+to|chain\s+to)\s+(?:the\s+)?`?([\w-]*)$",
                    re.IGNORECASE)


def _item(label: str, kind: lsp.CompletionItemKind, start: lsp.Position, end: lsp.Position, new_text: str,
          detail: str | None = None) -> lsp.CompletionItem:
    return lsp.CompletionItem(label=label, kind=kind, detail=detail, filter_text=label,
                              text_edit=lsp.TextEdit(lsp.Range(start, end), new_text))


def _agents(analysis: Analysis, prefix: str, start: lsp.Position, end: lsp.Position) -> list[lsp.CompletionItem]:
    items = []
    for name in sorted(analysis.known_agents()):
        agent = analysis.agent(name)
        items.append(_item(name, lsp.CompletionItemKind.Value, start, end, name,
                           agent.description if agent else "built-in: appends to the task log"))
    return [i for i in items if i.label.startswith(prefix)] or items


def log_completions(analysis: Analysis, encoder: Encoder, position: lsp.Position) -> list[lsp.CompletionItem]:
    lines = encoder.lines
    offset = encoder.offset(position)
    before = lines.text[max(0, offset - LOOK_BACK):offset]

    def prefix_start(typed: str) -> lsp.Position:
        return encoder.position(lines.position(offset - len(typed)))

    def word_end(rest: re.Pattern[str]) -> lsp.Position:
        """The end of the word the cursor is in: a completion replaces all of it, not only what is before
        the cursor (else completing inside `"su|mmary"` would leave `"summary": mmary"`)."""
        found = rest.match(lines.text, offset, min(len(lines.text), offset + LOOK_BACK))
        return encoder.position(lines.position(found.end())) if found else position

    files = _IN_FILES.search(before)
    if files is not None and "{" not in before[files.start():]:
        typed = files.group(1)
        start, end = prefix_start(typed), word_end(_VALUE_REST)
        paths = [p for p in repository_files(analysis.ws.root) if p.startswith(typed)][:MAX_PATHS]
        return [_item(p, lsp.CompletionItemKind.File, start, end, p) for p in paths]
    value = _VALUE.search(before)
    if value is not None:
        key, typed = value.group(1), value.group(2)
        start, end = prefix_start(typed), word_end(_VALUE_REST)
        if key == "agent":
            return _agents(analysis, typed, start, end)
        if key == "task_id":
            ids = (e.task_id for e in analysis.log.entries) if analysis.log else iter(())
            next_id = next_task_id(ids)
            return [_item(next_id, lsp.CompletionItemKind.Value, start, end, next_id, "the next free task id")]
        if key == "date":
            today = dt.date.today().isoformat()
            return [_item(today, lsp.CompletionItemKind.Value, start, end, today, "today")]
        return []
    key = _KEY.search(before)
    if key is not None:
        typed = key.group(1)
        start, end = prefix_start(typed), word_end(_KEY_REST)
        typed = typed.lstrip('"')
        entry = analysis.log.entry_at(offset) if analysis.log else None
        present = set(entry.value) if entry is not None and entry.is_object else set()
        if typed and entry is not None and entry.is_object:  # the key being edited is not a field already there
            rest = _WORD.match(lines.text, offset, min(len(lines.text), offset + LOOK_BACK))
            present.discard(typed + (rest.group() if rest else ""))
        return [_item(name, lsp.CompletionItemKind.Field, start, end, f'"{name}": ')
                for name in REQUIRED_FIELDS if name not in present and name.startswith(typed)]
    return []


def markdown_completions(analysis: Analysis, encoder: Encoder, position: lsp.Position) -> list[lsp.CompletionItem]:
    line = encoder.lines.line_text(position.line)
    column = encoder.core_position(position).character
    before = line[:column]
    found = _MENTION.search(before) or _CHAIN.search(before)
    if found is None:
        return []
    typed = found.group(1)
    start = encoder.position(Position(position.line, column - len(typed)))
    rest = _WORD.match(line, column)
    end = encoder.position(Position(position.line, rest.end())) if rest else position
    return _agents(analysis, typed, start, end)


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=['"', "@", "/"]))
    @guarded(None)
    def completion(ls: TechcatServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        found = ls.analysis_for(params.text_document.uri)
        if found is None:
            return None
        analysis, path = found
        encoder = analysis.encoder(path, ls.encoding)
        if path == analysis.log_path:
            items = log_completions(analysis, encoder, params.position)
        elif path.suffix == ".md":
            items = markdown_completions(analysis, encoder, params.position)
        else:
            items = []
        return lsp.CompletionList(is_incomplete=False, items=items)

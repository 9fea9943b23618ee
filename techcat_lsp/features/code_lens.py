"""Code lenses: "▶ Run" on agents and open proposals, "n files" on task-log entries."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from techcat_lsp.analysis import Analysis
from techcat_lsp.commands_api import OPEN_FILES, RUN_AGENT
from techcat_lsp.guard import guarded
from techcat_lsp.server import TechcatServer

MAX_ENTRY_LENSES = 1000  # the newest entries; a lens per entry of a 100k log helps no one


def lenses(analysis: Analysis, path: Path, encoding: str) -> list[lsp.CodeLens]:
    encoder = analysis.encoder(path, encoding)
    workspace = str(analysis.codex_dir)
    found: list[lsp.CodeLens] = []
    for agent in analysis.ws.agents:
        if agent.source == path:
            found.append(lsp.CodeLens(encoder.range(agent.name_range), lsp.Command(
                "▶ Run", RUN_AGENT, arguments=[{"workspace": workspace, "agent": agent.name}])))
    proposed = analysis.proposed
    if proposed is not None and path == analysis.proposed_path:
        for item in proposed.items:
            if item.agent and item.state != "x" and item.agent in analysis.ws.agent_names:  # runnable ones only
                found.append(lsp.CodeLens(encoder.range(item.text_range), lsp.Command(
                    f"▶ Run with {item.agent}", RUN_AGENT,
                    arguments=[{"workspace": workspace, "agent": item.agent, "task": item.title,
                                "proposedItem": item.number}])))
    log = analysis.log
    if log is not None and path == analysis.log_path:
        for entry in log.entries[-MAX_ENTRY_LENSES:]:
            files = entry.output_files
            if files:
                title = "1 file" if len(files) == 1 else f"{len(files)} files"
                found.append(lsp.CodeLens(encoder.range(log.range(entry.start, entry.start + 1)), lsp.Command(
                    title, OPEN_FILES, arguments=[{"workspace": workspace, "files": files}])))
    return found


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
    @guarded([])
    def code_lens(ls: TechcatServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        found = ls.analysis_for(params.text_document.uri)
        return lenses(found[0], found[1], ls.encoding) if found is not None else []

"""Code actions: every core fix as a quick fix (and "fix all" for safe ones), plus the workspace actions:
run or queue a proposal, run an agent, log a task from the git changes."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.diagnostics import Diagnostic, Fix
from techcat_core.positions import Position, Range
from techcat_lsp.analysis import Analysis
from techcat_lsp.commands_api import ADD_AGENT, LOG_FROM_GIT, RUN_AGENT
from techcat_lsp.convert import SOURCE, edit_from_data, to_lsp, uri, workspace_edit
from techcat_lsp.encoding import Encoder
from techcat_lsp.guard import guarded
from techcat_lsp.server import TechcatServer

FIX_ALL_KIND = "source.fixAll.techcat"
LOG_KIND = "source.techcat.logFromGit"


def non_overlapping(fixes: list[Fix]) -> list[Fix]:
    """Fixes whose edits do not touch one another's text, first come first served (as `check --fix`)."""
    taken: dict[Path, list[tuple[Position, Position]]] = {}
    chosen = []
    for fix in sorted((f for f in fixes if f.edits), key=lambda f: (f.edits[0].range.start, f.edits[0].range.end)):
        spans = [(e.path, e.range.start, e.range.end) for e in fix.edits]
        if any(start < b_end and a_start < end for path, start, end in spans for a_start, b_end in taken.get(path, [])):
            continue
        for path, start, end in spans:
            taken.setdefault(path, []).append((start, end))
        chosen.append(fix)
    return chosen


def _overlaps(a: Range, b: Range) -> bool:
    return a.start <= b.end and b.start <= a.end


def quick_fixes(analysis: Analysis, path: Path, encoder: Encoder, params: lsp.CodeActionParams, encoding: str,
                version: int | None) -> list[lsp.CodeAction]:
    actions: list[lsp.CodeAction] = []
    handled: set[tuple[str, int, int]] = set()
    for sent in params.context.diagnostics:  # the fix the diagnostic carries, if it is for this version
        data = sent.data if isinstance(sent.data, dict) else None
        if sent.source != SOURCE or data is None or data.get("version") != version or not data.get("fixes"):
            continue
        for index, fix in enumerate(data["fixes"]):
            edit = edit_from_data(fix)
            if edit is not None:
                actions.append(lsp.CodeAction(str(fix.get("title")), kind=lsp.CodeActionKind.QuickFix,
                                              diagnostics=[sent], edit=edit,
                                              is_preferred=bool(fix.get("safe")) and index == 0))
        handled.add((str(sent.code), sent.range.start.line, sent.range.start.character))
    requested = Range(encoder.core_position(params.range.start), encoder.core_position(params.range.end))
    here: list[Diagnostic] = []
    for diagnostic in analysis.diagnostics.get(path, []):
        if not _overlaps(diagnostic.range, requested):
            continue
        here.append(diagnostic)
        lsp_diagnostic = to_lsp(diagnostic, encoder, analysis, encoding, version)
        key = (diagnostic.code, lsp_diagnostic.range.start.line, lsp_diagnostic.range.start.character)
        if key in handled:
            continue
        for index, fix in enumerate(diagnostic.fixes):
            actions.append(lsp.CodeAction(fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[lsp_diagnostic],
                                          edit=workspace_edit([fix], analysis, encoding),
                                          is_preferred=fix.safe and index == 0))
    actions += _add_agent_fixes(analysis, here, encoder, encoding, version)
    for code in sorted({d.code for d in here if d.fixes and d.fixes[0].safe}):
        same = [d.fixes[0] for d in analysis.diagnostics.get(path, []) if d.code == code and d.fixes
                and d.fixes[0].safe]
        if len(same) > 1:
            chosen = non_overlapping(same)
            actions.append(lsp.CodeAction(f"Fix all {code} in this file ({len(chosen)})",
                                          kind=lsp.CodeActionKind.QuickFix,
                                          edit=workspace_edit(chosen, analysis, encoding)))
    return actions


def _add_agent_fixes(analysis: Analysis, here: list[Diagnostic], encoder: Encoder, encoding: str,
                     version: int | None) -> list[lsp.CodeAction]:
    """"Add `x` to the roster" for each agent the roster does not know, after the core's "did you mean"."""
    from techcat_lsp.features.add_agent import UNKNOWN_AGENT_CODES, agent_name

    actions: list[lsp.CodeAction] = []
    offered: set[str] = set()
    for diagnostic in here:
        if diagnostic.code not in UNKNOWN_AGENT_CODES:
            continue
        text = encoder.lines.text
        name = agent_name(text[encoder.lines.offset(diagnostic.range.start):encoder.lines.offset(diagnostic.range.end)])
        if name is None or name in offered or name in analysis.ws.agent_names:
            continue
        offered.add(name)
        title = f"Add `{name}` to the roster (AGENTS.md)"
        actions.append(lsp.CodeAction(title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[
            to_lsp(diagnostic, encoder, analysis, encoding, version)], command=lsp.Command(title, ADD_AGENT, arguments=[
                {"workspace": str(analysis.codex_dir), "name": name}])))
    return actions


def fix_all(analysis: Analysis, path: Path, encoding: str) -> lsp.CodeAction | None:
    safe = [d.fixes[0] for d in analysis.diagnostics.get(path, []) if d.fixes and d.fixes[0].safe]
    if not safe:
        return None
    chosen = non_overlapping(safe)
    return lsp.CodeAction(f"Fix all safe TechCat problems ({len(chosen)})", kind=FIX_ALL_KIND,
                          edit=workspace_edit(chosen, analysis, encoding))


def workspace_actions(analysis: Analysis, path: Path, line: int, encoder: Encoder) -> list[lsp.CodeAction]:
    workspace = str(analysis.codex_dir)
    actions: list[lsp.CodeAction] = []
    proposed = analysis.proposed
    if proposed is not None and path == analysis.proposed_path:
        for item in proposed.items:
            if item.line != line:
                continue
            if item.agent and item.state != "x" and item.agent in analysis.ws.agent_names:
                actions.append(lsp.CodeAction(f"Run with {item.agent}", kind=lsp.CodeActionKind.Empty,
                                              command=lsp.Command(f"Run with {item.agent}", RUN_AGENT, arguments=[
                                                  {"workspace": workspace, "agent": item.agent, "task": item.title,
                                                   "proposedItem": item.number}])))
            if item.state == " ":
                edit = lsp.WorkspaceEdit(changes={uri(path): [lsp.TextEdit(encoder.range(item.mark_range),
                                                                                    ">")]})
                actions.append(lsp.CodeAction("Queue", kind=lsp.CodeActionKind.Empty, edit=edit))
    for agent in analysis.ws.agents:
        if agent.source == path and agent.section.start.line <= line <= agent.section.end.line:
            actions.append(lsp.CodeAction(f"Run this agent ({agent.name})…", kind=lsp.CodeActionKind.Empty,
                                          command=lsp.Command(f"Run {agent.name}", RUN_AGENT,
                                                              arguments=[{"workspace": workspace,
                                                                          "agent": agent.name}])))
    if path == analysis.log_path and analysis.ws.git_root is not None:
        actions.append(lsp.CodeAction("Log a task from the git changes", kind=LOG_KIND,
                                      command=lsp.Command("Log a task from the git changes", LOG_FROM_GIT,
                                                          arguments=[{"workspace": workspace}])))
    return actions


def _wanted(action: lsp.CodeAction, only: list[str] | None) -> bool:
    if not only:
        return True
    kind = str(action.kind.value if isinstance(action.kind, lsp.CodeActionKind) else action.kind or "")
    return any(kind == want or kind.startswith(want + ".") or (want == "" and kind == "") for want in only)


def register(server: TechcatServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.Empty, FIX_ALL_KIND, LOG_KIND],
        resolve_provider=False))
    @guarded([])
    def code_action(ls: TechcatServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        found = ls.analysis_for(params.text_document.uri)
        if found is None:
            return []
        analysis, path = found
        encoder = analysis.encoder(path, ls.encoding)
        doc = analysis.document(path)
        version = doc.version if doc is not None else None
        actions = quick_fixes(analysis, path, encoder, params, ls.encoding, version)
        everything = fix_all(analysis, path, ls.encoding)
        if everything is not None:
            actions.append(everything)
        actions += workspace_actions(analysis, path, params.range.start.line, encoder)
        only = [str(k.value if isinstance(k, lsp.CodeActionKind) else k) for k in params.context.only or []]
        return [a for a in actions if _wanted(a, only)]

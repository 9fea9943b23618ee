"""Hover, completion, navigation, symbols, folding, code lenses and code actions, under both profiles."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from lsprotocol import types as lsp

from techcat_lsp.features.code_actions import FIX_ALL_KIND, LOG_KIND
from tests.gitutil import git
from tests.lsp.conftest import log_entries
from tests.lsp.helpers import Session, units, uri


async def _hover(session: Session, target: str, needle: str, occurrence: int = 0, shift: int = 1) -> str:
    result = await session.client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(target), session.at(target, needle, occurrence, shift)))
    assert result is not None, f"no hover on {needle!r}"
    assert isinstance(result.contents, lsp.MarkupContent)
    return result.contents.value


async def test_hover_previews_files_and_describes_agents_and_tasks(session: Session) -> None:
    (session.root / "apps/web/home.tsx").write_text("export function Home() {\n  return <main>“Hi”</main>;\n}\n")
    log = session.open(session.codex / "TASK-LOG.json")
    preview = await _hover(session, log, '"apps/web/home.tsx"')
    assert "```tsx\nexport function Home() {" in preview
    agent = await _hover(session, log, '"planner"', shift=3)
    assert "Task Forecaster" in agent and "task-003" in agent and "Recent tasks" in agent
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    task = await _hover(session, proposed, "task-001", shift=5)
    assert "**task-001** · 2025-07-01 · `planner`" in task and "“booking”" in task
    assert "Task Forecaster" in await _hover(session, proposed, "@planner", shift=3)
    missing = await _hover(session, log, '"apps/web/gone.tsx"')
    assert "does not exist" in missing


async def test_hover_never_reads_outside_the_workspace(session: Session) -> None:
    secret = session.root.parent / "secret.txt"
    secret.write_text("TOP SECRET\n")
    (session.root / "apps/web/link.tsx").symlink_to(secret)
    log = session.open(session.codex / "TASK-LOG.json")
    session.replace(log, '"apps/web/gone.tsx"', '"apps/web/link.tsx", "../secret.txt"')
    for needle in ('"apps/web/link.tsx"', '"../secret.txt"'):
        text = await _hover(session, log, needle)
        assert "TOP SECRET" not in text and "outside" in text


async def _complete(session: Session, target: str, needle: str, shift: int) -> list[lsp.CompletionItem]:
    result = await session.client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(target), session.at(target, needle, shift=shift)))
    assert isinstance(result, lsp.CompletionList)
    return list(result.items)


async def test_completion_offers_agents_paths_ids_dates_and_fields(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    session.replace(log, '"agent": "frontend_specialst"', '"agent": "fr"')
    agents = await _complete(session, log, '"agent": "fr"', shift=len('"agent": "fr'))
    assert [i.label for i in agents] == ["frontend_specialist"]
    edit = agents[0].text_edit
    assert isinstance(edit, lsp.TextEdit) and edit.new_text == "frontend_specialist"
    assert edit.range.start == session.at(log, '"agent": "fr"', shift=len('"agent": "'))
    session.replace(log, '"apps/web/gone.tsx"', '"apps/web/se"')
    paths = await _complete(session, log, '"apps/web/se"', shift=len('"apps/web/se'))
    assert [i.label for i in paths] == ["apps/web/settings.tsx"]
    session.replace(log, '"task_id": "task-003"', '"task_id": "t"')
    ids = await _complete(session, log, '"task_id": "t"', shift=len('"task_id": "t'))
    assert [i.label for i in ids] == ["task-003"]
    session.replace(log, '"date": "2025/07/03"', '"date": ""')
    dates = await _complete(session, log, '"date": ""', shift=len('"date": "'))
    assert [i.label for i in dates] == [dt.date.today().isoformat()]
    session.replace(log, '{"task_id": "t", ', '{"task_id": "t", "su')
    fields = await _complete(session, log, '"t", "su', shift=len('"t", "su'))
    assert [i.label for i in fields] == ["summary"]
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    session.replace(proposed, "@frontend_specialist Build the settings", "@pl Build the settings")
    mention = await _complete(session, proposed, "@pl Build", shift=3)
    assert [i.label for i in mention] == ["planner"]


async def test_go_to_definition_and_find_references(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    found = await session.client.text_document_definition_async(lsp.DefinitionParams(
        lsp.TextDocumentIdentifier(proposed), session.at(proposed, "@planner", shift=2)))
    assert isinstance(found, list) and found[0].uri == uri(session.codex / "AGENTS.md")
    assert found[0].range.start.line == 2
    task = await session.client.text_document_definition_async(lsp.DefinitionParams(
        lsp.TextDocumentIdentifier(proposed), session.at(proposed, "task-001", shift=6)))
    assert isinstance(task, list) and task[0].uri == log
    assert task[0].range.start == session.at(log, '"task-001"')
    path = await session.client.text_document_definition_async(lsp.DefinitionParams(
        lsp.TextDocumentIdentifier(log), session.at(log, '"apps/web/home.tsx"', shift=2)))
    assert isinstance(path, list) and path[0].uri == uri(session.root / "apps/web/home.tsx")
    refs = await session.client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(log), position=session.at(log, '"planner"', shift=2),
        context=lsp.ReferenceContext(True)))
    where = sorted((r.uri.rsplit("/", 1)[-1], r.range.start.line) for r in refs or [])
    assert ("AGENTS.md", 2) in where and ("PROPOSED-TASKS.md", 3) in where
    assert [w for w in where if w[0] == "TASK-LOG.json"] == [("TASK-LOG.json", 3), ("TASK-LOG.json", 15)]
    task_refs = await session.client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(proposed), position=session.at(proposed, "task-001", shift=1),
        context=lsp.ReferenceContext(True)))
    assert sorted(r.uri.rsplit("/", 1)[-1] for r in task_refs or []) == ["PROPOSED-TASKS.md", "TASK-LOG.json"]


async def test_symbols_folding_and_code_lenses(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    agents = session.open(session.codex / "AGENTS.md")
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    symbols = await session.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(log)))
    assert [s.name for s in symbols or []] == ["task-001", "task-002", "task-003"]
    roster = await session.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(agents)))
    top = (roster or [])[0]
    assert isinstance(top, lsp.DocumentSymbol) and top.name == "Agents"
    assert [c.name for c in top.children or []] == ["planner", "frontend_specialist", "task_logger"]
    folds = await session.client.text_document_folding_range_async(lsp.FoldingRangeParams(
        lsp.TextDocumentIdentifier(log)))
    assert [(f.start_line, f.end_line) for f in folds or []] == [(1, 7), (8, 14)]
    lenses = await session.client.text_document_code_lens_async(lsp.CodeLensParams(
        lsp.TextDocumentIdentifier(proposed)))
    titles = [lens.command.title for lens in lenses or [] if lens.command]
    assert titles == ["▶ Run with frontend_specialist", "▶ Run with planner"]
    log_lenses = await session.client.text_document_code_lens_async(lsp.CodeLensParams(
        lsp.TextDocumentIdentifier(log)))
    assert [lens.command.title for lens in log_lenses or [] if lens.command] == ["1 file", "2 files"]


async def _actions(session: Session, target: str, needle: str, diagnostics: list[lsp.Diagnostic] | None = None,
                   only: list[str] | None = None) -> list[lsp.CodeAction]:
    position = session.at(target, needle, shift=1)
    result = await session.client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(target), lsp.Range(position, position),
        lsp.CodeActionContext(diagnostics=diagnostics or [], only=only)))
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


def _apply(session: Session, target: str, edit: lsp.WorkspaceEdit | None) -> None:
    assert edit is not None and edit.changes is not None
    assert session.texts is not None
    text = session.texts[target]
    for change in sorted(edit.changes[target], key=lambda e: (e.range.start.line, e.range.start.character),
                         reverse=True):
        start = _offset(session, text, change.range.start)
        end = _offset(session, text, change.range.end)
        text = text[:start] + change.new_text + text[end:]
        session.edit(target, start, end, change.new_text)


def _offset(session: Session, text: str, position: lsp.Position) -> int:
    """The string index of a client position (the inverse of what the server sends)."""
    line_start = 0
    for _ in range(position.line):
        line_start = text.index("\n", line_start) + 1
    line_end = text.find("\n", line_start)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    count = 0
    for index, char in enumerate(line):
        if count >= position.character:
            return line_start + index
        count += units(char, session.encoding)
    return line_start + len(line)


async def test_quick_fixes_from_the_diagnostic_data_and_fix_all(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    diagnostics = await session.diagnostics(log)
    date = next(d for d in diagnostics if d.code == "TC108")
    actions = await _actions(session, log, '"2025/07/03"', [date])
    fix = next(a for a in actions if a.title == "Change the date to 2025-07-03")
    assert str(fix.kind) in ("quickfix", str(lsp.CodeActionKind.QuickFix)) and fix.is_preferred
    assert [(d.code, d.range) for d in fix.diagnostics or []] == [(date.code, date.range)]
    agent = await _actions(session, log, '"frontend_specialst"')
    rename = next(a for a in agent if a.title == "Change the agent to `frontend_specialist`")
    _apply(session, log, rename.edit)
    _apply(session, log, fix.edit)
    assert sorted(str(d.code) for d in await session.diagnostics(log)) == ["TC114"]
    assert session.texts is not None and '"date": "2025-07-03"' in session.texts[log]
    session.replace(log, '"2025-07-01"', '"2025/07/01"')
    session.replace(log, '"2025-07-02"', '"2025/07/02"')
    await session.diagnostics(log)
    everything = await _actions(session, log, '"2025/07/01"')
    fix_all = next(a for a in everything if a.title.startswith("Fix all TC108 in this file"))
    _apply(session, log, fix_all.edit)
    assert sorted(str(d.code) for d in await session.diagnostics(log)) == ["TC114"]
    source = await _actions(session, log, "[", only=["source.fixAll"])
    assert source == []


async def test_fix_all_safe_problems_is_offered_as_a_source_action(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    session.replace(log, '"2025-07-01"', '"2025/07/01"')  # two safe date fixes (TC108); TC401 and TC114 have none
    assert sorted(str(d.code) for d in await session.diagnostics(log)) == ["TC108", "TC108", "TC114", "TC401"]
    for only in (["source.fixAll"], ["source"], None):  # asked for by kind (fix-on-save), or in the light bulb
        offered = [a for a in await _actions(session, log, '"planner"', only=only) if a.kind == FIX_ALL_KIND]
        assert [a.title for a in offered] == ["Fix all safe TechCat problems (2)"], only
    fix_all = offered[0]
    assert fix_all.command is None and fix_all.edit is not None and fix_all.edit.changes is not None
    assert sorted(e.new_text for e in fix_all.edit.changes[log]) == ['"2025-07-01"', '"2025-07-03"']
    _apply(session, log, fix_all.edit)
    assert sorted(str(d.code) for d in await session.diagnostics(log)) == ["TC114", "TC401"]
    assert [a for a in await _actions(session, log, '"planner"') if a.kind == FIX_ALL_KIND] == []  # none left


async def test_proposal_and_roster_actions(session: Session) -> None:
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    actions = await _actions(session, proposed, "Build the settings page")
    titles = [a.title for a in actions]
    assert "Run with frontend_specialist" in titles and "Queue" in titles
    run = next(a for a in actions if a.title == "Run with frontend_specialist")
    assert run.command is not None and run.command.command == "techcat.runAgent"
    arguments: list[Any] = list(run.command.arguments or [])
    assert arguments[0]["task"] == "Build the settings page" and arguments[0]["proposedItem"] == 1
    _apply(session, proposed, next(a for a in actions if a.title == "Queue").edit)
    assert session.texts is not None and "- [>] @frontend_specialist Build" in session.texts[proposed]
    agents = session.open(session.codex / "AGENTS.md")
    roster = await _actions(session, agents, "Propose the next tasks")
    assert [a.title for a in roster] == ["Run this agent (planner)…"]


async def test_log_a_task_from_the_git_changes_is_offered_on_the_log(session: Session) -> None:
    (session.root / "apps/web/new-page.tsx").write_text("export {}\n")
    (session.root / "apps/web/home.tsx").write_text("// changed\n")
    log_path = session.codex / "TASK-LOG.json"
    on_disk = log_path.read_text(encoding="utf-8")
    applied: list[lsp.ApplyWorkspaceEditParams] = []

    @session.client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        applied.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    log = session.open(log_path)
    for only in ([LOG_KIND], ["source"], None):
        offered = [a for a in await _actions(session, log, '"task-002"', only=only)
                   if a.title == "Log a task from the git changes"]
        assert len(offered) == 1, only
    action = offered[0]
    assert action.kind == LOG_KIND and action.edit is None and action.command is not None
    assert action.command.command == "techcat.logFromGit"
    assert list(action.command.arguments or []) == [{"workspace": str(session.codex)}]
    assert [a for a in await _actions(session, log, '"task-002"', only=["quickfix"])
            if a.kind == LOG_KIND] == []
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")  # offered on the log only
    assert [a for a in await _actions(session, proposed, "Build the settings") if a.kind == LOG_KIND] == []
    # running it the way the client does: the command with the action's own arguments
    result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        action.command.command, action.command.arguments))
    assert isinstance(result, dict) and result["ok"] and result["taskId"] == "task-004"
    assert result["files"] == ["apps/web/home.tsx", "apps/web/new-page.tsx"]
    # the log is open, so the entry goes into the buffer (the user sees it and saves), not to disk
    assert [p.label for p in applied] == ["Log task-004"]
    _apply(session, log, applied[0].edit)
    assert log_path.read_text(encoding="utf-8") == on_disk
    assert session.texts is not None
    entries = json.loads(session.texts[log])
    assert entries[-1] == {"task_id": "task-004", "agent": "task_logger", "date": dt.date.today().isoformat(),
                           "summary": "Changed apps/web/home.tsx, apps/web/new-page.tsx",
                           "output_files": ["apps/web/home.tsx", "apps/web/new-page.tsx"]}
    assert sorted(str(d.code) for d in await session.diagnostics(log)) == ["TC108", "TC114", "TC401"]


async def test_log_a_task_from_the_git_changes(session: Session) -> None:
    (session.root / "apps/web/new-page.tsx").write_text("export {}\n")
    (session.root / "apps/web/home.tsx").write_text("// changed\n")
    log_path = session.codex / "TASK-LOG.json"
    result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "techcat.logFromGit", [{"workspace": str(session.codex)}]))
    assert isinstance(result, dict) and result["ok"] and result["taskId"] == "task-004"
    last = log_entries(session.root)[-1]
    assert last["agent"] == "task_logger" and last["output_files"] == ["apps/web/home.tsx", "apps/web/new-page.tsx"]
    assert git(session.root, "status", "--porcelain", "--", str(log_path)).strip().startswith("M")


async def test_commands_queue_fix_all_and_open_files(session: Session) -> None:
    proposed_path = session.codex / "PROPOSED-TASKS.md"
    queued = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "techcat.queueItem", [{"workspace": str(session.codex), "number": 1}]))
    assert isinstance(queued, dict) and queued["ok"]
    assert "- [>] @frontend_specialist Build the settings page" in proposed_path.read_text(encoding="utf-8")
    applied: list[lsp.ApplyWorkspaceEditParams] = []

    @session.client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        applied.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    log = session.open(session.codex / "TASK-LOG.json")
    session.replace(log, '"2025-07-01"', '"2025/07/01"')
    await session.diagnostics(log)
    fixed = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "techcat.fixAll", [{"uri": log}]))
    assert isinstance(fixed, dict) and fixed["ok"] and fixed["fixed"] == 2
    changes = applied[0].edit.changes or {}
    assert sorted(e.new_text for e in changes[log]) == ['"2025-07-01"', '"2025-07-03"']
    agents = session.open(session.codex / "AGENTS.md")
    lenses = await session.client.text_document_code_lens_async(lsp.CodeLensParams(
        lsp.TextDocumentIdentifier(agents)))
    assert [(lens.range.start.line, lens.command.title) for lens in lenses or [] if lens.command] == [
        (2, "▶ Run"), (10, "▶ Run"), (18, "▶ Run")]
    opened = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        "techcat.openFiles", [{"workspace": log, "files": ["apps/web/home.tsx", "../escape.txt", "gone.txt"]}]))
    assert isinstance(opened, dict) and opened["opened"] == ["apps/web/home.tsx"]
    assert [d.uri for d in session.client.shown_documents] == [uri(session.root / "apps/web/home.tsx")]

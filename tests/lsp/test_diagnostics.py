"""Diagnostics end to end: pushed to a Neovim-like client, pulled by a VS Code-like one."""

from __future__ import annotations

from lsprotocol import types as lsp

from tests.gitutil import git
from tests.lsp.conftest import BROKEN_CODES
from tests.lsp.helpers import Session, codes, position_of, uri
from tests.waiting import async_wait_until


async def test_a_broken_log_shows_the_core_diagnostics_at_the_right_columns(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    found = await session.diagnostics(log)
    assert codes(found) == BROKEN_CODES
    assert session.encoding == ("utf-16" if session.profile == "vscode" else "utf-8")
    assert session.texts is not None
    date = next(d for d in found if d.code == "TC108")
    assert date.range.start == position_of(session.texts[log], '"2025/07/03"', session.encoding)
    assert date.range.end == position_of(session.texts[log], '"2025/07/03"', session.encoding, shift=12)
    assert date.code_description is not None and "diagnostics.md#tc108" in date.code_description.href
    assert date.severity == lsp.DiagnosticSeverity.Error and date.source == "techcat"
    assert isinstance(date.data, dict) and date.data["fixes"][0]["title"] == "Change the date to 2025-07-03"


async def test_diagnostics_follow_the_edits(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    assert codes(await session.diagnostics(log)) == BROKEN_CODES
    session.replace(log, "2025/07/03", "2025-07-03")
    assert codes(await session.diagnostics(log)) == ["TC114", "TC401"]
    session.replace(log, '"agent": "planner", "summary"', '"agent": "planner" "summary"')
    assert "TC100" in codes(await session.diagnostics(log))
    session.replace(log, '"agent": "planner" "summary"', '"agent": "planner", "summary"')
    session.replace(log, "frontend_specialst", "frontend_specialist")
    assert codes(await session.diagnostics(log)) == ["TC114"]


async def test_a_roster_change_updates_the_task_log(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    agents = session.open(session.codex / "AGENTS.md")
    assert codes(await session.diagnostics(log)) == BROKEN_CODES
    refreshes = session.client.diagnostic_refresh_count
    session.replace(agents, "## Agent: `frontend_specialist`", "## Agent: `frontend_specialst`")
    if session.pull:  # the server asks the client to pull again, since the log's results changed
        await async_wait_until(lambda: session.client.diagnostic_refresh_count > refreshes,
                               "the server to ask for a diagnostic refresh")
        found = await session.diagnostics(log)
    else:  # Neovim never re-pulls a file by itself: the server publishes the log's new diagnostics
        found = await session.diagnostics_until(log, lambda found: "TC401" not in codes(found),
                                                "the log's TC401 to clear after the roster change")
        assert session.published_version(log) == 1
    assert "TC401" not in codes(found)


async def test_files_that_are_not_open_are_reported_and_refreshed_from_disk(session: Session) -> None:
    proposed = session.codex / "PROPOSED-TASKS.md"
    proposed.write_text("# Proposed\n\n- [ ] @ghost_agent Do it\n- [?] Odd mark\n", encoding="utf-8")
    reports = await session.workspace_reports(lambda found: codes(found.get(uri(proposed), [])) == ["TC300", "TC301"],
                                              "the unopened checklist's TC300 and TC301")
    assert codes(reports.get(uri(proposed), [])) == ["TC300", "TC301"]
    proposed.write_text("# Proposed\n\n- [ ] @planner Do it\n", encoding="utf-8")
    session.wrote(proposed)
    reports = await session.workspace_reports(lambda found: not found.get(uri(proposed)),
                                              "the fixed checklist's diagnostics to clear")
    assert reports.get(uri(proposed), []) == []


async def test_pull_results_carry_ids_and_unchanged_reports(session: Session) -> None:
    if not session.pull:
        return
    log = session.open(session.codex / "TASK-LOG.json")
    first = await session.client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(log)))
    assert isinstance(first, lsp.RelatedFullDocumentDiagnosticReport) and first.result_id
    again = await session.client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(log), previous_result_id=first.result_id))
    assert isinstance(again, lsp.RelatedUnchangedDocumentDiagnosticReport)
    assert again.result_id == first.result_id


async def test_history_is_checked_on_save(session: Session) -> None:
    """Rewriting a committed entry is TC403 once saved (git history is read on open and save)."""
    log_path = session.codex / "TASK-LOG.json"
    log = session.open(log_path)
    assert codes(await session.diagnostics(log)) == BROKEN_CODES
    session.replace(log, "Planned the “booking” flow", "Planned the flow")
    assert session.texts is not None
    log_path.write_text(session.texts[log], encoding="utf-8")
    session.client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(log)))
    found = await session.diagnostics_until(log, lambda found: "TC403" in codes(found), "TC403 once saved")
    assert codes(found) == sorted([*BROKEN_CODES, "TC403"])


async def test_vscode_watches_files_for_the_server(session: Session) -> None:
    await session.diagnostics(session.open(session.codex / "TASK-LOG.json"))
    registrations = getattr(session.client, "registrations", [])
    if session.profile == "vscode":
        # the server registers its watcher after `initialized`, on its own schedule: wait for it to arrive
        await async_wait_until(lambda: any(r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
                                           for r in getattr(session.client, "registrations", [])),
                               "the server to register its file watcher")
        registrations = getattr(session.client, "registrations", [])
        [watch] = [r for r in registrations if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        assert "**/.codex/**" in str(watch.register_options)
    else:
        assert registrations == []


async def test_an_output_file_created_on_disk_clears_its_warning(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    assert "TC114" in codes(await session.diagnostics(log))
    (session.root / "apps/web/gone.tsx").write_text("// here after all\n")
    found = await session.diagnostics_until(log, lambda found: "TC114" not in codes(found),  # looked at every few s
                                            "the created output file's TC114 to clear")
    assert codes(found) == ["TC108", "TC401"]


async def test_a_damaged_repository_is_a_note_not_silence(session: Session) -> None:
    """When git cannot read the history, the editor says which checks were skipped and why."""
    sha = git(session.root, "rev-parse", "HEAD").strip()
    (session.root / ".git" / "objects" / sha[:2] / sha[2:]).unlink()  # HEAD names a commit git cannot read
    log = session.open(session.codex / "TASK-LOG.json")
    found = await session.diagnostics_until(log, lambda found: "TC405" in codes(found),
                                            "the TC405 note on a damaged repository")
    assert codes(found) == sorted([*BROKEN_CODES, "TC405"])
    note = next(d for d in found if d.code == "TC405")
    assert note.severity == lsp.DiagnosticSeverity.Information
    assert note.range == lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1))
    assert note.message.startswith("git history checks TC403 (append-only) and TC404 (unlogged commits) were "
                                   "skipped: git cannot read HEAD's commit")

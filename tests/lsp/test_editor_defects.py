"""What users hit in the editors (issue 15 §2), each under both client profiles: the outline of
PROPOSED-TASKS.md, run lenses for agents outside the roster, completion inside an existing word."""

from __future__ import annotations

from lsprotocol import types as lsp

from tests.lsp.helpers import Session


def _inside(inner: lsp.Range, outer: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def _walk(symbols: list[lsp.DocumentSymbol]) -> list[lsp.DocumentSymbol]:
    found = []
    for symbol in symbols:
        found.append(symbol)
        found += _walk(list(symbol.children or []))
    return found


async def test_every_outline_selection_lies_inside_its_range(session: Session) -> None:
    """VS Code rejects a whole outline (an error toast on every open) if one selectionRange is outside its range."""
    for name in ("PROPOSED-TASKS.md", "AGENTS.md", "TASK-LOG.json"):
        target = session.open(session.codex / name)
        result = await session.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
            lsp.TextDocumentIdentifier(target)))
        symbols = _walk([s for s in result or [] if isinstance(s, lsp.DocumentSymbol)])
        assert symbols, name
        for symbol in symbols:
            assert _inside(symbol.selection_range, symbol.range), (name, symbol.name)
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    result = await session.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        lsp.TextDocumentIdentifier(proposed)))
    tops = [s for s in result or [] if isinstance(s, lsp.DocumentSymbol)]
    items = [s for s in _walk(tops) if s.name.startswith("#1 ")]
    assert [s.name for s in items] == ["#1 Build the settings page"]
    assert items[0].range.start == lsp.Position(2, 0)
    assert items[0].selection_range.start == session.at(proposed, "@frontend_specialist Build")


async def test_no_run_lens_or_action_for_an_agent_outside_the_roster(session: Session) -> None:
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    session.replace(proposed, "@frontend_specialist Build the settings", "@designer Build the settings")
    await session.diagnostics(proposed)
    lenses = await session.client.text_document_code_lens_async(lsp.CodeLensParams(
        lsp.TextDocumentIdentifier(proposed)))
    assert [lens.command.title for lens in lenses or [] if lens.command] == ["▶ Run with planner"]
    position = session.at(proposed, "@designer", shift=2)
    actions = await session.client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(proposed), lsp.Range(position, position), lsp.CodeActionContext([])))
    titles = [a.title for a in actions or [] if isinstance(a, lsp.CodeAction)]
    assert "Queue" in titles and not [t for t in titles if t.startswith("Run with")], titles


def _apply(text: str, lines_edit: lsp.TextEdit, encoding_units: Session) -> str:
    """The document after the client applies a completion's text edit (positions in the session's units)."""
    lines = text.split("\n")

    def offset(p: lsp.Position) -> int:
        line = lines[p.line]
        index, count = 0, 0
        while count < p.character and index < len(line):
            char = line[index]
            count += len(char.encode("utf-8")) if encoding_units.encoding == "utf-8" else (
                len(char.encode("utf-16-le")) // 2 if encoding_units.encoding == "utf-16" else 1)
            index += 1
        return sum(len(x) + 1 for x in lines[:p.line]) + index

    return text[:offset(lines_edit.range.start)] + lines_edit.new_text + text[offset(lines_edit.range.end):]


async def _complete_at(session: Session, target: str, needle: str, shift: int) -> lsp.CompletionItem:
    result = await session.client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(target), session.at(target, needle, shift=shift)))
    assert isinstance(result, lsp.CompletionList) and len(result.items) == 1, result
    return result.items[0]


async def test_completion_inside_an_existing_word_replaces_it(session: Session) -> None:
    log = session.open(session.codex / "TASK-LOG.json")
    assert session.texts is not None
    # a key: the cursor after `"su` in `"summary": ...` of task-003
    field = await _complete_at(session, log, '"summary": "“Quoted”', shift=3)
    assert field.label == "summary" and isinstance(field.text_edit, lsp.TextEdit)
    after = _apply(session.texts[log], field.text_edit, session)
    assert '"summary": "“Quoted” — 🐾🐾"' in after and 'mmary"' not in after.replace('"summary"', "")
    # a value: the cursor after `"fr` in `"frontend_specialst"`
    agent = await _complete_at(session, log, '"frontend_specialst"', shift=3)
    assert agent.label == "frontend_specialist" and isinstance(agent.text_edit, lsp.TextEdit)
    after = _apply(session.texts[log], agent.text_edit, session)
    assert '"agent": "frontend_specialist",' in after and "ontend_specialst" not in after
    # a mention in Markdown: the cursor after `@pl` in `@planner`
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    mention = await _complete_at(session, proposed, "@planner Plan", shift=3)
    assert isinstance(mention.text_edit, lsp.TextEdit)
    assert "- [>] @planner Plan the next milestone" in _apply(session.texts[proposed], mention.text_edit, session)


async def _add_agent_action(session: Session, target: str, needle: str) -> lsp.CodeAction:
    diagnostics = await session.diagnostics(target)
    position = session.at(target, needle, shift=2)
    actions = await session.client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(target), lsp.Range(position, position), lsp.CodeActionContext(diagnostics)))
    found = [a for a in actions or [] if isinstance(a, lsp.CodeAction) and a.title.startswith("Add `")]
    assert len(found) == 1, [a.title for a in actions or [] if isinstance(a, lsp.CodeAction)]
    return found[0]


async def test_a_quick_fix_adds_an_unknown_agent_to_the_roster(session: Session) -> None:
    agents_path = session.codex / "AGENTS.md"
    before = agents_path.read_text(encoding="utf-8")
    proposed = session.open(session.codex / "PROPOSED-TASKS.md")
    session.replace(proposed, "@frontend_specialist Build the settings", "@designer Build the settings")
    action = await _add_agent_action(session, proposed, "@designer")
    assert action.title == "Add `designer` to the roster (AGENTS.md)" and action.command is not None
    assert [str(d.code) for d in action.diagnostics or []] == ["TC301"]
    result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        action.command.command, action.command.arguments))
    assert isinstance(result, dict) and result["ok"], result
    after = agents_path.read_text(encoding="utf-8")
    assert after.startswith(before)  # nothing the user wrote is lost
    assert after[len(before):] == "\n## Agent: `designer`\n\n- **Role:** Describe what designer does.\n"
    session.wrote(agents_path)
    await session.diagnostics_until(proposed, lambda found: "TC301" not in [str(d.code) for d in found],
                                    "TC301 to clear once the roster knows the agent")


async def test_the_add_agent_fix_edits_an_open_roster_in_its_buffer(session: Session) -> None:
    applied: list[lsp.ApplyWorkspaceEditParams] = []

    @session.client.feature(lsp.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
    def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        applied.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    agents_path = session.codex / "AGENTS.md"
    before = agents_path.read_bytes()
    roster = session.open(agents_path)
    log = session.open(session.codex / "TASK-LOG.json")
    action = await _add_agent_action(session, log, '"frontend_specialst"')
    assert action.title == "Add `frontend_specialst` to the roster (AGENTS.md)" and action.command is not None
    result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        action.command.command, action.command.arguments))
    assert isinstance(result, dict) and result["ok"], result
    [edit] = (applied[0].edit.changes or {})[roster]
    assert edit.new_text == "\n## Agent: `frontend_specialst`\n\n- **Role:** Describe what frontend_specialst does.\n"
    assert session.texts is not None
    end = lsp.Position(session.texts[roster].count("\n"), 0)  # appended after the buffer's last line
    assert edit.range == lsp.Range(end, end)
    assert agents_path.read_bytes() == before  # the file is the user's to save


async def test_add_agent_refuses_bad_names_and_known_agents(session: Session) -> None:
    before = (session.codex / "AGENTS.md").read_bytes()
    for spec, reason in (({"name": "9lives"}, "is not an agent name"), ({"name": "planner"}, "already in the roster"),
                         ({"name": "designer", "role": "UI\n## Agent: `evil`"}, "must be one line")):
        result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            "techcat.addAgent", [{"workspace": str(session.codex), **spec}]))
        assert isinstance(result, dict) and not result["ok"] and reason in result["message"], result
    assert (session.codex / "AGENTS.md").read_bytes() == before


async def test_log_from_git_follows_the_core_log_rules(session: Session) -> None:
    """Issue 15: the server built its own entry past the rules; now it calls the log-task use-case."""
    (session.root / "apps/web/home.tsx").write_text("// changed\n")
    log_path = session.codex / "TASK-LOG.json"
    before = log_path.read_bytes()
    for spec, reason in (({"agent": "ghost"}, "`ghost`"), ({"summary": "two\nlines"}, "has 2 lines")):
        result = await session.client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            "techcat.logFromGit", [{"workspace": str(session.codex), **spec}]))
        assert isinstance(result, dict) and not result["ok"] and reason in result["message"], result
    assert log_path.read_bytes() == before

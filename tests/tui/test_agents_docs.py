"""The agents view (roster, chain graph, track record) and the documents view (Markdown with contents)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import MarkdownViewer, OptionList, TextArea

from techcat_tui.chain_graph import chain_lines
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.documents_view import LARGE_DOCUMENT, DocumentsView
from tests.tui.helpers import make_app, screen_text, selected_agent, wait_for, wait_ready
from tests.wsbuilder import AGENTS_MD, make_workspace


def test_chain_graph_marks_cycles_and_unknown_agents() -> None:
    chains = {"a": ["b", "ghost"], "b": ["c"], "c": ["a", "task_logger"]}
    assert chain_lines("a", chains, {"a", "b", "c"}) == [
        "a",
        "├─▶ b",
        "│   └─▶ c",
        "│       ├─▶ a  ↺ cycle",
        "│       └─▶ task_logger",
        "└─▶ ghost  ✗ not in the roster",
    ]


async def test_agents_show_role_outputs_chain_and_track_record(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("2", "down")
        view = app.screen.query_one(AgentsView)
        assert selected_agent(view) == "frontend_specialist"
        text = screen_text(app)
        assert "Frontend Engineer" in text
        assert "apps/web/src/**" in text
        assert "└─▶ qa_engineer" in text and "└─▶ task_logger" in text  # the chain, two levels deep
        assert "8 tasks, last task-035 on 2025-07-25" in text
        await pilot.press("down", "down", "down", "down")
        assert selected_agent(view) == "doc_writer"
        assert "missing: prompts/doc_writer.md" in screen_text(app)
        await pilot.press("y")
        assert app.clipboard == "doc_writer"


async def test_free_form_agents_md_gets_guidance(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, agents="# Instructions\n\nRun the tests with `make test`.\n")
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("2")
        assert "free-form instructions, not a roster" in screen_text(app)


async def test_an_agents_md_that_is_not_utf8_says_it_cannot_be_read(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, extra={"AGENTS.md": AGENTS_MD.encode("utf-16")})  # saved by a Windows editor
    app = make_app(codex)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("2")
        text = screen_text(app)
        for part in ("AGENTS.md cannot be read as UTF-8: AGENTS.md:1:1: byte 0xff is not valid UTF-8", "(TC001)",
                     "See Problems"):  # the sentence wraps in the card
            assert part in text, part
        assert "free-form instructions" not in text and "is missing" not in text
        await pilot.press("5")
        await wait_for(pilot, lambda: "TC001" in screen_text(app), what="the diagnostic the guidance points to")


async def test_a_roster_with_one_bad_byte_still_shows_its_agents_with_a_warning(tmp_path: Path) -> None:
    latin1 = AGENTS_MD.replace("Propose the", "Propose \u00e9 the").encode("latin-1")  # é as the byte 0xe9
    codex = make_workspace(tmp_path, extra={"AGENTS.md": latin1})
    app = make_app(codex)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("2")
        assert selected_agent(app.screen.query_one(AgentsView)) == "planner"
        text = screen_text(app)
        assert "AGENTS.md cannot be read as UTF-8: AGENTS.md:6:21: byte 0xe9 is not valid UTF-8" in text
        assert "Task Forecaster" in text and "Propose � the next tasks" in text


async def test_documents_render_markdown_with_contents(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4")
        view = app.screen.query_one(DocumentsView)
        await wait_for(pilot, lambda: "Pawprint lets pet owners book" in screen_text(app), what="the PRD")
        assert "Success metrics" in screen_text(app)  # the table of contents
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: view.current is not None and view.current.ref.label == "Architecture",
                       what="the next document")
        await wait_for(pilot, lambda: "Architecture" in screen_text(app), what="the architecture text")
        assert view.query_one("#docs-viewer", MarkdownViewer).display
        await pilot.press("e")
        await wait_for(pilot, lambda: any("ARCHITECTURE.md yourself" in str(n.message) for n in app._notifications),
                       what="the editor notice")


async def test_a_large_document_uses_the_cheap_renderer(tmp_path: Path) -> None:
    sections = "".join(f"## Section {n}\n\n" + "Words about the system. " * 40 + "\n\n" for n in range(60))
    assert len(sections) > LARGE_DOCUMENT
    codex = make_workspace(tmp_path, architecture="# Architecture\n\n" + sections)
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4", "right_square_bracket")
        view = app.screen.query_one(DocumentsView)
        await wait_for(pilot, lambda: view.query_one("#docs-plain").display, what="the plain renderer")
        toc = view.query_one("#docs-toc", OptionList)
        assert toc.option_count == 61
        toc.focus()
        toc.highlighted = 41  # "Section 40"
        await pilot.press("enter")
        area = view.query_one("#docs-text", TextArea)
        assert area.document.get_line(area.cursor_location[0]) == "## Section 40"


async def test_a_missing_document_offers_init(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, prd=None)
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4")
        await wait_for(pilot, lambda: "PRD.md is missing" in screen_text(app), what="the guidance")
        await pilot.press("i")
        await wait_for(pilot, lambda: (codex / "PRD.md").exists(), what="techcat init")
        await wait_for(pilot, lambda: "Product requirements" in screen_text(app), what="the new PRD")


async def test_a_document_or_checklist_that_is_a_directory_is_not_called_missing(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, prd=None, proposed=None)
    (codex / "PRD.md").mkdir()
    (codex / "PROPOSED-TASKS.md").mkdir()
    app = make_app(codex)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4")
        await wait_for(pilot, lambda: "PRD.md cannot be read: it is a directory" in screen_text(app), what="PRD")
        assert "PRD.md is missing" not in screen_text(app)
        await pilot.press("3")
        await wait_for(pilot, lambda: "PROPOSED-TASKS.md cannot be read: it is a directory" in screen_text(app),
                       what="the checklist guidance")
        assert "is missing" not in screen_text(app)

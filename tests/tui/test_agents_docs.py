"""The agents view (roster, chain graph, track record) and the documents view (Markdown with contents)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import MarkdownViewer, OptionList, TextArea

from techcat_tui.chain_graph import chain_lines
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.documents_view import LARGE_DOCUMENT, DocumentsView
from tests.tui.helpers import make_app, screen_text, selected_agent, wait_for, wait_ready
from tests.wsbuilder import make_workspace


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

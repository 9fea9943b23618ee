"""The Docs tab row: every document's tab fits 160 columns, and at 80 a scroll bar shows that more follow."""

from __future__ import annotations

from pathlib import Path

from textual.containers import Container
from textual.widgets import Tab

from techcat_tui.widgets.documents_view import DocumentsView
from tests.tui.helpers import make_app, wait_for, wait_ready


async def test_every_document_tab_is_shown_at_160_columns(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4")
        docs = app.screen.query_one(DocumentsView)
        await wait_for(pilot, lambda: docs.current is not None, what="the PRD")
        await pilot.pause()
        tabs = list(app.screen.query("#docs-tabs Tab").results(Tab))
        assert len(tabs) == 9
        assert all(app.screen.region.contains_region(tab.region) for tab in tabs), [str(t.label) for t in tabs]
        assert [str(t.label) for t in tabs][3:] == ["backend_specialist.md", "devops_engineer.md",
                                                  "frontend_specialist.md", "planner.md", "qa_engineer.md",
                                                  "task_logger.md"]


async def test_at_80_columns_a_scroll_bar_says_more_documents_follow(sample: Path) -> None:
    app = make_app(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("4")
        docs = app.screen.query_one(DocumentsView)
        await wait_for(pilot, lambda: docs.current is not None, what="the PRD")
        await pilot.pause()
        row = app.screen.query_one("#docs-tabs #tabs-scroll", Container)
        assert row.max_scroll_x > 0 and row.show_horizontal_scrollbar
        await pilot.press(*["right_square_bracket"] * 8)  # to the last document
        await wait_for(pilot, lambda: docs.current is not None and docs.current.ref.label == "task_logger.md",
                       what="the last document")
        await pilot.pause()
        last = list(app.screen.query("#docs-tabs Tab").results(Tab))[-1]
        assert app.screen.region.contains_region(last.region)

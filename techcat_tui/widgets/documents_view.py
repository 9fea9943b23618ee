"""PRD, architecture, the roster and the prompts, rendered as Markdown with a table of contents.

Textual's `Markdown` widget takes seconds on a 20 KB document, so larger files are shown in a
read-only `TextArea` (which paints only visible lines) with a table of contents built from the
core's own heading list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import OptionList, Static, Tab, Tabs, TextArea
from textual.widgets.option_list import Option

from techcat_core.markdown_doc import Heading, parse_markdown
from techcat_core.workspace import AGENTS, ARCHITECTURE, PRD, Workspace, read_text
from techcat_tui.messages import EditRequested
from techcat_tui.unreadable import core_file_diagnostics, read_problem

if TYPE_CHECKING:
    from textual.widgets import MarkdownViewer

LARGE_DOCUMENT = 20_000  # characters; above this the cheap renderer is used


@dataclass(frozen=True, slots=True)
class DocumentRef:
    label: str
    path: Path


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    ref: DocumentRef
    text: str | None
    headings: list[Heading]


class DocumentRead(Message):
    def __init__(self, document: LoadedDocument, line: int | None) -> None:
        super().__init__()
        self.document = document
        self.line = line


def document_refs(ws: Workspace) -> list[DocumentRef]:
    refs = [DocumentRef("PRD", ws.path(PRD)), DocumentRef("Architecture", ws.path(ARCHITECTURE)),
            DocumentRef("Agents", ws.path(AGENTS))]
    refs += [DocumentRef(f"{name}.md", path) for name, path in sorted(ws.prompts.items())]  # short: the row fits
    return refs


def read_document(ref: DocumentRef, texts: dict[Path, str]) -> LoadedDocument:
    """The text (from the snapshot when it has it) and its headings; runs in a worker thread."""
    text = texts.get(ref.path)
    if text is None:
        text = read_text(ref.path)  # confined: no FIFO, no link out of the repository, bounded
        if text is None:
            return LoadedDocument(ref, None, [])
    return LoadedDocument(ref, text, parse_markdown(text, ref.path).headings)


class DocumentsView(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit_document", "Edit", id="docs.edit"),
        Binding("right_square_bracket", "next_document", "Next doc", id="docs.next"),
        Binding("left_square_bracket", "previous_document", "Prev doc", show=False, id="docs.previous"),
        Binding("T", "toggle_toc", "Contents", id="docs.toc"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.refs: list[DocumentRef] = []
        # tab ids carry the generation of the tab set: clearing the tabs completes later, and ids reused before
        # the old tabs are gone would collide (DuplicateIds took the app down when the documents changed twice)
        self.tab_generation = 0
        self.texts: dict[Path, str] = {}
        self.current: LoadedDocument | None = None
        self.active = False
        self._shown_text: str | None = None
        self.read_problems: dict[Path, str] = {}

    def compose(self) -> ComposeResult:
        yield Tabs(id="docs-tabs")
        yield Static("", id="docs-missing")
        from textual.widgets import MarkdownViewer  # about 30 ms of imports: only once the view mounts

        yield MarkdownViewer(id="docs-viewer", show_table_of_contents=True)
        with Horizontal(id="docs-plain"):
            yield OptionList(id="docs-toc")
            yield TextArea("", read_only=True, id="docs-text", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one("#docs-plain").display = False
        self.query_one("#docs-missing").display = False

    def load(self, ws: Workspace) -> None:
        """A new snapshot: keep the open document, re-read it if its text changed."""
        refs = document_refs(ws)
        self.texts = dict(ws.texts)
        diagnostics = core_file_diagnostics(ws)
        self.read_problems = {ws.path(name): problem for name in (PRD, ARCHITECTURE, AGENTS)
                              if (problem := read_problem(ws, name, diagnostics)) is not None}
        tabs = self.query_one("#docs-tabs", Tabs)
        current = self.current.ref if self.current else None
        if [r.path for r in refs] != [r.path for r in self.refs]:
            self.refs = refs
            self.tab_generation += 1
            tabs.clear()
            for number, ref in enumerate(refs):
                tabs.add_tab(Tab(ref.label, id=self.tab_id(number)))
            if current is not None and current in refs:
                tabs.active = self.tab_id(refs.index(current))
        if self.active:
            self._open(self._active_ref(), None)

    def tab_id(self, number: int) -> str:
        return f"doc-{self.tab_generation}-{number}"

    def activate(self) -> None:
        """The view became visible: render now (documents are not rendered while hidden)."""
        self.active = True
        self._open(self._active_ref(), None)

    def _active_ref(self) -> DocumentRef | None:
        active = self.query_one("#docs-tabs", Tabs).active
        if not active or not self.refs:
            return self.refs[0] if self.refs else None
        number = int(active.rpartition("-")[2])
        return self.refs[number] if number < len(self.refs) else None

    def open_path(self, path: Path, line: int | None) -> bool:
        for number, ref in enumerate(self.refs):
            if ref.path == path:
                self.active = True
                with self.prevent(Tabs.TabActivated):
                    self.query_one("#docs-tabs", Tabs).active = self.tab_id(number)
                self._open(ref, line)
                return True
        return False

    @on(Tabs.TabActivated, "#docs-tabs")
    def _tab_activated(self) -> None:
        if self.active:
            self._open(self._active_ref(), None)

    def _open(self, ref: DocumentRef | None, line: int | None) -> None:
        if ref is None:
            return
        self._read(ref, line)

    @work(thread=True, exclusive=True, group="docs-read", exit_on_error=False)
    def _read(self, ref: DocumentRef, line: int | None) -> None:
        self.post_message(DocumentRead(read_document(ref, self.texts), line))

    async def on_document_read(self, message: DocumentRead) -> None:
        document = message.document
        if document.ref != self._active_ref():
            return
        self.current = document
        missing = self.query_one("#docs-missing", Static)
        viewer = self.query_one("#docs-viewer", _markdown_viewer())
        plain = self.query_one("#docs-plain")
        problem = self.read_problems.get(document.ref.path)
        if document.text is None:
            missing.update(f"[$text-error]{escape(problem)}[/]" if problem else
                           f"{document.ref.path.name} is missing. Press [b]i[/b] to create the missing files "
                           "(`techcat init` never overwrites a file), then edit it with [b]e[/b].")
            missing.display, viewer.display, plain.display = True, False, False
            return
        if problem:  # readable, with replacement characters: say so above the text
            missing.update(f"[$text-warning]{escape(problem)}[/]")
        missing.display = bool(problem)
        large = len(document.text) > LARGE_DOCUMENT
        viewer.display, plain.display = not large, large
        if large:
            area = self.query_one("#docs-text", TextArea)
            if self._shown_text != document.text:
                area.load_text(document.text)
            toc = self.query_one("#docs-toc", OptionList)
            toc.clear_options()
            for heading in document.headings:
                toc.add_option(Option("  " * (heading.level - 1) + heading.text, id=str(heading.line)))
        elif self._shown_text != document.text:
            await viewer.document.update(document.text)
        self._shown_text = document.text
        if message.line is not None:
            self.goto_line(message.line)

    def goto_line(self, line: int) -> None:
        """Show the 0-based `line`: the cursor in the plain view, the nearest heading in the Markdown view."""
        document = self.current
        if document is None or document.text is None:
            return
        if len(document.text) > LARGE_DOCUMENT:
            area = self.query_one("#docs-text", TextArea)
            area.cursor_location = (line, 0)
            area.scroll_cursor_visible(center=True)
            return
        before = [n for n, heading in enumerate(document.headings) if heading.line <= line]
        viewer = self.query_one("#docs-viewer", _markdown_viewer())
        toc = viewer.document.table_of_contents
        if before and before[-1] < len(toc):
            block_id = toc[before[-1]][2]
            if block_id:
                viewer.document.query_one(f"#{block_id}").scroll_visible(top=True, animate=False)

    @on(OptionList.OptionSelected, "#docs-toc")
    def _toc_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.goto_line(int(event.option.id))
            self.query_one("#docs-text", TextArea).focus()

    def action_edit_document(self) -> None:
        ref = self._active_ref()
        if ref is not None:
            self.post_message(EditRequested(ref.path, None))

    def _switch(self, step: int) -> None:
        if not self.refs:
            return
        ref = self._active_ref()
        number = self.refs.index(ref) if ref in self.refs else 0
        self.query_one("#docs-tabs", Tabs).active = self.tab_id((number + step) % len(self.refs))

    def action_next_document(self) -> None:
        self._switch(1)

    def action_previous_document(self) -> None:
        self._switch(-1)

    def action_toggle_toc(self) -> None:
        viewer = self.query_one("#docs-viewer", _markdown_viewer())
        viewer.show_table_of_contents = not viewer.show_table_of_contents
        toc = self.query_one("#docs-toc", OptionList)
        toc.display = viewer.show_table_of_contents


def _markdown_viewer() -> type[MarkdownViewer]:
    from textual.widgets import MarkdownViewer

    return MarkdownViewer

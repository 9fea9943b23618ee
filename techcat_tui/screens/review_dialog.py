"""Review before it lands (issue 13 §4): a run's changes, file by file, approved or discarded by the user.

The run waits on `review_in_dialog`, the `RunRequest.review` callback, which shows this dialog and returns
the decision; nothing is applied or logged before it returns. Escape does not decide for the user: the
run's work would be lost on a reflex, so it only says which keys do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, OptionList
from textual.widgets.option_list import Option

from techcat_core.runtime.changes import ChangeSet, FileChange, ReviewDecision
from techcat_tui.widgets.diff_view import DiffView, visible

if TYPE_CHECKING:
    from textual.app import App

MARKS = {"added": "A", "modified": "M", "deleted": "D"}  # a letter as well as a colour: readable in monochrome


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One changed file's diff lines and counts, computed once (a big file's diff takes a moment)."""

    change: FileChange
    lines: list[str]
    added: int
    removed: int

    @classmethod
    def of(cls, change: FileChange) -> FileDiff:
        lines = change.diff().splitlines()
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        return cls(change, lines or [f"{change.path}: no textual change"], added, removed)

    def label(self) -> Text:
        label = Text.assemble((f"{MARKS[self.change.kind]} ", "bold"), visible(self.change.path), "  ")
        label.append(f"+{self.added}", "green")
        label.append(" ")
        label.append(f"-{self.removed}", "red")
        return label


class ReviewDialog(ModalScreen[ReviewDecision]):
    """The run's changed files on the left, the selected one's diff on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "decide('approve')", "Approve", id="review.approve"),
        Binding("d", "decide('discard')", "Discard", id="review.discard"),
        Binding("j", "move(1)", "Next file", id="review.next"),
        Binding("k", "move(-1)", "Previous file", show=False, id="review.previous"),
        # priority: the file list has focus and would take page keys for itself
        Binding("pagedown,space", "scroll_diff(1)", "Scroll", id="review.scroll", priority=True),
        Binding("pageup", "scroll_diff(-1)", "Scroll up", show=False, id="review.scroll_up", priority=True),
        Binding("escape", "explain", "Close", show=False, id="review.escape"),
    ]

    def __init__(self, agent: str, changes: ChangeSet) -> None:
        super().__init__(classes="dialog")
        self.agent = agent
        self.changes = changes
        self.diffs = {change.path: FileDiff.of(change) for change in changes.changes}
        self.shown: str | None = None  # the path whose diff is on screen

    def compose(self) -> ComposeResult:
        count = len(self.changes.changes)
        with Vertical(classes="dialog-box wide", id="review-dialog"):
            yield Label(f"[b]Review {escape(self.agent)}'s changes[/]: {count} file{'s' if count != 1 else ''}; "
                        "nothing lands until you approve", id="review-title")
            with Horizontal(id="review-panes"):
                yield OptionList(*(Option(diff.label(), id=path) for path, diff in self.diffs.items()),
                                 id="review-files", compact=True)
                yield DiffView(id="review-diff")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve (a)", variant="success", id="review-approve")
                yield Button("Discard (d)", variant="error", id="review-discard")
        yield Footer()

    def on_mount(self) -> None:
        files = self.query_one("#review-files", OptionList)
        files.focus()
        if self.changes.changes:
            files.highlighted = 0
            self.show_file(self.changes.changes[0].path)

    def show_file(self, path: str) -> None:
        diff = self.diffs.get(path)
        if diff is not None:
            self.query_one("#review-diff", DiffView).show(diff.lines)
            self.shown = path

    @on(OptionList.OptionHighlighted, "#review-files")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show_file(event.option.id)

    def action_move(self, step: int) -> None:
        files = self.query_one("#review-files", OptionList)
        if files.option_count:
            current = files.highlighted if files.highlighted is not None else 0
            files.highlighted = max(0, min(files.option_count - 1, current + step))

    def action_scroll_diff(self, direction: int) -> None:
        diff = self.query_one("#review-diff", DiffView)
        if direction > 0:
            diff.scroll_page_down(animate=False)
        else:
            diff.scroll_page_up(animate=False)

    def action_explain(self) -> None:
        self.notify("Approve (a) applies these changes and logs the run; discard (d) drops them and logs nothing.",
                    timeout=4)

    @on(Button.Pressed, "#review-approve")
    def _approve(self) -> None:
        self.action_decide("approve")

    @on(Button.Pressed, "#review-discard")
    def _discard(self) -> None:
        self.action_decide("discard")

    def action_decide(self, decision: ReviewDecision) -> None:
        self.dismiss(decision)


async def review_in_dialog(app: App[object], agent: str, changes: ChangeSet) -> ReviewDecision:
    """Show the dialog and wait for the user's decision; a run cancelled meanwhile closes the dialog unanswered."""
    decided: asyncio.Future[ReviewDecision] = asyncio.get_running_loop().create_future()

    def resolve(decision: ReviewDecision | None) -> None:
        if not decided.done():
            decided.set_result(decision if decision is not None else "discard")

    dialog = ReviewDialog(agent, changes)
    app.push_screen(dialog, resolve)
    try:
        return await decided
    except asyncio.CancelledError:
        if dialog.is_attached and dialog in app.screen_stack:
            dialog.dismiss(None)
        raise

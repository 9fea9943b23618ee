"""Commit chosen files with a prefilled message; nothing else the user has staged is swept in."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from techcat_tui.widgets.tick_boxes import TickSelectionList


class CommitDialog(ModalScreen[tuple[list[str], str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "commit", "Commit", id="commit.submit"),
    ]

    def __init__(self, files: list[str], selected: set[str], message: str) -> None:
        super().__init__(classes="dialog")
        self.files = files
        self.selected = selected
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label("[b]Commit[/]  [$text-muted]space toggles a file · ctrl+s commits[/]")
            yield TickSelectionList[str](*((name, name, name in self.selected) for name in self.files),
                                         id="commit-files")
            yield Input(self.message, placeholder="Commit message", id="commit-message")
            yield Static("", id="commit-problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Commit", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def action_commit(self) -> None:
        files = list(self.query_one("#commit-files", SelectionList).selected)
        message = self.query_one("#commit-message", Input).value.strip()
        problem = self.query_one("#commit-problem", Static)
        if not files:
            problem.update("Choose at least one file (space toggles).")
            return
        if not message:
            problem.update("Write a commit message.")
            return
        self.dismiss(([f for f in self.files if f in files], message))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

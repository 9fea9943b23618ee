"""Small modal dialogs: a text prompt, a new checklist item, a choice from a list, the copy fallback."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option


class TextPrompt(ModalScreen[str | None]):
    """One line of text; enter accepts, escape cancels (returns None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, prompt: str, *, value: str = "", placeholder: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"[b]{escape(self.title_text)}[/]")
            yield Static(escape(self.prompt), classes="dialog-text")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _accept(self) -> None:
        self.dismiss(self.query_one("#prompt-input", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AddItemDialog(ModalScreen[tuple[str, str | None] | None]):
    """A new `- [ ] @agent title` line for PROPOSED-TASKS.md."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, agents: list[str]) -> None:
        super().__init__(classes="dialog")
        self.agents = agents

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("[b]New proposed task[/]")
            yield Input(placeholder="What should be done", id="item-title")
            yield Select[str]([(name, name) for name in self.agents], prompt="agent (optional)", id="item-agent")
            yield Static("", id="item-problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _accept(self) -> None:
        title = self.query_one("#item-title", Input).value.strip()
        if not title:
            self.query_one("#item-problem", Static).update("A proposed task needs a title.")
            return
        agent = self.query_one("#item-agent", Select).value
        self.dismiss((title, agent if isinstance(agent, str) else None))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[int | None]):
    """Pick one of several labelled choices (the fixes of a diagnostic)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, choices: list[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"[b]{escape(self.title_text)}[/]")
            yield OptionList(*(Option(escape(choice), id=str(n)) for n, choice in enumerate(self.choices)),
                             id="choices")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
                                             Binding("y", "confirm", "Yes", id="dialog.yes")]

    def __init__(self, title: str, text: str, confirm: str = "Yes") -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.text = text
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"[b]{escape(self.title_text)}[/]")
            yield Static(self.text, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm_label, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#ok")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class CopyFallbackDialog(ModalScreen[None]):
    """When no clipboard route is likely to work: the text, selected, to copy with the terminal's own means."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="dialog.cancel")]

    def __init__(self, text: str, label: str) -> None:
        super().__init__(classes="dialog")
        self.text = text
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Label(f"[b]Copy {escape(self.label)}[/]")
            yield Static("This terminal may not accept clipboard writes (OSC 52) and no clipboard tool was found. "
                         "Select the text below with the mouse (shift+drag in most terminals) and copy it.",
                         classes="dialog-text")
            yield TextArea(self.text, read_only=True, id="copy-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        area = self.query_one("#copy-text", TextArea)
        area.focus()
        area.select_all()

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        self.dismiss(None)

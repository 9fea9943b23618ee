"""When there is no `.codex/` folder: what TechCat needs, and two ways to get going."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from techcat_tui.paths import display_path


class WelcomeChoice(Message):
    def __init__(self, choice: str) -> None:
        super().__init__()
        self.choice = choice  # "init" or "demo"


class WelcomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "choose('init')", "Create .codex/ here", id="welcome.init"),
        Binding("d", "choose('demo')", "Open the demo", id="welcome.demo"),
        Binding("q", "app.quit", "Quit", id="welcome.quit"),
    ]

    def __init__(self, start: Path, problem: str | None = None) -> None:
        super().__init__()
        self.start = start
        self.problem = problem

    def compose(self) -> ComposeResult:
        text = (f"[b $text-accent]◆ TechCat Studio[/]\n\n"
                f"No [b].codex/[/] folder was found in [b]{escape(display_path(self.start))}[/] or any folder "
                "above it.\n\n"
                "TechCat shows and checks the .codex/ folder where AI agents keep their memory: the roster "
                "(AGENTS.md), the PRD, the architecture, the proposed tasks and the task log.\n\n"
                "[b]i[/]  create .codex/ here (as `techcat init`: five starter files, nothing is overwritten)\n"
                "[b]d[/]  open a copy of the sample workspace, which needs no API key\n"
                "[b]q[/]  quit; or start TechCat with --workspace PATH")
        if self.problem:
            text += f"\n\n[$text-error]{escape(self.problem)}[/]"
        with Center(), Vertical(id="welcome-box"):
            yield Static(text, id="welcome-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create .codex/ here", variant="primary", id="init")
                yield Button("Open the demo", id="demo")
        yield Footer()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        self.post_message(WelcomeChoice(choice))

"""The help screen: every key, grouped by view, with its binding id for remapping in tui.toml."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from techcat_tui.config import config_path

_KEY_NAMES = {"question_mark": "?", "slash": "/", "left_square_bracket": "[", "right_square_bracket": "]",
              "escape": "esc", "enter": "enter"}


def key_label(keys: str) -> str:
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def binding_table(title: str, bindings: list[BindingType], keymap: dict[str, str]) -> RenderableType:
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None,
                  padding=(0, 2, 0, 0), expand=False)
    table.add_column(style="bold", no_wrap=True, min_width=18)
    table.add_column(min_width=22)
    table.add_column(style="dim", no_wrap=True)
    for binding in bindings:
        if isinstance(binding, Binding):
            table.add_row(key_label(keymap.get(binding.id or "", binding.key)), binding.description or binding.action,
                          binding.id or "")
    return table


class HelpScreen(ModalScreen[None]):
    CLOSE_KEYS: ClassVar[str] = "escape,q,question_mark,f1"
    BINDINGS: ClassVar[list[BindingType]] = [Binding(CLOSE_KEYS, "close", "Close", id="help.close")]

    def __init__(self, groups: list[tuple[str, list[BindingType]]], keymap: dict[str, str]) -> None:
        super().__init__(classes="dialog")
        self.groups = groups
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        keymap = self.keymap
        intro = Text.assemble(
            ("TechCat Studio", "bold"), ": the cockpit for a .codex/ agent-memory folder.\n",
            "Quit with ", (key_label(keymap.get("app.quit", "q")), "bold"), ", or ",
            (key_label(keymap.get("app.quit_anywhere", "ctrl+q")), "bold"),
            " anywhere (in Proposed q queues an item, in a text field it is typed, and a dialog ignores it).\n",
            "Every action is also in the command palette (", ("ctrl+p", "bold"), "). Keys that terminals often "
            "swallow have an alternative: ctrl+enter is also ctrl+s and F5.\n",
            "Remap keys in ", (str(config_path()), "bold"), ": under [keys], \"binding.id\" = \"key1,key2\".\n")
        parts: list[RenderableType] = [intro]
        for title, bindings in self.groups:
            parts += [binding_table(title, bindings, self.keymap), Text("")]
        parts.append(Text("Mouse: click rows, tabs and column titles (sorts); the wheel scrolls.", style="dim"))
        with VerticalScroll(classes="dialog-box wide", id="help-box") as box:
            box.border_title = "Help"
            close = self.keymap.get("help.close", self.CLOSE_KEYS)
            box.border_subtitle = f"{key_label(close)} closes · ↑ ↓ PgUp PgDn scroll"  # shown however small
            yield Static(Group(*parts), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)

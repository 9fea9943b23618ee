"""The help screen: every key, grouped by view, with its binding id for remapping in tui.toml."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from techcat_tui.config import config_path


def binding_rows(title: str, bindings: list[BindingType], keymap: dict[str, str]) -> list[str]:
    rows = [f"\n[b $text-accent]{escape(title)}[/]"]
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        keys = keymap.get(binding.id or "", binding.key)
        shown = " / ".join(k.strip() for k in keys.split(","))
        rows.append(f"  [b]{escape(shown):<22}[/] {escape(binding.description or binding.action):<26}"
                    f"[$text-muted]{escape(binding.id or '')}[/]")
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close",
                                                     id="help.close")]

    def __init__(self, groups: list[tuple[str, list[BindingType]]], keymap: dict[str, str]) -> None:
        super().__init__(classes="dialog")
        self.groups = groups
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        lines = ["[b]TechCat Studio[/]: the cockpit for a .codex/ agent-memory folder.",
                 "Every action is also in the command palette ([b]ctrl+p[/]). Keys that terminals often swallow "
                 "have an alternative (ctrl+enter: ctrl+s or F5).",
                 f"Remap a key in [b]{escape(str(config_path()))}[/]: under [b][keys][/], "
                 "\"binding.id\" = \"key1,key2\"."]
        for title, bindings in self.groups:
            lines += binding_rows(title, bindings, self.keymap)
        lines += ["", "[$text-muted]Mouse: click rows, tabs and column titles (sorts); the wheel scrolls.[/]"]
        with VerticalScroll(classes="dialog-box wide", id="help-box"):
            yield Static("\n".join(lines), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)

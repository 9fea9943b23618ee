"""The dialog before an agent run: which agent, what task, commit or not, follow chains, review before applying."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, Select, Static, TextArea

from techcat_core.workspace import Workspace
from techcat_tui.widgets.tick_boxes import TickBox


@dataclass(frozen=True, slots=True)
class RunOptions:
    agent: str
    task: str
    commit: bool
    chain: bool
    proposed_item: int | None
    review: bool = False  # show the changes in the review dialog; they land only when approved


def provider_note(ws: Workspace) -> tuple[str, str | None]:
    """Where the run would go, in one line of markup, and the settings problem that stops it, if any.

    As the runner decides it (`workspace_settings`): a techcat.toml that did not parse or validate is
    refused with its location, never replaced by defaults that could send the work elsewhere. Only
    `label` is shown, never the base URL itself (it may hold credentials). Does not build the prompt
    (that reads the whole log).
    """
    from techcat_core.runtime.settings import SETUP_HINT, SettingsError, workspace_settings

    try:
        settings = workspace_settings(ws)
    except SettingsError as error:
        return f"[$text-error]{escape(str(error))}[/]", str(error)
    if settings.kind == "dry-run":
        return f"[$text-warning]{escape(SETUP_HINT)}[/]", None
    return f"Provider [b]{escape(settings.label)}[/] · model [b]{escape(settings.model)}[/]", None


def with_current_config(ws: Workspace) -> Workspace:
    """`ws` with techcat.toml read again from disk: it may have been fixed since the snapshot was taken."""
    from techcat_core.config import TechcatConfig, parse_config
    from techcat_core.workspace import CONFIG, read_text

    text = read_text(ws.path(CONFIG))
    config, problems = parse_config(text) if text is not None else (TechcatConfig(), [])
    return replace(ws, config=config, config_problems=problems)


class RunDialog(ModalScreen[RunOptions | None]):
    """ctrl+enter runs; terminals and tmux often swallow it, so ctrl+s and F5 do the same."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+enter,ctrl+s,f5", "run", "Run", id="run.submit", priority=True),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, ws: Workspace, agent: str | None, task: str, proposed_item: int | None) -> None:
        super().__init__(classes="dialog")
        self.ws = ws
        self.agent = agent
        self.task_text = task
        self.proposed_item = proposed_item

    def compose(self) -> ComposeResult:
        names = [a.name for a in self.ws.agents]
        if "task_logger" not in names:
            names.append("task_logger")
        source = f" (proposed item {self.proposed_item})" if self.proposed_item else ""
        with Vertical(classes="dialog-box wide", id="run-dialog"):
            yield Label(f"[b]Run an agent[/]{escape(source)}  [$text-muted]ctrl+enter / ctrl+s / F5 runs[/]")
            chosen = self.agent if self.agent and self.agent in names else Select.NULL
            yield Select[str]([(n, n) for n in names], value=chosen, prompt="agent", id="run-agent", compact=True)
            yield TextArea(self.task_text, id="run-task", soft_wrap=True)
            with Horizontal(id="run-options"):
                yield TickBox("run chained agents", True, id="run-chain", compact=True)
                yield TickBox("commit the result", False, id="run-commit", compact=True)
                yield TickBox("review before applying", False, id="run-review", compact=True)
            yield Static(provider_note(self.ws)[0], id="run-provider", classes="dialog-text")
            yield Static("", id="run-problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._review_for(self.agent)
        area = self.query_one("#run-task", TextArea)
        if self.agent:
            area.focus()
            area.move_cursor(area.document.end)

    @on(Select.Changed, "#run-agent")
    def _agent_chosen(self, event: Select.Changed) -> None:
        self._review_for(event.value if isinstance(event.value, str) else None)

    def _review_for(self, agent: str | None) -> None:
        """An agent `[review] agents` in techcat.toml names is always reviewed: shown ticked, and not to untick."""
        from techcat_core.runtime.review import listed_for_review

        box = self.query_one("#run-review", Checkbox)
        listed = agent is not None and listed_for_review(self.ws, agent)
        if listed:
            box.value = True
        box.disabled = listed
        box.tooltip = "techcat.toml's [review] agents names this agent: its changes always wait for review" \
            if listed else None

    @on(Button.Pressed, "#ok")
    def action_run(self) -> None:
        agent = self.query_one("#run-agent", Select).value
        task = self.query_one("#run-task", TextArea).text.strip()
        problem = self.query_one("#run-problem", Static)
        if not isinstance(agent, str):
            problem.update("Choose an agent.")
            return
        if not task:
            problem.update("Describe the task for the agent.")
            return
        note, refused = provider_note(with_current_config(self.ws))
        self.query_one("#run-provider", Static).update(note)
        if refused is not None:
            problem.update("Fix the provider settings above first; nothing was sent.")
            return
        self.dismiss(RunOptions(agent, task, self.query_one("#run-commit", Checkbox).value,
                                self.query_one("#run-chain", Checkbox).value, self.proposed_item,
                                self.query_one("#run-review", Checkbox).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

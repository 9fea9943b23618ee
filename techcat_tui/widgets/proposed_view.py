"""The proposed-tasks checklist: run the selected item with its agent, queue it (`[>]`), tick it, add one."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from techcat_core.proposed import STATE_DONE, STATE_PROPOSED, STATE_QUEUED, ProposedItem
from techcat_core.workspace import PROPOSED, Workspace
from techcat_tui.log_rows import AgentStats
from techcat_tui.messages import (
    CopyRequested,
    EditRequested,
    ProposedAddRequested,
    ProposedEditRequested,
    RunRequested,
)
from techcat_tui.unreadable import read_problem
from techcat_tui.widgets.item_list import ItemList

MARKS = {STATE_PROPOSED: "[$text-muted]○[/]", STATE_QUEUED: "[$text-warning]▶[/]", STATE_DONE: "[$text-success]✓[/]"}


class ProposedView(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_item", "Run…", id="proposed.run"),
        Binding("q", "queue_item", "Queue", id="proposed.queue"),
        Binding("x", "tick_item", "Tick…", id="proposed.tick"),
        Binding("o", "reopen_item", "Reopen", id="proposed.reopen"),
        Binding("n", "add_item", "New…", id="proposed.add"),
        Binding("e", "edit_item", "Edit", id="proposed.edit"),
        Binding("y", "copy_item", "Copy", show=False, id="proposed.copy"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workspace: Workspace | None = None
        self.items: list[ProposedItem] = []
        self.stats: dict[str, AgentStats] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="proposed-summary")
        yield ItemList(id="proposed-list")
        yield Static("", id="proposed-item")

    def load(self, workspace: Workspace, stats: dict[str, AgentStats]) -> None:
        self.workspace = workspace
        self.stats = stats
        current = self.selected_item()
        proposed = workspace.proposed
        self.items = proposed.items if proposed else []
        options = self.query_one("#proposed-list", OptionList)
        options.clear_options()
        summary = self.query_one("#proposed-summary", Static)
        problem = read_problem(workspace, PROPOSED)
        if proposed is None and problem:
            summary.update(f"[$text-error]{escape(problem)}[/]")
            self._show_item()
            return
        if proposed is None:
            summary.update("PROPOSED-TASKS.md is missing. Press [b]n[/b] to add a first task (the file is created), "
                           "or [b]i[/b] to create every missing file.")
            self._show_item()
            return
        if not self.items:
            summary.update("No proposed tasks yet. Press [b]n[/b] to add one, e.g. `@planner Plan the next "
                           "milestone`.")
            self._show_item()
            return
        known = workspace.agent_names | {"task_logger"}
        for item in self.items:
            agent = ""
            if item.agent:
                colour = "$text-secondary" if item.agent in known or not workspace.agents else "$text-error"
                agent = f"[{colour}]@{escape(item.agent)}[/] "
            title = escape(item.title)
            if item.state == STATE_DONE:
                title = f"[$text-muted]{title}[/]"
            ids = " ".join(f"[$text-accent]{escape(task_id)}[/]" for task_id, _ in item.task_ids)
            options.add_option(Option(f"{MARKS.get(item.state, '?')} [$text-muted]{item.number:>2}[/] {agent}{title}"
                                      f"{' ' + ids if ids else ''}", id=str(item.number)))
        counts = {state: sum(1 for i in self.items if i.state == state) for state in MARKS}
        summary.update(f"{counts[STATE_PROPOSED]} proposed · [$text-warning]{counts[STATE_QUEUED]} queued[/] · "
                       f"[$text-success]{counts[STATE_DONE]} done[/]   [$text-muted]r run · q queue · x tick · "
                       "o reopen · n new[/]")
        if current is not None:
            self.select_number(current.number)
        else:
            options.highlighted = 0
        self._show_item()

    def selected_item(self) -> ProposedItem | None:
        if not self.is_mounted:
            return None
        index = self.query_one("#proposed-list", OptionList).highlighted
        return self.items[index] if index is not None and index < len(self.items) else None

    def select_number(self, number: int) -> bool:
        if 1 <= number <= len(self.items):
            self.query_one("#proposed-list", OptionList).highlighted = number - 1
            self._show_item()
            return True
        return False

    def select_line(self, line: int) -> bool:
        for item in self.items:
            if item.line == line:
                return self.select_number(item.number)
        return False

    @on(OptionList.OptionHighlighted, "#proposed-list")
    def _highlighted(self) -> None:
        self._show_item()

    @on(OptionList.OptionSelected, "#proposed-list")
    def _chosen(self) -> None:
        self.action_run_item()

    def _show_item(self) -> None:
        item = self.selected_item()
        panel = self.query_one("#proposed-item", Static)
        if item is None:
            panel.update("")
            return
        state = {STATE_PROPOSED: "proposed", STATE_QUEUED: "queued to run", STATE_DONE: "done"}.get(item.state, "?")
        agent = item.agent or "no agent named (add @name to the item)"
        lines = [f"[b]#{item.number}[/] {state} · line {item.line + 1} · agent [b]{escape(agent)}[/]"]
        if item.agent and item.agent in self.stats:
            stats = self.stats[item.agent]
            lines.append(f"[$text-muted]{escape(item.agent)} has done {stats.tasks:,} tasks, last "
                         f"{escape(stats.last_task)} on {escape(stats.last_date)}[/]")
        panel.update("\n".join(lines))

    def _item_or_warn(self) -> ProposedItem | None:
        item = self.selected_item()
        if item is None:
            self.notify("No proposed task is selected.", severity="warning")
        return item

    def action_run_item(self) -> None:
        item = self._item_or_warn()
        if item is None:
            return
        if item.state == STATE_DONE:
            self.notify(f"Item {item.number} is already done.", severity="warning")
        self.post_message(RunRequested(item.agent, item.title, item.number))

    def action_queue_item(self) -> None:
        item = self._item_or_warn()
        if item is None:
            return
        if item.state == STATE_DONE:
            self.notify(f"Item {item.number} is done; press o to reopen it first.", severity="warning")
            return
        self.post_message(ProposedEditRequested(item.number, "unqueue" if item.state == STATE_QUEUED else "queue",
                                                item.text))

    def action_tick_item(self) -> None:
        item = self._item_or_warn()
        if item is None:
            return
        from techcat_tui.screens.dialogs import TextPrompt

        suggestion = self.stats[item.agent].last_task if item.agent and item.agent in self.stats else ""

        def ticked(task_id: str | None) -> None:
            if task_id is not None:
                self.post_message(ProposedEditRequested(item.number, "tick", item.text, task_id.strip() or None))

        self.app.push_screen(TextPrompt(f"Tick item {item.number} as done",
                                        "The task id of the log entry that did it (leave empty for none):",
                                        value=suggestion, placeholder="task-042"), ticked)

    def action_reopen_item(self) -> None:
        item = self._item_or_warn()
        if item is not None and item.state != STATE_PROPOSED:
            self.post_message(ProposedEditRequested(item.number, "reopen", item.text))

    def action_add_item(self) -> None:
        from techcat_tui.screens.dialogs import AddItemDialog

        agents = sorted(self.workspace.agent_names) if self.workspace else []

        def added(result: tuple[str, str | None] | None) -> None:
            if result is not None:
                self.post_message(ProposedAddRequested(*result))

        self.app.push_screen(AddItemDialog(agents), added)

    def action_edit_item(self) -> None:
        if self.workspace is None:
            return
        item = self.selected_item()
        self.post_message(EditRequested(self.workspace.codex_dir / "PROPOSED-TASKS.md",
                                        item.line + 1 if item else None))

    def action_copy_item(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.post_message(CopyRequested(item.text, f"item {item.number}"))

"""The roster: each agent's role, responsibilities, outputs, chain (as a small graph) and track record."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from techcat_core.roster import Agent
from techcat_core.workspace import AGENTS, Workspace
from techcat_tui.chain_graph import chain_lines, invoked_by
from techcat_tui.log_rows import AgentStats
from techcat_tui.messages import CopyRequested, EditRequested, RunRequested
from techcat_tui.unreadable import read_problem
from techcat_tui.widgets.item_list import ItemList


class AgentsView(Horizontal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_agent", "Run…", id="agents.run"),
        Binding("e", "edit_agent", "Edit", id="agents.edit"),
        Binding("p", "edit_prompt", "Prompt", id="agents.prompt"),
        Binding("y", "copy_name", "Copy name", id="agents.copy"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workspace: Workspace | None = None
        self.stats: dict[str, AgentStats] = {}
        self.agents: list[Agent] = []
        self.read_problem: str | None = None

    def compose(self) -> ComposeResult:
        yield ItemList(id="agents-list")
        with VerticalScroll(id="agent-detail"):
            yield Static("", id="agent-card")

    def load(self, workspace: Workspace, stats: dict[str, AgentStats]) -> None:
        self.workspace = workspace
        self.stats = stats
        self.agents = workspace.agents
        options = self.query_one("#agents-list", OptionList)
        selected = self.selected_agent()
        options.clear_options()
        self.read_problem = read_problem(workspace, AGENTS)
        if not self.agents:
            if self.read_problem:  # not "missing" nor "free-form instructions": the file itself is the problem
                self.query_one("#agent-card", Static).update(f"[$text-error]{escape(self.read_problem)}[/]")
                return
            kind = workspace.roster.kind if workspace.roster else "missing"
            guidance = {
                "missing": "AGENTS.md is missing. Press [b]i[/b] to create the missing files (`techcat init` never "
                           "overwrites anything).",
                "empty": "AGENTS.md is empty. Add a section per agent: `## Agent: name` with **Role:** and **Goal:**.",
                "instructions": "AGENTS.md holds free-form instructions, not a roster, so there are no agents "
                                "to show. Add `## Agent: name` sections to define some.",
            }.get(kind, "")
            self.query_one("#agent-card", Static).update(guidance)
            return
        for agent in self.agents:
            count = self.stats.get(agent.name)
            options.add_option(Option(f"{escape(agent.name)}  [$text-muted]{count.tasks if count else 0}[/]",
                                      id=agent.name))
        names = [a.name for a in self.agents]
        options.highlighted = names.index(selected.name) if selected and selected.name in names else 0
        self._show(self.selected_agent())

    def selected_agent(self) -> Agent | None:
        options = self.query_one("#agents-list", OptionList)
        index = options.highlighted
        if index is None or index >= len(self.agents):
            return None
        return self.agents[index]

    def select(self, name: str) -> bool:
        for number, agent in enumerate(self.agents):
            if agent.name == name:
                self.query_one("#agents-list", OptionList).highlighted = number
                self._show(agent)
                return True
        return False

    def select_line(self, line: int) -> bool:
        """Select the agent whose AGENTS.md section holds `line` (0-based)."""
        for agent in self.agents:
            if agent.origin == "AGENTS.md" and agent.section.start.line <= line <= agent.section.end.line:
                return self.select(agent.name)
        return False

    @on(OptionList.OptionHighlighted, "#agents-list")
    def _highlighted(self) -> None:
        self._show(self.selected_agent())

    @on(OptionList.OptionSelected, "#agents-list")
    def _chosen(self) -> None:
        self.query_one("#agent-detail").focus()

    def _show(self, agent: Agent | None) -> None:
        card = self.query_one("#agent-card", Static)
        if agent is None or self.workspace is None:
            card.update("")
            return
        ws = self.workspace
        chains = {a.name: [link.target for link in a.chains] for a in self.agents}
        known = ws.agent_names
        lines = [f"[b $text-accent]{escape(agent.name)}[/]  {escape(agent.role)}"]
        if self.read_problem and agent.origin == "AGENTS.md":
            lines.append(f"[$text-warning]{escape(self.read_problem)}[/]")
        if agent.origin == "toml":
            lines.append(f"[$text-muted]Codex CLI custom agent ({escape(ws.relative(agent.source))}, read-only)[/]")
        if agent.goal:
            lines += ["", f"[b]Goal[/]  {escape(agent.goal)}"]
        if agent.backstory:
            lines += ["", f"[b]Backstory[/]  [$text-muted]{escape(agent.backstory)}[/]"]
        if agent.responsibilities:
            lines += ["", "[b]Responsibilities[/]", *(f"  • {escape(item)}" for item in agent.responsibilities)]
        if agent.outputs:
            lines += ["", "[b]Outputs[/]  " + ", ".join(escape(o) for o in agent.outputs)]
        if agent.model:
            lines += [f"[b]Model[/]  {escape(agent.model)}"]
        prompt = ws.prompts.get(agent.name)
        if prompt is not None:
            lines += [f"[b]Prompt[/]  {escape(ws.relative(prompt))}"]
        elif ws.uses_prompts:
            lines += [f"[b]Prompt[/]  [$text-warning]missing: prompts/{escape(agent.name)}.md[/]"]
        stats = self.stats.get(agent.name)
        lines += ["", "[b]Track record[/]  " + (
            f"{stats.tasks:,} task{'s' if stats.tasks != 1 else ''}, last {escape(stats.last_task)} on "
            f"{escape(stats.last_date)}" if stats else "no tasks logged yet")]
        graph = chain_lines(agent.name, chains, known)
        lines += ["", "[b]Chain[/]"]
        for graph_line in graph:
            style = "$text-error" if "✗" in graph_line else "$text-warning" if "↺" in graph_line else "$text"
            lines.append(f"  [{style}]{escape(graph_line)}[/]")
        if len(graph) == 1:
            lines.append("  [$text-muted](hands off to no one)[/]")
        callers = invoked_by(agent.name, chains)
        if callers:
            lines.append(f"  [$text-muted]invoked by {escape(', '.join(callers))}[/]")
        card.update("\n".join(lines))

    def action_run_agent(self) -> None:
        agent = self.selected_agent()
        self.post_message(RunRequested(agent.name if agent else None, "", None))

    def action_edit_agent(self) -> None:
        agent = self.selected_agent()
        if agent is not None:
            self.post_message(EditRequested(agent.source, agent.name_range.start.line + 1))

    def action_edit_prompt(self) -> None:
        agent = self.selected_agent()
        if agent is None or self.workspace is None:
            return
        prompt = self.workspace.prompts.get(agent.name)
        if prompt is None:
            self.notify(f"{agent.name} has no prompt file (prompts/{agent.name}.md).", severity="warning")
            return
        self.post_message(EditRequested(prompt, 1))

    def action_copy_name(self) -> None:
        agent = self.selected_agent()
        if agent is not None:
            self.post_message(CopyRequested(agent.name, agent.name))

"""Git: what changed in `.codex/` and in the files the log names, recent commits, and committing them."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from techcat_tui.git_status import GitStatus
from techcat_tui.messages import CommitRequested, GitRefreshRequested
from techcat_tui.paths import display_path


class GitView(VerticalScroll, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "commit", "Commit…", id="git.commit"),
        Binding("g", "refresh_git", "Refresh", id="git.refresh"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: GitStatus | None = None

    def compose(self) -> ComposeResult:
        yield Static("Reading git status…", id="git-body")

    def show(self, status: GitStatus) -> None:
        self.status = status
        body = self.query_one("#git-body", Static)
        if status.branch is None and status.problem:
            body.update(f"[$text-warning]{escape(status.problem)}[/]")
            return
        lines = [f"[b]Branch[/] {escape(status.branch or '?')}"
                 f"{'   [$text-muted]' + escape(display_path(status.root)) + '[/]' if status.root else ''}"]
        if status.problem:
            lines.append(f"[$text-warning]{escape(status.problem)}[/]")
        lines += ["", f"[b].codex/ changes ({len(status.codex_changes)})[/]"]
        lines += [f"  [$text-warning]M[/] {escape(name)}" for name in status.codex_changes] or \
            ["  [$text-muted]none: .codex/ matches the last commit[/]"]
        lines += ["", f"[b]Changed files the log names ({len(status.logged_changes)})[/]"]
        lines += [f"  [$text-warning]M[/] {escape(name)}" for name in status.logged_changes[:200]] or \
            ["  [$text-muted]none[/]"]
        if len(status.logged_changes) > 200:
            lines.append(f"  [$text-muted]and {len(status.logged_changes) - 200} more[/]")
        if status.other_changes:
            lines.append(f"\n[$text-muted]{status.other_changes} other changed file(s) are not shown and are never "
                         "committed from here.[/]")
        lines += ["", "[b]Recent commits[/]"]
        lines += [f"  [$text-accent]{c.sha[:8]}[/] [$text-muted]{escape(c.date)}[/] {escape(c.summary)}"
                  for c in status.recent] or ["  [$text-muted]no commits yet[/]"]
        if status.changed:
            lines += ["", "[$text-muted]c commit these files (you choose which) · g refresh[/]"]
        body.update("\n".join(lines))

    def action_commit(self) -> None:
        self.post_message(CommitRequested())

    def action_refresh_git(self) -> None:
        self.post_message(GitRefreshRequested())

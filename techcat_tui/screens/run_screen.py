"""An agent run, live: the streamed reply, tool calls, files written, the log entry, chained agents; escape cancels.

Under review (the run dialog's "review before applying"), the run waits on the review dialog before
anything lands (`screens.review_dialog`).

The stream is buffered and painted every 50 ms: writing each delta as it arrives stalls the app.
The output wraps to the width (`StreamLog`), so an 80-column terminal shows whole reply lines.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Static

from techcat_core.runs.summary import AgentOutcome, RunSummarizer, RunSummary
from techcat_core.runtime.changes import ChangeSet, ReviewDecision
from techcat_core.runtime.events import (
    Chained,
    ChangesProposed,
    Committed,
    DryRun,
    ExecutorOutput,
    FileWritten,
    Isolated,
    Logged,
    Notice,
    Retrying,
    RunCancelled,
    RunDiscarded,
    RunEvent,
    RunFailed,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolResult,
)
from techcat_core.usecases.entry import TaskEntry
from techcat_tui.messages import CommitRequested, RunCompleted
from techcat_tui.screens.run_dialog import RunOptions
from techcat_tui.widgets.stream_log import StreamLog

FLUSH_SECONDS = 0.05
MESSAGE_SHOWN = 1500  # characters of each dry-run message; `techcat run --explain` prints them whole
ARGUMENTS_SHOWN = 160  # characters of a tool call's arguments on its line
SUMMARY_SHOWN = 300  # characters of a tool result's summary (the run record keeps it whole)
OUTCOME_WORDS: dict[AgentOutcome, str] = {"done": "finished", "failed": "failed", "cancelled": "cancelled",
                                          "dry-run": "dry run", "discarded": "discarded"}


def chain_outcome(summary: RunSummary, cancelled: bool) -> str:
    """The run screen's word for how the chain ended, as the core's summary decides it for every front end."""
    if not summary.agents:
        return "cancelled" if cancelled else "failed"
    return OUTCOME_WORDS[summary.outcome]


def one_line(text: str, limit: int) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def explain_command(options: RunOptions) -> str:
    """The command that prints this run's messages in full (a long or multi-line task is left for the user)."""
    if options.proposed_item is not None:
        return f"techcat run --explain --proposed {options.proposed_item}"
    task = options.task if "\n" not in options.task and len(options.task) <= 60 else "YOUR TASK"
    return shlex.join(["techcat", "run", "--explain", options.agent, task])


class _StreamEnded:
    """Marks the end of the event stream in the pending buffer."""


class RunScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_or_close", "Cancel / close", id="run.cancel"),
        Binding("c", "commit", "Commit…", id="run.commit"),
        Binding("q", "quit_when_done", "Quit", show=False, id="run.quit"),
    ]

    def __init__(self, codex_dir: Path, options: RunOptions) -> None:
        super().__init__()
        self.codex_dir = codex_dir
        self.options = options
        self.pending: list[RunEvent | _StreamEnded] = []
        self.entries: list[TaskEntry] = []
        self.summarizer = RunSummarizer(options.agent, options.task, options.proposed_item, root=codex_dir.parent)
        self.summary: RunSummary | None = None  # once the stream has ended
        self.cancelled = False
        self.files: list[Path] = []
        self.committed = False
        self.finished = False
        self.outcome = "running"
        self.started = time.monotonic()
        self.cancel_event = asyncio.Event()
        self.text_chars = 0
        self.hint = ""
        self.notices: list[str] = []
        self.agent = options.agent  # the agent running now (a chained one after a hand-over): whose changes to review
        self.tool_calls = 0
        self.where = ""  # "in its own worktree", "in place (…)": where the run works, once it says

    def compose(self) -> ComposeResult:
        with Vertical(id="run-view"):
            yield Static("", id="run-title")
            yield StreamLog(id="run-output")
            yield Static("", id="run-results")
        yield Footer()

    def on_mount(self) -> None:
        self._render_title()
        self.set_interval(FLUSH_SECONDS, self._flush)
        self.set_interval(0.5, self._render_title)
        self._run()

    @work(exclusive=True, group="agent-run", exit_on_error=False)
    async def _run(self) -> None:
        from techcat_core.runtime.runner import RunRequest, run_agent

        request = RunRequest(agent=self.options.agent, task=self.options.task, commit=self.options.commit,
                             chain=self.options.chain, proposed_item=self.options.proposed_item,
                             cancel=self.cancel_event, review=self._review, review_all=self.options.review)
        try:
            async for event in run_agent(self.codex_dir, request):
                if isinstance(event, RunStarted):
                    self.agent = event.agent
                self.pending.append(event)
        except Exception as error:  # the runner reports problems as events; anything else is a bug to show
            self.pending.append(RunFailed("-", f"the run stopped unexpectedly: {error}"))
        finally:
            self.pending.append(_StreamEnded())

    async def _review(self, changes: ChangeSet) -> ReviewDecision:
        """`RunRequest.review`: the run waits here while the user reads the diff."""
        from techcat_tui.screens.review_dialog import review_in_dialog

        self._flush()  # what the run did so far is on screen behind the dialog
        return await review_in_dialog(self.app, self.agent, changes)

    def _flush(self) -> None:
        if not self.pending:
            return
        events, self.pending = self.pending, []
        output = self.query_one("#run-output", StreamLog)
        text: list[str] = []
        for event in events:
            if isinstance(event, TextDelta):
                self.summarizer.feed(event)
                text.append(event.text)
                continue
            if text:
                self._write_text(output, text)
                text = []
            self._apply(event, output)
        if text:
            self._write_text(output, text)
        self._render_results()

    def _write_text(self, output: StreamLog, pieces: list[str]) -> None:
        """One write per batch of deltas, never one per delta."""
        joined = "".join(pieces)
        self.text_chars += len(joined)
        output.write(joined)

    def _apply(self, event: RunEvent | _StreamEnded, output: StreamLog) -> None:
        if not isinstance(event, _StreamEnded):
            self.summarizer.feed(event)
        if isinstance(event, RunStarted):
            if event.depth:
                output.write(f"\n\n── chained: {event.agent} ──\n")
            output.write_line(f"[{event.agent} · {event.provider} · {event.model}]")
        elif isinstance(event, Retrying):
            output.write_line(f"\n… retrying (attempt {event.attempt}) in {event.delay:.1f} s: {event.reason}")
        elif isinstance(event, Isolated):  # in the title, not the output: the reply keeps the screen's rows
            self.where = ("in its own worktree" if event.worktree is not None
                          else f"in place ({event.reason})" if event.reason else "in place")
            self._render_title()
        elif isinstance(event, ToolCalled):
            self.tool_calls += 1
            output.write_line("")
            output.write_line(f"⚙ {event.name} {one_line(event.arguments, ARGUMENTS_SHOWN)}")
        elif isinstance(event, ToolResult):
            mark = "✓" if event.ok else "✗"
            output.write_line(f"  {mark} {one_line(event.summary, SUMMARY_SHOWN)}", warning=not event.ok)
        elif isinstance(event, ExecutorOutput):
            output.write_line(event.text.rstrip("\n"))
        elif isinstance(event, ChangesProposed) and event.review:  # otherwise "Files written" says it
            count = len(event.changes.changes)
            names = ", ".join(event.changes.paths[:6]) + (" …" if count > 6 else "")
            output.write_line(f"\n{count} file{'s' if count != 1 else ''} changed: {names}")
            output.write_line("waiting for your review: approve (a) or discard (d)", warning=True)
        elif isinstance(event, RunDiscarded):
            output.write_line(f"\n✗ discarded {event.agent}'s changes: nothing was written or logged")
        elif isinstance(event, FileWritten):
            self.files.append(event.path)
        elif isinstance(event, Logged):
            self.entries.append(TaskEntry.from_value(event.entry))
        elif isinstance(event, Chained):
            output.write_line(f"\n→ {event.from_agent} hands over to {event.to_agent}")
        elif isinstance(event, Notice):  # did not stop the run, but the user should see it: a skipped link, no tick
            self.notices.append(event.message)
            output.write_line("")
            output.write_line(f"! {event.message}", warning=True)
        elif isinstance(event, Committed):
            self.committed = True
            output.write_line(f"\ncommitted {event.sha[:8]}: {event.message}")
        elif isinstance(event, DryRun):
            self.hint = event.hint
            output.write_line(event.hint)
            cut = 0
            for message in event.messages:
                content = message.get("content", "")
                output.write_line(f"\n--- {message.get('role', '?')} ({len(content):,} characters) ---")
                output.write_line(content[:MESSAGE_SHOWN])
                if len(content) > MESSAGE_SHOWN:
                    cut += 1
                    output.write_line(f"… {len(content) - MESSAGE_SHOWN:,} more characters not shown here",
                                      warning=True)
            if cut:
                output.write_line("")
                noun = "messages were" if cut > 1 else "message was"
                command = explain_command(self.options)
                output.write_line(f"{cut} {noun} cut at {MESSAGE_SHOWN:,} characters; `{command}` prints every "
                                  "message in full, with how the context budget was spent", warning=True)
        elif isinstance(event, RunFailed):
            output.write_line(f"\n✗ {event.message}")
        elif isinstance(event, RunCancelled):
            self.cancelled = True
            output.write_line("\n✗ cancelled: nothing was written")
        elif isinstance(event, _StreamEnded):
            self.finished = True
            self.summary = self.summarizer.summary()
            self.outcome = chain_outcome(self.summary, self.cancelled)
            self.post_message(RunCompleted(list(self.entries), list(self.files), self.committed, self.outcome))
            self._render_title()

    def _render_title(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.finished:
            state = {"finished": "[$text-success]finished[/]", "failed": "[$text-error]failed[/]",
                     "cancelled": "[$text-warning]cancelled[/]", "dry run": "[$text-warning]dry run[/]",
                     "discarded": "[$text-warning]discarded[/]"}.get(
                self.outcome, escape(self.outcome))
            keys = "escape back to the log" + (" · c commit" if self.files and not self.committed else "")
        else:
            spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[int(elapsed * 2) % 10]
            tools = f" · {self.tool_calls} tool call{'s' if self.tool_calls != 1 else ''}" if self.tool_calls else ""
            where = f" · {escape(self.where)}" if self.where else ""
            state = (f"[$text-accent]{spinner} running[/]{where} · {elapsed:.0f} s · {self.text_chars:,} characters"
                     f"{tools}")
            keys = "escape cancels"
        self.query_one("#run-title", Static).update(
            f"[b]{escape(self.options.agent)}[/]: {escape(self.options.task.splitlines()[0][:80])}\n{state}   "
            f"[$text-muted]{keys}[/]")

    def _render_results(self) -> None:
        lines = [f"[$text-warning]{escape(self.hint)}[/]"] if self.hint else []
        if self.files:
            lines.append("[b]Files written[/]  " + ", ".join(escape(str(p.name)) for p in self.files[:8]))
        for entry in self.entries:
            lines.append(f"[b]Logged[/] [$text-accent]{escape(entry.task_id)}[/] "
                         f"({escape(entry.agent)}): {escape(entry.summary)}")
        lines.extend(f"[$text-warning]! {escape(notice)}[/]" for notice in self.notices)
        if self.summary is not None and (len(self.summary.agents) > 1 or not self.summary.wrote_anything):
            lines.extend(f"[$text-muted]{escape(line)}[/]" for line in self.summary.lines()
                         if line not in self.notices and line != self.hint)
        self.query_one("#run-results", Static).update("\n".join(lines))

    def action_cancel_or_close(self) -> None:
        if self.finished:
            self.dismiss(None)
            return
        self.cancel_event.set()
        self.notify("Cancelling the run; nothing will be written.", timeout=3)
        self.set_timer(3.0, self._force_cancel)

    def _force_cancel(self) -> None:
        if not self.finished:
            self.workers.cancel_group(self, "agent-run")
            self.pending.append(RunCancelled("-"))
            self.pending.append(_StreamEnded())

    def action_quit_when_done(self) -> None:
        """`q` quits elsewhere; here it must not end a run midway by accident (ctrl+q still does)."""
        if self.finished:
            self.app.exit()
        else:
            self.notify("A run is still going: escape cancels it, ctrl+q quits anyway.", severity="warning")

    def action_commit(self) -> None:
        if not self.finished:
            self.notify("Wait for the run to finish (or cancel it with escape).", severity="warning")
            return
        if not self.files:
            self.notify("This run wrote no files to commit.", severity="warning")
            return
        if self.committed:
            self.notify("The run already committed its files.")
            return
        self.post_message(CommitRequested())

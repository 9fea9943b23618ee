"""One run summary from a `run_agent` event stream, for every front end to print: per agent of the chain,
what it wrote, logged and ticked, and how it ended.

Built on the run-record fold (`runs/reduce.py`), which already decides each run's identity, agent, files,
task id and outcome (a cancel during a chained agent ends that agent's record, not the first's); this adds
what a person needs and a record does not keep: the ticked item, the commit, tool calls, discarded reviews,
notices, and a progress line per event. "Nothing was written" is said only when no run wrote or logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.runs.record import Outcome, RunRecord
from techcat_core.runs.reduce import FoldSettings, RunFold
from techcat_core.runtime import events as ev

AgentOutcome = Outcome  # one vocabulary with the run history: done, failed, cancelled, dry-run, discarded
_NOT_TICKED = ("was not ticked", "nothing was ticked")  # committing.py's notices when a tick did not happen


@dataclass(frozen=True, slots=True)
class AgentRun:
    """One agent's part of a chain."""

    run_id: str
    agent: str
    depth: int
    outcome: AgentOutcome
    files: tuple[str, ...] = ()  # repository-relative
    task_id: str | None = None
    ticked_item: int | None = None
    committed: str | None = None  # the commit's sha
    reason: str | None = None  # why it failed
    tool_calls: int = 0
    tools_refused: int = 0
    notices: tuple[str, ...] = ()

    def line(self) -> str:
        """One sentence: `planner wrote a.md; logged task-004; ticked item 3`."""
        if self.outcome == "dry-run":
            return f"{self.agent}: dry run, nothing was sent or written"
        if self.outcome == "discarded":
            return f"{self.agent}: changes discarded in review, nothing was written or logged"
        did = []
        if self.files:
            shown = ", ".join(self.files[:5]) + (f" and {len(self.files) - 5} more" if len(self.files) > 5 else "")
            did.append(f"wrote {shown}")
        if self.task_id:
            did.append(f"logged {self.task_id}")
        if self.ticked_item is not None:
            did.append(f"ticked item {self.ticked_item}")
        if self.committed:
            did.append(f"committed {self.committed[:8]}")
        if self.tool_calls:
            refused = f", {self.tools_refused} refused" if self.tools_refused else ""
            did.append(f"{self.tool_calls} tool call{'s' if self.tool_calls != 1 else ''}{refused}")
        done = "; ".join(did)
        if self.outcome == "cancelled":
            return f"{self.agent} was cancelled" + (f" after it {done}" if done and (self.files or self.task_id)
                                                     else " before it wrote anything")
        if self.outcome == "failed":
            prefix = f"{self.agent} {done}, then failed" if self.files or self.task_id else f"{self.agent} failed"
            return f"{prefix}: {self.reason or 'no reason given'}"
        return f"{self.agent} {done or 'finished; wrote nothing'}"


@dataclass(frozen=True, slots=True)
class RunSummary:
    agents: tuple[AgentRun, ...] = ()
    notices: tuple[str, ...] = ()  # about the chain as a whole (a link skipped, the history not written)
    dry_run_hint: str | None = None

    @property
    def wrote_anything(self) -> bool:
        return any(run.files or run.task_id for run in self.agents)

    @property
    def outcome(self) -> AgentOutcome:
        """The chain's: cancelled or failed if any agent was, dry-run or discarded if all were, else done."""
        outcomes = {run.outcome for run in self.agents}
        for worst in ("cancelled", "failed"):
            if worst in outcomes:
                return worst  # type: ignore[return-value]
        if outcomes and outcomes <= {"dry-run"}:
            return "dry-run"
        if outcomes and outcomes <= {"discarded"}:
            return "discarded"
        return "done" if outcomes else "failed"

    @property
    def ok(self) -> bool:
        return self.outcome in ("done", "dry-run", "discarded") and bool(self.agents)

    @property
    def task_ids(self) -> tuple[str, ...]:
        return tuple(run.task_id for run in self.agents if run.task_id)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for run in self.agents for f in run.files))

    def lines(self) -> list[str]:
        lines = [run.line() for run in self.agents] or ["the run ended before any agent started"]
        if self.agents and not self.wrote_anything and self.outcome not in ("dry-run", "discarded"):
            lines.append("nothing was written")
        if self.dry_run_hint:
            lines.append(self.dry_run_hint)
        return lines + [notice for notice in self.notices if notice not in lines]

    def message(self) -> str:
        """The whole summary as one message (a toast, a notification)."""
        return "; ".join(self.lines())


@dataclass
class _Extra:
    """What one run did beyond its record."""

    ticked: bool = False
    committed: str | None = None
    tool_calls: int = 0
    refused: int = 0
    notices: list[str] = field(default_factory=list)
    not_ticked: bool = False
    discarded: bool = False


class RunSummarizer:
    """Feed it one `run_agent` stream's events in order; `summary()` at any time, `progress()` per event.

    `proposed_item` is the request's: the root run ticks it once it has logged, unless it says it did not.
    """

    def __init__(self, agent: str, task: str = "", proposed_item: int | None = None, root: Path | None = None
                 ) -> None:
        self._fold = RunFold(agent, task, FoldSettings(root=root, max_record_bytes=4096))
        self._root = root
        self._item = proposed_item
        self._records: dict[str, RunRecord] = {}
        self._order: list[str] = []
        self._extra: dict[str, _Extra] = {}
        self._agents: dict[str, str] = {}  # run id → agent, for progress lines
        self._by_task: dict[str, str] = {}  # task id → run id: chain notices are keyed by the task id
        self._notices: list[str] = []
        self._hint: str | None = None
        self._closed: list[RunRecord] | None = None

    def feed(self, event: object) -> str | None:
        """Take one event; returns a progress line for it, or None when it is no news to a person."""
        for record in self._fold.feed(event):
            self._keep(record)
        run_id = getattr(event, "run_id", "")
        if isinstance(event, ev.RunStarted) and run_id not in self._agents:
            self._agents[run_id] = event.agent
            self._order.append(run_id)
        extra = self._extra.setdefault(run_id, _Extra()) if isinstance(run_id, str) else _Extra()
        if isinstance(event, ev.Logged) and event.entry.get("task_id"):
            self._by_task[str(event.entry["task_id"])] = run_id
        elif isinstance(event, ev.Committed):
            extra.committed = event.sha
        elif isinstance(event, ev.ToolResult):
            extra.tool_calls += 1
            extra.refused += 0 if event.ok else 1
        elif isinstance(event, ev.RunDiscarded):
            extra.discarded = True
        elif isinstance(event, ev.DryRun):
            self._hint = event.hint
        elif isinstance(event, ev.Notice):
            owner = self._by_task.get(run_id, run_id)
            if owner in self._agents:
                mine = self._extra.setdefault(owner, _Extra())
                mine.notices.append(event.message)
                mine.not_ticked = mine.not_ticked or any(p in event.message for p in _NOT_TICKED)
            else:
                self._notices.append(event.message)
        return self.progress(event)

    def _keep(self, record: RunRecord) -> None:
        self._records[record.run_id] = record
        if record.run_id not in self._order:
            self._order.append(record.run_id)
            self._agents.setdefault(record.run_id, record.agent)

    def progress(self, event: object) -> str | None:
        """A one-line progress message for a person, for the event types that are news."""
        who = self._agents.get(getattr(event, "run_id", ""), "")
        match event:
            case ev.RunStarted(agent=agent, provider=provider, model=model):
                return f"{agent} started ({provider}, {model})"
            case ev.Isolated(worktree=worktree, reason=reason):
                return f"{who} works in its own worktree" if worktree is not None else f"{who} works in place: {reason}"
            case ev.Retrying(delay=delay, reason=reason):
                return f"{who}: retrying in {delay:.0f} s ({reason})"
            case ev.ToolCalled(name=name, arguments=arguments):
                return f"{who}: {name} {arguments[:120]}"
            case ev.ToolResult(summary=summary, ok=ok):
                return f"{who}: {summary}" if ok else f"{who}: refused: {summary}"
            case ev.ChangesProposed(agent=agent, changes=changes, review=review):
                count = len(changes.changes)
                files = f"{count} file{'s' if count != 1 else ''}"
                return f"{agent} changed {files}" + (", waiting for review" if review else "")
            case ev.RunDiscarded(agent=agent):
                return f"{agent}: changes discarded, nothing was written"
            case ev.FileWritten(path=path):
                return f"{who} wrote {self._relative(path)}"
            case ev.Logged(entry=entry):
                return f"{who} logged {entry.get('task_id')}"
            case ev.Chained(from_agent=source, to_agent=target):
                return f"{source} hands off to {target}"
            case ev.Committed(sha=sha):
                return f"{who} committed {sha[:8]}"
            case ev.Notice(message=message) | ev.RunFailed(message=message):
                return message
            case ev.RunCancelled():
                return f"{who or 'the run'} was cancelled"
        return None

    def _relative(self, path: Path) -> str:
        if self._root is not None:
            try:
                return path.relative_to(self._root).as_posix()
            except ValueError:
                pass
        return str(path)

    def summary(self) -> RunSummary:
        """What the chain did; call it once the stream has ended (or the consumer stopped reading it): a run
        still open then ends as cancelled, or as done when it had logged its work."""
        if self._closed is None:
            self._closed = self._fold.close()
        closing = self._closed
        records = {**self._records, **{r.run_id: r for r in closing}}
        runs = [self._agent_run(records[run_id], run_id == self._first(records)) for run_id in self._order
                if run_id in records]
        return RunSummary(tuple(runs), tuple(self._notices), self._hint)

    def _first(self, records: dict[str, RunRecord]) -> str | None:
        return next((run_id for run_id in self._order if run_id in records), None)

    def _agent_run(self, record: RunRecord, root: bool) -> AgentRun:
        extra = self._extra.get(record.run_id, _Extra())
        outcome: AgentOutcome = "discarded" if extra.discarded else record.outcome
        ticked = self._item if root and self._item is not None and record.task_id and not extra.not_ticked \
            else None
        return AgentRun(record.run_id, record.agent, record.depth, outcome, tuple(record.files), record.task_id,
                        ticked, extra.committed, record.reason, extra.tool_calls, extra.refused,
                        tuple(extra.notices))


def summarize(agent: str, events: Iterable[object], proposed_item: int | None = None,
              root: Path | None = None) -> RunSummary:
    """The summary of a whole stream at once."""
    summarizer = RunSummarizer(agent, proposed_item=proposed_item, root=root)
    for event in events:
        summarizer.feed(event)
    return summarizer.summary()

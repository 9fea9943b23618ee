"""The reducer: one `run_agent` event stream (a root run and the runs it chained to) folded into run records.

Every front end sees the same stream, so this is the one place that decides what a run was: its
outcome, tokens, cost, files and task id. Events carry no clock, so the fold stamps them as they come.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.runs.record import Outcome, RunRecord
from techcat_core.runs.scrub import scrub, trim
from techcat_core.runtime import events as ev

BUILTIN_LOGGER = "task_logger"  # as techcat_core.runtime.runner names it (not imported: the runner imports us)
CHARS_PER_TOKEN = 4  # the estimate when the server reported no usage
DEFAULT_MAX_RECORD_BYTES = 256 * 1024
MAX_TOOL_ENTRIES = 500  # tool calls a record keeps (each call and its result is one entry)


def utc_stamp(moment: dt.datetime) -> str:
    """One fixed-width UTC form, so that comparing the text compares the time (in SQLite and PostgreSQL)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def prompt_hash(messages: Sequence[Mapping[str, str]]) -> str:
    canonical = json.dumps(list(messages), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


@dataclass(frozen=True, slots=True)
class Price:
    input: float  # per 1M tokens
    output: float


@dataclass(frozen=True)
class FoldSettings:
    """What the fold needs from `techcat.toml` and the environment; the defaults record everything unpriced."""

    prices: Mapping[str, Price] = field(default_factory=dict)
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    secrets: Sequence[str] = ()
    root: Path | None = None  # files are recorded relative to it


@dataclass
class _Open:
    record: RunRecord
    began: float
    text: list[str] = field(default_factory=list)
    usage: bool = False
    usage_model: str | None = None
    failed: bool = False
    discarded: bool = False  # the reviewer discarded the run's changes
    tools: list[dict[str, str]] = field(default_factory=list)  # the tool calls, as the record keeps them
    tools_left_out: int = 0


class RunFold:
    """Feed it a stream's events in order; each run's record comes back from `feed` as that run ends."""

    def __init__(self, agent: str, task: str, settings: FoldSettings | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.settings = settings or FoldSettings()
        self._agent, self._task = agent, task  # of the root run, for a failure before it started
        self._clock, self._now = clock, now
        self._open: dict[str, _Open] = {}
        self._by_depth: dict[int, str] = {}
        self._root: str | None = None
        self._next_chain: tuple[str, int] | None = None  # (agent, depth) announced by `Chained`
        self._logged: set[str] = set()
        self._confirmations: set[str] = set()  # task_logger confirming a chain's entry: not a run of its own
        self._finished: set[str] = set()

    @property
    def open_runs(self) -> list[str]:
        return list(self._open)

    def note_messages(self, run_id: str, messages: Sequence[Mapping[str, str]]) -> None:
        """The exact messages a run sends (the runtime reports them just before the model call)."""
        if run_id in self._open:
            record = self._open[run_id].record
            record.messages = [dict(m) for m in messages]
            record.prompt_hash = prompt_hash(messages)

    def feed(self, event: object) -> list[RunRecord]:
        if isinstance(event, ev.RunStarted):
            self._start(event)
            return []
        if isinstance(event, ev.Chained):
            self._next_chain = (event.to_agent, event.depth)
            parent = self._by_depth.get(event.depth - 1)
            state = self._open.get(parent) if parent else None
            if parent and state is not None and state.record.task_id is not None:
                # its work is in (files, entry, commit): what it chains to is the next runs' time, not its own
                return [self._finish(parent, "failed" if state.failed else "done")]
            return []
        run_id = getattr(event, "run_id", None)
        if not isinstance(run_id, str) or run_id in self._confirmations:
            if isinstance(event, ev.RunFinished) and isinstance(run_id, str):
                self._confirmations.discard(run_id)
            return []
        if isinstance(event, ev.RunFailed) and run_id not in self._open and run_id not in self._finished:
            self._start_unannounced(run_id)  # it failed before it could start (an unknown agent, bad settings)
        state = self._open.get(run_id)
        if state is None:
            return []  # a notice about a chain (keyed by a task id), or an event of a run already recorded
        return self._apply(state, event)

    def close(self, reason: str = "the run was stopped before it finished") -> list[RunRecord]:
        """The runs still open when the stream ended early (cancelled, or the consumer stopped reading)."""
        records = []
        for run_id in list(self._open):
            state = self._open[run_id]
            outcome: Outcome
            if state.record.task_id is not None:
                outcome = "failed" if state.failed else "done"  # its entry and files are in: it did its work
            else:
                outcome, state.record.reason = "cancelled", state.record.reason or reason
            records.append(self._finish(run_id, outcome))
        return records

    def _start(self, event: ev.RunStarted) -> None:
        if event.depth > 0 and event.agent == BUILTIN_LOGGER and event.provider == "built-in" \
                and event.run_id in self._logged:
            self._confirmations.add(event.run_id)
            return
        self._next_chain = None
        self._open_record(event.run_id, event.agent, event.task, event.depth, event.provider, event.model)
        self._open[event.run_id].record.executor = event.executor

    def _start_unannounced(self, run_id: str) -> None:
        agent, depth = self._next_chain or (self._agent, 0)
        self._next_chain = None
        self._open_record(run_id, agent, self._task, depth, "-", "-")

    def _open_record(self, run_id: str, agent: str, task: str, depth: int, provider: str, model: str) -> None:
        if self._root is None:
            self._root = run_id
        parent = self._by_depth.get(depth - 1) if depth > 0 else None
        self._by_depth[depth] = run_id
        record = RunRecord(run_id=run_id, chain_id=self._root, parent_id=parent, depth=depth, agent=agent,
                           task=task, started=utc_stamp(self._now()), provider=provider, model=model)
        self._open[run_id] = _Open(record, self._clock())

    def _apply(self, state: _Open, event: object) -> list[RunRecord]:
        record = state.record
        if isinstance(event, ev.TextDelta):
            state.text.append(event.text)
        elif isinstance(event, ev.Retrying):
            state.text.clear()  # the reply starts over
        elif isinstance(event, ev.Usage):
            state.usage = True
            record.prompt_tokens = (record.prompt_tokens or 0) + event.prompt_tokens
            record.completion_tokens = (record.completion_tokens or 0) + event.completion_tokens
            record.tokens_estimated = record.tokens_estimated or event.estimated
            state.usage_model = event.model or state.usage_model
        elif isinstance(event, ev.ToolCalled):
            self._keep_tool(state, {"role": "tool", "name": event.name, "tool_call_id": event.call_id,
                                    "content": f"called with {event.arguments}"})
        elif isinstance(event, ev.ToolResult):
            self._keep_tool(state, {"role": "tool", "name": event.name, "tool_call_id": event.call_id,
                                    "content": f"{'ok' if event.ok else 'error'}: {event.summary}"})
        elif isinstance(event, ev.ExecutorOutput):
            state.text.append(event.text + "\n")
        elif isinstance(event, ev.RunDiscarded):
            state.discarded = True
        elif isinstance(event, ev.DryRun):
            self.note_messages(record.run_id, event.messages)
        elif isinstance(event, ev.FileWritten):
            record.files.append(self._relative(event.path))
        elif isinstance(event, ev.Logged):
            record.task_id = str(event.entry.get("task_id")) if event.entry.get("task_id") else None
            if record.task_id:
                self._logged.add(record.task_id)
        elif isinstance(event, ev.RunFailed):
            state.failed = True
            record.reason = event.message if record.reason is None else f"{record.reason}; {event.message}"
            if record.task_id is None:  # before anything was written: the run ends here
                return [self._finish(record.run_id, "failed")]
        elif isinstance(event, ev.RunCancelled):
            return [self._finish(record.run_id, "cancelled")]
        elif isinstance(event, ev.RunFinished):
            if event.reply:
                state.text = [event.reply]
            if event.files and not record.files:
                record.files = [self._relative(p) for p in event.files]
            outcome: Outcome = "failed" if state.failed else "discarded" if state.discarded else \
                ("dry-run" if event.entry is None else "done")
            return [self._finish(record.run_id, outcome)]
        return []

    @staticmethod
    def _keep_tool(state: _Open, entry: dict[str, str]) -> None:
        if len(state.tools) < MAX_TOOL_ENTRIES:
            state.tools.append(entry)
        else:
            state.tools_left_out += 1

    def _relative(self, path: Path) -> str:
        root = self.settings.root
        if root is not None:
            try:
                return path.relative_to(root).as_posix()
            except ValueError:
                pass
        return str(path)

    def _finish(self, run_id: str, outcome: Outcome) -> RunRecord:
        state = self._open.pop(run_id)
        self._finished.add(run_id)
        record = state.record
        record.outcome = outcome
        record.duration_ms = max(0, round((self._clock() - state.began) * 1000))
        reply = "".join(state.text)
        if not state.usage and reply and outcome != "dry-run":  # a reply came, but no usage: estimate it
            record.prompt_tokens = sum(estimate_tokens(m.get("content", "")) for m in record.messages) or None
            record.completion_tokens = estimate_tokens(reply)
            record.tokens_estimated = True
        record.cost = self._cost(record, state.usage_model)
        if state.tools:  # after the messages sent: what the tools were asked and answered, in order
            left_out = [{"role": "tool", "name": "-", "content": f"[… {state.tools_left_out} more tool entries left "
                         "out by TechCat]"}] if state.tools_left_out else []
            record.messages = [*record.messages, *state.tools, *left_out]
        self._keep_texts(record, reply)
        return record

    def _cost(self, record: RunRecord, usage_model: str | None) -> float | None:
        prices = self.settings.prices
        price = prices.get(record.model) or (prices.get(usage_model) if usage_model else None)
        if price is None or (record.prompt_tokens is None and record.completion_tokens is None):
            return None
        spent = (record.prompt_tokens or 0) * price.input + (record.completion_tokens or 0) * price.output
        return round(spent / 1_000_000, 8)

    def _keep_texts(self, record: RunRecord, reply: str) -> None:
        """Scrub every text the record keeps, and trim the long ones."""
        secrets, limit = self.settings.secrets, self.settings.max_record_bytes
        record.task = scrub(record.task, secrets)
        record.reason = scrub(record.reason, secrets) if record.reason else None
        trimmed = False
        kept: list[dict[str, str]] = []
        for message in record.messages:
            content, cut = trim(scrub(message.get("content", ""), secrets), limit)
            kept.append({**message, "content": content})
            trimmed = trimmed or cut
        record.messages = kept
        record.reply, cut = trim(scrub(reply, secrets), limit)
        record.trimmed = trimmed or cut


def records_from_events(agent: str, task: str, events: Iterable[object],
                        settings: FoldSettings | None = None) -> list[RunRecord]:
    """The records of a whole stream at once (a front end replaying events it kept)."""
    fold = RunFold(agent, task, settings)
    records = [record for event in events for record in fold.feed(event)]
    return records + fold.close()

"""Running an agent: prompt → model → files → task-log entry → chained agents, as a stream of events.

A run writes nothing until the whole reply has arrived and every path in it has been checked; then
its files, its task-log entry and the ticked proposal are written in one step that a cancellation
cannot split. Runs that target the same file take turns (an in-process lock plus a file lock, so
other processes wait too), and at most `max_concurrent_runs` talk to the model at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import re
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from techcat_core.confine import Refused, probe
from techcat_core.roster import Agent
from techcat_core.runtime.chain_start import landed_files
from techcat_core.runtime.changes import ChangeSet, ReviewDecision
from techcat_core.runtime.claims import Claim, claimed
from techcat_core.runtime.committing import tick_and_commit
from techcat_core.runtime.events import (
    Chained,
    ChangesProposed,
    DryRun,
    FileWritten,
    Isolated,
    Logged,
    Notice,
    RunCancelled,
    RunDiscarded,
    RunEvent,
    RunFailed,
    RunFinished,
    RunStarted,
)
from techcat_core.runtime.landing import LandingRefused, foreign_codex, land, plan_landing
from techcat_core.runtime.memory import recent_memory
from techcat_core.runtime.prompt import (
    Prompt,
    agent_targets,
    build_prompt,
    prompt_budget,
    workspace_memory,
)
from techcat_core.runtime.review import Reviewer, await_decision, reviewer_for
from techcat_core.runtime.settings import SETUP_HINT, ProviderSettings, SettingsError, workspace_settings
from techcat_core.runtime.tokens import BYTES_PER_TOKEN
from techcat_core.runtime.tool_loop import tools_enabled as tools_wanted
from techcat_core.runtime.window import with_window
from techcat_core.runtime.working import Work, executor_work, read_start, reply_work, tool_work
from techcat_core.runtime.worktree import hooks_folders
from techcat_core.workspace import TASK_LOG, Workspace, load_workspace, locate_workspace

BUILTIN_LOGGER = "task_logger"
DEFAULT_CHAIN_DEPTH = 3


@dataclass(frozen=True)
class RunRequest:
    agent: str
    task: str
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    commit: bool = False
    chain: bool = True
    proposed_item: int | None = None
    dry_run: bool = False
    max_chain_depth: int = DEFAULT_CHAIN_DEPTH
    deadline: float | None = None  # seconds per model attempt; None: the settings' own
    claim: Claim | None = field(default=None, compare=False)  # the proposed item, already claimed by the caller
    cancel: asyncio.Event | None = field(default=None, compare=False)
    env: Mapping[str, str] | None = field(default=None, compare=False)
    today: dt.date | None = None
    # under review (`techcat run --review`): asked with the run's changes before anything lands; None: no review
    review: Callable[[ChangeSet], Awaitable[ReviewDecision]] | None = field(default=None, compare=False)
    # False: `review` is only the means, asked for the agents `[review] agents` in techcat.toml names
    review_all: bool = True


class RunError(Exception):
    pass


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Semaphore]] = \
    weakref.WeakKeyDictionary()
_path_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = \
    weakref.WeakKeyDictionary()


def _slot(limit: int) -> asyncio.Semaphore:
    """The model slots of this event loop for `limit`: a changed `max_concurrent_runs` takes effect at once."""
    by_limit = _slots.setdefault(asyncio.get_running_loop(), {})
    limit = max(1, limit)
    if limit not in by_limit:
        by_limit[limit] = asyncio.Semaphore(limit)
    return by_limit[limit]


@contextlib.asynccontextmanager
async def _target_locks(ws: Workspace, targets: list[str]) -> AsyncIterator[None]:
    """Hold every target file: other runs of this process and of other processes wait their turn."""
    from techcat_core.tasklog.store import state_dir

    keys = sorted({os.path.realpath(ws.root / t) for t in targets})  # realpath: a symlink loop is no crash
    loop_locks = _path_locks.setdefault(asyncio.get_running_loop(), {})
    held: list[FileLock] = []
    acquired: list[asyncio.Lock] = []
    try:
        for key in keys:
            lock = loop_locks.setdefault(key, asyncio.Lock())
            await lock.acquire()
            acquired.append(lock)
            digest = hashlib.sha1(key.encode()).hexdigest()[:16]
            file_lock = FileLock(str(state_dir(ws.codex_dir) / f"run-{digest}.lock"))
            while True:
                try:
                    file_lock.acquire(timeout=0)
                    break
                except Timeout:
                    await asyncio.sleep(0.05)
            held.append(file_lock)
        yield
    finally:
        for file_lock in reversed(held):
            file_lock.release()
        for lock in reversed(acquired):
            lock.release()


def summary_of(reply: str, task: str) -> str:
    """One line for the task log: the reply's first prose line, else the task's."""
    for line in reply.splitlines():
        text = re.sub(r"^[#>*\-\s]+|[*`_]+", "", line).strip()
        if line.strip().startswith(("```", "~~~")):
            break
        if len(text) >= 8:
            return text[:160]
    first = task.strip().splitlines()[0] if task.strip() else "Agent run"
    return first[:160]


def _builtin_logger_entry(ws: Workspace, request: RunRequest, today: dt.date) -> dict[str, Any]:
    from techcat_core.tasklog.store import append_entry

    return append_entry(ws.codex_dir, BUILTIN_LOGGER, request.task.strip().splitlines()[0][:160], [], today=today)


def _item_text(ws: Workspace, request: RunRequest) -> str | None:
    if request.proposed_item is None or ws.proposed is None:
        return None
    item = ws.proposed.item(request.proposed_item)
    return item.text if item is not None else None


def find_agent(ws: Workspace, name: str) -> Agent | None:
    agent = ws.agent(name)
    if agent is None and name == BUILTIN_LOGGER:
        from techcat_core.positions import Range

        return Agent(name=BUILTIN_LOGGER, source=ws.codex_dir / "AGENTS.md", name_range=Range.of(0, 0),
                     section=Range.of(0, 0), role="Built-in: records a finished run in the task log")
    return agent


def prepare(codex_dir: Path, request: RunRequest, previous: str | None = None, count_log: bool = False
            ) -> tuple[Workspace, Agent, ProviderSettings, Prompt, list[str], bool, str]:
    """Everything up to the network call; raises RunError with a sentence for the user.

    The task log is not parsed: the prompt's memory is read from its end (`runtime.memory`), so a run
    costs the same with 100 entries or 100,000; a log that is small or broken at its end is parsed whole.
    """
    ws = load_workspace(codex_dir, task_log=False)
    agent = find_agent(ws, request.agent)
    if agent is None:
        known = ", ".join(sorted(ws.agent_names | {BUILTIN_LOGGER}))
        raise RunError(f"no agent named `{request.agent}` in the roster (known: {known})")
    try:
        settings = workspace_settings(ws, request.env, provider=request.provider, model=request.model,
                                      base_url=request.base_url, agent_model=agent.model, deadline=request.deadline)
    except SettingsError as error:
        raise RunError(str(error)) from None
    settings = with_window(settings)
    model = settings.model
    targets, multi = agent_targets(agent)
    want = int(prompt_budget(settings.context_window) * BYTES_PER_TOKEN)
    # the quick tail read opens the log itself: only a log the confinement rule lets be read (no FIFO, no link
    # out of the repository); anything else is parsed by `load_workspace`, which reports it as TC004
    memory = recent_memory(ws.path(TASK_LOG), want, count=count_log) if probe(ws.root, ws.path(TASK_LOG)) is None \
        else None
    if memory is None:
        ws = load_workspace(codex_dir)
        memory = workspace_memory(ws)
    from techcat_core.runtime.tool_loop import count_tools, prompt_window  # the tools go with every request too

    prompt = build_prompt(ws, agent, request.task, targets, multi, prompt_window(settings, agent.outputs,
                                                                                 agent.executor), request.today,
                          previous, memory)
    count_tools(prompt, settings, agent.outputs, agent.executor)
    return ws, agent, settings, prompt, targets, multi, model


def _stamps(ws: Workspace, targets: list[str]) -> list[tuple[int, int] | None]:
    """What the prompt was built from that another run may change meanwhile: the targets and the log."""
    stamps: list[tuple[int, int] | None] = []
    for path in [ws.path(TASK_LOG), *(ws.root / t for t in targets)]:
        try:
            status = path.stat()
            stamps.append((status.st_mtime_ns, status.st_size))
        except OSError:
            stamps.append(None)
    return stamps


def explain_run(codex_dir: Path, request: RunRequest) -> tuple[Prompt, ProviderSettings, str]:
    """The exact messages a run would send and how the context budget was spent (nothing is sent)."""
    _, _, settings, prompt, _, _, model = prepare(codex_dir, request, count_log=True)
    return prompt, settings, model


async def run_agent(codex_dir: Path, request: RunRequest) -> AsyncIterator[RunEvent]:
    """Run one agent and its chain; see `techcat_core.runtime.events` for the stream's grammar.

    Every run of the chain is recorded in the run history (`techcat_core.runs`) as it ends."""
    from techcat_core.runs.recording import recorded

    try:  # before anything resolves the path: a `.codex` linked out of its repository is refused whole
        codex_dir = locate_workspace(codex_dir).codex_dir
    except Refused as error:
        yield RunFailed(uuid.uuid4().hex[:8], f"{error}; nothing was sent or written")
        return
    events = _run(codex_dir, request, depth=0, chain_path=(), previous=None, ran=set(), chain_files={})
    if request.proposed_item is not None and request.claim is None and not request.dry_run:
        events = claimed(codex_dir, request.proposed_item, events)
    async for event in recorded(codex_dir, request.agent, request.task, request.env, events):
        yield event


def chain_targets(agent: Agent) -> list[str]:
    """Who runs after `agent`: its explicit hand-offs as the roster parser reads them, each once."""
    targets = [link.target for link in agent.chains]
    return [t for i, t in enumerate(targets) if t not in targets[:i] and t != agent.name]


async def _run(codex_dir: Path, request: RunRequest, depth: int, chain_path: tuple[str, ...],
               previous: str | None, ran: set[str], chain_files: dict[str, bytes | None]) -> AsyncIterator[RunEvent]:
    """One agent's run; `ran` holds every agent that already ran in this chain (each runs at most once), and
    `chain_files` what the chain's runs landed so far (a chained run's worktree starts with them)."""
    run_id = uuid.uuid4().hex[:8]
    today = request.today or dt.date.today()
    try:
        ws, agent, settings, prompt, targets, multi, model = await asyncio.to_thread(prepare, codex_dir, request,
                                                                                    previous)
        stamps = await asyncio.to_thread(_stamps, ws, targets)
    except RunError as error:
        yield RunFailed(run_id, str(error))
        return
    builtin = agent.name == BUILTIN_LOGGER
    ran.add(agent.name)
    item_text = _item_text(ws, request)
    try:
        spec = None if builtin else _executor_of(agent)
    except ValueError as error:  # the executors' ExecutorError: a sentence
        yield RunFailed(run_id, f"{error}; nothing was run or written")
        return
    yield RunStarted(run_id, agent.name, request.task, settings.label if not builtin else "built-in",
                     model if not builtin else "-", depth, str(spec) if spec is not None else "builtin")
    if builtin and request.dry_run:
        yield Notice(run_id, f"dry run: {BUILTIN_LOGGER} would log \"{request.task.strip()[:160]}\"; nothing was "
                             "written")
        yield RunFinished(run_id, agent.name, None)
        return
    if not builtin and (request.dry_run or (settings.kind == "dry-run" and spec is None)):  # an executor has its own
        yield DryRun(run_id, prompt.messages, SETUP_HINT if settings.kind == "dry-run" else
                     "dry run: nothing was sent or written")
        yield RunFinished(run_id, agent.name, None)
        return
    if builtin:
        entry = await asyncio.shield(asyncio.ensure_future(asyncio.to_thread(_builtin_logger_entry, ws, request,
                                                                               today)))
        yield Logged(run_id, entry)
        async for event in tick_and_commit(ws, [], entry, request.proposed_item, item_text, request.commit,
                                           run_id):
            yield event
        yield RunFinished(run_id, agent.name, entry)
        return
    reviewer, problem = reviewer_for(ws, agent.name, request.review, request.review_all)
    problem = problem or _foreign_output(ws, agent, targets)
    if problem:
        yield RunFailed(run_id, problem)
        return
    work = Work(run_id, ws, agent, settings, model, prompt, targets, multi, request.cancel,
                dict(request.env) if request.env is not None else None, request.task, seed=dict(chain_files))
    landing = _Landed()
    if spec is not None or tools_wanted(settings):
        events = executor_work(work, spec, _slot(settings.max_concurrent_runs)) if spec is not None else \
            tool_work(work, _slot(settings.max_concurrent_runs))
        async for event in events:
            yield event
        if work.fallback is not None:
            yield Notice(run_id, work.fallback)
        elif work.changes is None:
            return
        else:
            async for event in _conclude(work, reviewer, request, today, landing, locked=False):
                yield event
    if spec is None and (not tools_wanted(settings) or work.fallback is not None):
        if work.fallback is None and settings.tools_off:
            yield Notice(run_id, f"tools are off ({settings.tools_off}); the model replies with whole files instead")
        if work.fallback is None:
            yield Isolated(run_id, None, "a single reply: nothing touches the disk until it lands")
        async with _target_locks(ws, targets):
            async with _slot(settings.max_concurrent_runs):  # waiting for the files holds no slot
                if await asyncio.to_thread(_stamps, ws, targets) != stamps:
                    # another run of the same file changed it (or the log) while this one waited: build it again
                    try:
                        ws, agent, settings, prompt, targets, multi, model = await asyncio.to_thread(
                            prepare, codex_dir, request, previous)
                    except RunError as error:
                        yield RunFailed(run_id, str(error))
                        return
                    work = dataclasses.replace(work, ws=ws, agent=agent, settings=settings, prompt=prompt,
                                               targets=targets, multi=multi, model=model)
                work.base = await asyncio.to_thread(read_start, ws.root, targets)
                async for event in reply_work(work):
                    yield event
            if work.changes is None:
                return
            async for event in _conclude(work, reviewer, request, today, landing, locked=True):
                yield event
    if landing.entry is None:
        return  # failed, cancelled or discarded: the events said so
    entry = landing.entry
    chain_files.update(landing.contents)
    for path in landing.files:
        yield FileWritten(run_id, path)
    yield Logged(run_id, entry)
    async for event in tick_and_commit(ws, landing.files, entry, request.proposed_item, item_text, request.commit,
                                       run_id):
        yield event
    if request.chain:
        async for event in _chain(codex_dir, request, agent.name, chain_targets(agent), entry, work.reply, depth,
                                  (*chain_path, agent.name), ran, chain_files):
            yield event
    yield RunFinished(run_id, agent.name, entry, tuple(landing.files), work.reply)


@dataclass
class _Landed:
    """What landing wrote: the task-log entry (None: nothing landed) and the files."""

    entry: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)
    contents: dict[str, bytes | None] = field(default_factory=dict)  # each landed file as written (None: removed)


def _foreign_output(ws: Workspace, agent: Agent, targets: list[str]) -> str | None:
    """An `Output:` file that names a `.codex` other than the workspace's own: refused before anything is sent."""
    for output in [*targets, *agent.outputs]:
        foreign = foreign_codex(ws.root, ws.codex_dir, output.strip("/"))
        if foreign is not None:
            return f"`{agent.name}`'s output {output} {foreign}; nothing was sent or written"
    return None


def _executor_of(agent: Agent) -> Any:
    """The agent's executor spec, or None for the built-in runtime; ValueError (ExecutorError) for a bad one."""
    text = getattr(agent, "executor", "") or ""
    if not text.strip():
        return None
    from techcat_core.executors import parse_executor

    spec = parse_executor(text)
    return None if spec.builtin else spec


async def _conclude(work: Work, reviewer: Reviewer | None, request: RunRequest, today: dt.date, landed: _Landed,
                    locked: bool) -> AsyncIterator[RunEvent]:
    """Show the changes, ask the reviewer if there is one, then land them with the run's entry."""
    ws, run_id, agent = work.ws, work.run_id, work.agent.name
    changes = work.changes or ChangeSet()
    hooks = await asyncio.to_thread(hooks_folders, ws.root) if ws.git_root is not None else ()
    try:  # a stray path or a conflict refuses the run before anyone is asked
        await asyncio.to_thread(plan_landing, ws.root, changes, work.outputs, hooks, ws.codex_dir)
    except LandingRefused as error:
        yield RunFailed(run_id, str(error))
        return
    decision: ReviewDecision = "approve"
    if changes:
        yield ChangesProposed(run_id, agent, changes, reviewer is not None)
    if changes and reviewer is not None:
        try:
            answer = await await_decision(reviewer, changes, request.cancel)
        except Exception as error:  # a reviewer that broke: nothing lands
            reason = " ".join(str(error).split()) or type(error).__name__
            yield RunFailed(run_id, f"the review did not answer ({reason}); nothing was applied")
            return
        if answer is None:
            yield RunCancelled(run_id)
            return
        decision = answer
        if decision == "discard":
            yield RunDiscarded(run_id, agent)
            yield RunFinished(run_id, agent, None, (), work.reply)
            return
    summary = summary_of(work.summary_source, request.task)
    files = [ws.root / path for path in changes.paths]
    if decision == "applied":  # the front end applied them itself: record and log only
        entry = await asyncio.shield(asyncio.ensure_future(asyncio.to_thread(
            _log_only, ws, agent, summary, list(changes.paths), today)))
        landed.entry, landed.files = entry, files
        landed.contents = await asyncio.to_thread(landed_files, ws.root, list(changes.paths))
        return
    locks = contextlib.nullcontext() if locked else _target_locks(ws, list(changes.paths))
    async with locks:  # runs of the same files take turns landing
        try:
            entry, contents = await asyncio.shield(asyncio.ensure_future(asyncio.to_thread(
                _plan_and_land, ws, agent, changes, work.outputs, hooks, summary, today)))
        except LandingRefused as error:
            yield RunFailed(run_id, str(error))
            return
        except Exception as error:  # the store's own errors are sentences
            yield RunFailed(run_id, f"could not write the results: {error}; every file was left as it was")
            return
    landed.entry, landed.files, landed.contents = entry, files, contents


def _plan_and_land(ws: Workspace, agent: str, changes: ChangeSet, outputs: list[str], hooks: tuple[str, ...],
                   summary: str, today: dt.date) -> tuple[dict[str, Any], dict[str, bytes | None]]:
    """Merge with the working tree as it is now and write: one step a cancel cannot split.

    Every landing of the workspace holds one lock while it merges and writes (milliseconds), so two runs whose
    files the target locks do not cover (agents with globs) never merge against the same old file and lose one's
    change; it is taken last and held briefly, so no run waits for a target while holding it."""
    from techcat_core.tasklog.store import state_dir

    with FileLock(str(state_dir(ws.codex_dir) / "landing.lock"), timeout=600):
        landings = plan_landing(ws.root, changes, outputs, hooks, ws.codex_dir)
        entry = land(ws.codex_dir, agent, landings, summary, today, list(changes.paths))
    return entry, {landing.relative: landing.content for landing in landings}


def _log_only(ws: Workspace, agent: str, summary: str, files: list[str], today: dt.date) -> dict[str, Any]:
    from techcat_core.tasklog.store import append_entry

    return append_entry(ws.codex_dir, agent, summary, files, today=today)


async def _chain(codex_dir: Path, request: RunRequest, agent_name: str, targets: list[str], entry: dict[str, Any],
                 reply: str, depth: int, chain_path: tuple[str, ...], ran: set[str],
                 chain_files: dict[str, bytes | None]) -> AsyncIterator[RunEvent]:
    for target in targets:
        if target in chain_path:
            yield Notice(entry["task_id"], f"`{agent_name}` chains to `{target}`, which already ran in this chain "
                                           f"({' → '.join((*chain_path, target))}); skipped so the chain ends")
            continue  # a cycle: each agent runs once per chain
        if target in ran and target != BUILTIN_LOGGER:
            yield Notice(entry["task_id"], f"`{agent_name}` chains to `{target}`, which already ran in this chain "
                                           "(an agent runs once per chain); skipped")
            continue  # fan-out: another branch of this chain ran it already
        if depth + 1 > request.max_chain_depth:
            yield Notice(entry["task_id"], f"the chain stops before `{target}`: it is {request.max_chain_depth} "
                                           "agents deep, the limit")
            break
        yield Chained(entry["task_id"], agent_name, target, depth + 1)
        if target == BUILTIN_LOGGER:
            # the run is already recorded (exactly one entry per run); the logger confirms it
            yield RunStarted(entry["task_id"], BUILTIN_LOGGER, f"record {entry['task_id']}", "built-in", "-",
                             depth + 1)
            yield RunFinished(entry["task_id"], BUILTIN_LOGGER, entry)
            continue
        follow = dataclasses.replace(
            request, agent=target, task=f"Continue after `{agent_name}` ({entry['task_id']}): {request.task}",
            chain=True, proposed_item=None)
        async for event in _run(codex_dir, follow, depth + 1, chain_path, previous=f"{entry['summary']}\n\n{reply}",
                                ran=ran, chain_files=chain_files):
            yield event

"""A run's work, three ways, each ending in the `ChangeSet` the runner reviews and lands (issue 13 §1-§3).

- the tool loop (`tool_loop.run_tools`) in the run's own worktree, its writes on the worktree's disk (or, where
  there is no git history, staged in memory over the working tree);
- an external executor (`executors.run_executor`) in the run's worktree (or a temporary copy of the tree);
- the single reply (`stream_reply` → `plan_writes`), which touches no disk until it lands.

Every checkout is removed however the work ends (success, failure, cancel, an exception); what was written in
it is only read back as a ChangeSet. Nothing here writes the user's working tree.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techcat_core.confine import normalise
from techcat_core.roster import Agent
from techcat_core.runtime.chain_start import seed_checkout
from techcat_core.runtime.changes import ChangeSet
from techcat_core.runtime.events import (
    ExecutorOutput,
    Isolated,
    Retrying,
    RunCancelled,
    RunEvent,
    RunFailed,
    TextDelta,
    ToolCalled,
    ToolResult,
    Usage,
)
from techcat_core.runtime.landing import changes_of_writes
from techcat_core.runtime.model_call import CallUsage, ModelError, RetryNotice, stream_reply
from techcat_core.runtime.output import OutputRefused, plan_writes
from techcat_core.runtime.prompt import Prompt, output_contract, reply_reserve
from techcat_core.runtime.reply import strip_thinking
from techcat_core.runtime.settings import ProviderSettings
from techcat_core.runtime.worktree import (
    Checkout,
    WorktreeProblem,
    create_copy,
    create_worktree,
    isolation_problem,
    prune_stale,
)
from techcat_core.workspace import Workspace

EXECUTOR_TIMEOUT_SETTING = "`max_seconds` in [tools] of .codex/techcat.toml"


@dataclass
class Work:
    """What one run's work produced; `changes` stays None when it failed or was cancelled (an event said so)."""

    run_id: str
    ws: Workspace
    agent: Agent
    settings: ProviderSettings
    model: str
    prompt: Prompt
    targets: list[str]
    multi: bool
    cancel: asyncio.Event | None
    env: dict[str, str] | None
    task: str
    changes: ChangeSet | None = None
    reply: str = ""
    summary_source: str = ""  # the text the log's summary is taken from
    fallback: str | None = None  # the tool loop could not run: why (the single reply runs instead)
    base: dict[str, bytes | None] = field(default_factory=dict)  # a single reply's files as the prompt showed them
    seed: dict[str, bytes | None] = field(default_factory=dict)  # what earlier runs of the chain landed

    @property
    def outputs(self) -> list[str]:
        return [*self.targets, *(o for o in self.agent.outputs if o not in self.targets)]


def _cancelled(work: Work) -> bool:
    return work.cancel is not None and work.cancel.is_set()


# -- the checkout ----------------------------------------------------------------------------------------------


def open_checkout(ws: Workspace, run_id: str, copy: bool, seed: Mapping[str, bytes | None] | None = None
                  ) -> tuple[Checkout | None, Isolated]:
    """The run's worktree (stale ones pruned first), with `seed` (what its chain landed) written over HEAD; without
    git history, a temporary copy of the working tree when `copy`, else None (the run works in place; both have
    the chain's files already). Raises WorktreeProblem when git fails to make one."""
    prune_stale(ws.git_root)
    problem = isolation_problem(ws.git_root)
    if problem is None and ws.git_root is not None:
        checkout = create_worktree(ws.root, run_id)
        try:
            checkout = seed_checkout(checkout, seed or {})
        except BaseException:
            checkout.remove()
            raise
        return checkout, Isolated(run_id, checkout.root)
    if copy:
        checkout = create_copy(ws.root, run_id)
        return checkout, Isolated(run_id, None, f"{problem}: the executor works in a temporary copy of the tree "
                                                "and its changes land in place")
    return None, Isolated(run_id, None, f"{problem}: the run works in place, its writes held in memory until they "
                                        "land")


def _contract_replaced(messages: list[dict[str, str]], old: str, new: str) -> list[dict[str, str]]:
    """The prompt with the single reply's output contract replaced by `new` (tools and executors edit files)."""
    out = [dict(m) for m in messages]
    if out and out[0].get("role") == "system" and old in out[0]["content"]:
        out[0]["content"] = out[0]["content"].replace(old, new)
    return out


def executor_contract(outputs: list[str]) -> str:
    return ("Work in the current folder, a checkout of the repository made for this run: read what you need and "
            f"edit the files in place. You may change only these paths (your outputs): {', '.join(outputs)}; a change "
            "anywhere else refuses the whole run and nothing lands. When you are done, say in one line what you "
            "changed.")


def prompt_text(messages: list[dict[str, str]]) -> str:
    """The prompt as one text, for an executor that takes a file."""
    return "\n\n".join(m["content"] for m in messages)


# -- the tool loop ---------------------------------------------------------------------------------------------


async def tool_work(work: Work, slot: Any) -> AsyncIterator[RunEvent]:
    """The tool loop in the run's checkout; sets `work.fallback` when the provider has no tools."""
    from techcat_core.gitops import without_git_location
    from techcat_core.runs.recording import note_messages
    from techcat_core.runs.scrub import configured_secrets
    from techcat_core.runtime.tool_host import ToolHost
    from techcat_core.runtime.tool_loop import FinalText, ToolBudget, ToolsUnsupported, guidance, run_tools
    from techcat_core.runtime.worktree import hooks_folders

    try:
        checkout, isolated = await asyncio.to_thread(open_checkout, work.ws, work.run_id, False, work.seed)
    except (WorktreeProblem, OSError) as error:
        yield RunFailed(work.run_id, f"could not make the run's worktree: {error}; nothing was sent or written")
        return
    yield isolated
    try:
        hooks = await asyncio.to_thread(hooks_folders, work.ws.root) if work.ws.git_root is not None else ()
        env = work.env if work.env is not None else os.environ
        # named commands start from the run's environment, as executors do: no key, and no git location a hook
        # exported (the test command's git would use the user's index instead of the checkout's)
        host = ToolHost(checkout.root if checkout else work.ws.root, work.ws.root, work.outputs,
                        write_through=checkout is not None, commands=work.settings.tool_commands, hooks=hooks,
                        secrets=configured_secrets(env), env=without_git_location(env))
        messages = work.prompt.messages  # the reply contract stays: a model that uses no tool follows it
        note_messages(work.run_id, _as_sent(messages, guidance(host)))
        final: list[str] = []
        calls = 0
        async with slot:
            try:
                async for item in run_tools(work.settings, work.model, list(messages), host,
                                            ToolBudget.of(work.settings), work.cancel, work.run_id,
                                            max_tokens=reply_reserve(work.settings.context_window)):
                    if isinstance(item, ToolsUnsupported):
                        work.fallback = item.reason
                        return
                    if isinstance(item, RetryNotice):
                        yield Retrying(work.run_id, item.attempt, item.delay, item.reason)
                    elif isinstance(item, CallUsage):
                        yield Usage(work.run_id, item.prompt_tokens, item.completion_tokens, item.estimated,
                                    work.model)
                    elif isinstance(item, str):
                        yield TextDelta(work.run_id, item)
                    elif isinstance(item, FinalText):
                        final.append(item.text)
                    elif isinstance(item, ToolCalled | ToolResult):
                        calls += isinstance(item, ToolCalled)
                        yield item
            except ModelError as error:
                yield RunFailed(work.run_id, str(error))
                return
            except asyncio.CancelledError:
                if _cancelled(work):
                    yield RunCancelled(work.run_id)
                    return
                raise
        if _cancelled(work):
            yield RunCancelled(work.run_id)
            return
        work.reply = work.summary_source = _readable("".join(final))
        try:
            changes = await asyncio.to_thread(host.changes)
        except OSError as error:
            yield RunFailed(work.run_id, f"could not read what the run wrote ({error.strerror or error}); nothing "
                                         "was applied")
            return
        if calls == 0 and not changes:  # the model used no tool: its answer is a single reply, as without tools
            async for event in plan_reply(work, work.reply):
                yield event
        elif not changes:  # a run that did nothing says so, as an empty single reply does; nothing is logged
            yield RunFailed(work.run_id, f"the model used its tools but changed no file (its outputs: "
                                         f"{', '.join(work.outputs)}); nothing was logged")
        else:
            work.changes = changes
    finally:
        if checkout is not None:
            checkout.remove()  # here, not in a thread: a cancelled run must not leave it behind


def _as_sent(messages: list[dict[str, str]], guidance: str) -> list[dict[str, str]]:
    """The first request's messages as the tool loop sends them: its guidance after the system messages."""
    at = 0
    while at < len(messages) and messages[at].get("role") == "system":
        at += 1
    return [*messages[:at], {"role": "system", "content": guidance}, *messages[at:]]


# -- an executor -----------------------------------------------------------------------------------------------


async def executor_work(work: Work, spec: Any, slot: Any) -> AsyncIterator[RunEvent]:
    """An external coding agent in the run's checkout; its changes are the checkout's diff against its start."""
    from techcat_core.executors import ExecutorFailed, run_executor
    from techcat_core.runs.recording import note_messages

    try:
        checkout, isolated = await asyncio.to_thread(open_checkout, work.ws, work.run_id, True, work.seed)
    except (WorktreeProblem, OSError) as error:
        yield RunFailed(work.run_id, f"could not make the run's checkout: {error}; nothing was run or written")
        return
    assert checkout is not None
    yield isolated
    try:
        messages = _contract_replaced(work.prompt.messages, output_contract(work.agent, work.targets, work.multi),
                                      executor_contract(work.outputs))
        note_messages(work.run_id, messages)
        lines: list[str] = []
        async with slot:
            try:
                async for line in run_executor(spec, root=checkout.root, prompt_text=prompt_text(messages),
                                               task=work.task, agent=work.agent.name, model=work.model,
                                               settings=work.settings, cancel=work.cancel,
                                               timeout=work.settings.tool_max_seconds, env=work.env,
                                               timeout_setting=EXECUTOR_TIMEOUT_SETTING):
                    lines.append(line)
                    yield ExecutorOutput(work.run_id, line)
            except ExecutorFailed as error:
                yield RunFailed(work.run_id, f"{error}; nothing was applied")
                return
            except asyncio.CancelledError:
                if _cancelled(work):
                    yield RunCancelled(work.run_id)
                    return
                raise
        if _cancelled(work):
            yield RunCancelled(work.run_id)
            return
        work.reply = "\n".join(lines)
        work.summary_source = "\n".join(reversed([line for line in lines if len(line.strip()) >= 8][-1:]))
        try:
            changes = await asyncio.to_thread(checkout.changes)
        except WorktreeProblem as error:
            yield RunFailed(work.run_id, str(error))
            return
        if not changes:  # a run that did nothing says so, as an empty single reply does; nothing is logged
            yield RunFailed(work.run_id, f"the executor changed no file (its outputs: {', '.join(work.outputs)}); "
                                         "nothing was logged")
            return
        work.changes = changes
    finally:
        checkout.remove()


# -- the single reply ------------------------------------------------------------------------------------------


def read_start(root: Path, targets: list[str]) -> dict[str, bytes | None]:
    """The target files as the prompt showed them: a single reply's three-way base."""
    start: dict[str, bytes | None] = {}
    for target in targets:
        try:
            start[normalise(target)] = (root / normalise(target)).read_bytes()
        except OSError:
            start[normalise(target)] = None
    return start


async def reply_work(work: Work) -> AsyncIterator[RunEvent]:
    """Stream one reply and plan its files (the caller holds the targets and a model slot)."""
    from techcat_core.runs.recording import note_messages

    note_messages(work.run_id, work.prompt.messages)  # the run's record keeps the exact messages it sent
    parts: list[str] = []
    try:
        async for piece in stream_reply(work.settings, work.model, work.prompt.messages, work.cancel,
                                        max_tokens=reply_reserve(work.settings.context_window)):
            if isinstance(piece, RetryNotice):
                parts.clear()
                yield Retrying(work.run_id, piece.attempt, piece.delay, piece.reason)
            elif isinstance(piece, CallUsage):
                yield Usage(work.run_id, piece.prompt_tokens, piece.completion_tokens, piece.estimated, work.model)
            else:
                parts.append(piece)
                yield TextDelta(work.run_id, piece)
    except ModelError as error:
        yield RunFailed(work.run_id, str(error))
        return
    except asyncio.CancelledError:
        if _cancelled(work):
            yield RunCancelled(work.run_id)
            return
        raise
    reply = _readable("".join(parts))
    if _cancelled(work):
        yield RunCancelled(work.run_id)
        return
    async for event in plan_reply(work, reply):
        yield event


def _readable(text: str) -> str:
    """A reply as it is planned and summarised: no <think> of a reasoning model, no lone surrogate (U+FFFD)."""
    text = strip_thinking(text)
    if not text.isascii():  # an unpaired \ud800 escape from the API is no character (issue 11 §3)
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


async def plan_reply(work: Work, reply: str) -> AsyncIterator[RunEvent]:
    """The files a reply asks for under the reply contract, as the run's changes; one bad path fails the run."""
    if not reply.strip():
        yield RunFailed(work.run_id, "the model sent an empty reply; nothing was written")
        return
    root = work.ws.root
    try:
        plans = plan_writes(root, reply, work.targets, [o for o in work.agent.outputs if o not in work.targets],
                            work.multi)
    except OutputRefused as error:
        yield RunFailed(work.run_id, str(error))
        return
    work.reply = work.summary_source = reply
    if not work.base:
        work.base = await asyncio.to_thread(read_start, root, work.targets)
    writes = [(plan.relative, plan.content.encode("utf-8")) for plan in plans]
    # a file the reply repeats as it is stays in: the entry lists every file of the reply, as it always did
    work.changes = await asyncio.to_thread(changes_of_writes, root, writes, work.base, True)

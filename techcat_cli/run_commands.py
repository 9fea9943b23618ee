"""`techcat run` and `techcat watch`: the agent runtime from the shell, with live progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from techcat_cli.common import EXIT_FINDINGS, EXIT_OK, UserError, codex_dir


class ProgressPrinter:
    """Streams the reply to stdout and one line per event to stderr; a spinner while the model thinks."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out, self.err = out, err
        self.failed = False
        self._mid_line = False
        self._status: Any = None

    def _spin(self, text: str | None) -> None:
        """Show (or, with None, stop) a live spinner on a terminal; plain output elsewhere."""
        if self._status is not None:
            self._status.stop()
            self._status = None
        if text is None or not self.err.isatty():
            return
        from rich.console import Console

        self._status = Console(file=self.err).status(text)
        self._status.start()

    def close(self) -> None:
        self._spin(None)

    def note(self, text: str) -> None:
        self._spin(None)
        if self._mid_line:
            self.out.write("\n")
            self.out.flush()
            self._mid_line = False
        self.err.write(text + "\n")
        self.err.flush()

    def handle(self, event: Any, root: Path) -> None:
        from techcat_core.runtime import events as ev

        if isinstance(event, ev.RunStarted):
            indent = "  " * event.depth
            self.note(f"{indent}▶ {event.agent} ({event.provider}, {event.model})")
            if event.provider != "built-in":
                self._spin(f"{event.agent} is waiting for the model…")
        elif isinstance(event, ev.TextDelta):
            self._spin(None)
            self.out.write(event.text)
            self.out.flush()
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ev.Retrying):
            self.note(f"↻ retry {event.attempt} in {event.delay:.1f}s ({event.reason}); the reply starts over")
            self._spin(f"retrying ({event.reason})…")
        elif isinstance(event, ev.FileWritten):
            self.note(f"✓ {'wrote' if event.path.exists() else 'removed'} {_rel(event.path, root)}")
        elif isinstance(event, ev.Logged):
            self.note(f"✓ logged {event.entry['task_id']} ({event.entry['agent']}): {event.entry['summary']}")
        elif isinstance(event, ev.Chained):
            self.note(f"→ {event.from_agent} chains to {event.to_agent}")
        elif isinstance(event, ev.Committed):
            self.note(f"✓ committed {event.sha[:8]} {event.message}")
        elif isinstance(event, ev.DryRun):
            for message in event.messages:
                self.out.write(f"--- {message['role']} ---\n{message['content']}\n")
            self.note(event.hint)
        elif isinstance(event, ev.Notice):
            self.note(f"! {event.message}")
        elif isinstance(event, ev.RunFailed):
            self.failed = True
            self.note(f"✗ {event.message}")
        elif isinstance(event, ev.RunCancelled):
            self.failed = True
            self.note("✗ cancelled; nothing was written")
        else:
            self._handle_work(event, ev)

    def _handle_work(self, event: Any, ev: Any) -> None:
        """The events of a run's work (issue 13): where it works, tool calls, an executor's lines, its changes."""
        from techcat_cli.review_prompt import visible  # what a model or an executor printed moves no cursor

        if isinstance(event, ev.Isolated):
            if event.worktree is not None:
                self.note(f"  working in its own worktree {event.worktree}")
            elif event.reason and not event.reason.startswith("a single reply"):
                self.note(f"! {event.reason}")
        elif isinstance(event, ev.ToolCalled):
            arguments = event.arguments if len(event.arguments) <= 160 else event.arguments[:160] + "…"
            self.note(f"  ⚙ {visible(event.name)} {visible(arguments)}")
        elif isinstance(event, ev.ToolResult):
            self.note(f"    {'✓' if event.ok else '✗'} {visible(event.summary)}")
        elif isinstance(event, ev.ExecutorOutput):
            self._spin(None)
            self.out.write(visible(event.text) + "\n")
            self.out.flush()
        elif isinstance(event, ev.ChangesProposed) and not event.review:
            paths = ", ".join(event.changes.paths[:8]) + (" …" if len(event.changes.paths) > 8 else "")
            self.note(f"± {len(event.changes.paths)} file(s) changed: {paths}")
        elif isinstance(event, ev.RunDiscarded):
            self.note(f"✗ {event.agent}: discarded at review; nothing was written and nothing logged")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _request(args: argparse.Namespace, agent: str, task: str, proposed: int | None = None) -> Any:
    from techcat_core.runtime.runner import RunRequest

    return RunRequest(agent=agent, task=task, provider=args.provider, model=args.model, base_url=args.base_url,
                      commit=args.commit, chain=not args.no_chain, proposed_item=proposed,
                      deadline=getattr(args, "deadline", None))


def _with_review(args: argparse.Namespace, request: Any, printer: ProgressPrinter) -> Any:
    """`--review` asks on the terminal before every run of the chain lands; without it, only the agents
    `[review] agents` names are asked (when there is a terminal to ask on). `--yes` approves without asking."""
    from dataclasses import replace

    from techcat_cli.review_prompt import terminal_reviewer

    interactive = sys.stdin.isatty()
    if request.dry_run:
        return request  # nothing lands, nothing to ask about
    if args.review and not interactive and not args.yes:
        raise UserError("techcat run --review asks on the terminal, and standard input is not one; pass --yes to "
                        "apply the changes without asking, or run it in a terminal")
    if not (args.review or args.yes or interactive):
        return request
    return replace(request, review=terminal_reviewer(printer.close, args.yes), review_all=bool(args.review))


def _explain(codex: Path, request: Any) -> int:
    from techcat_core.runtime.runner import RunError, explain_run

    try:
        prompt, settings, model = explain_run(codex, request)
    except RunError as error:
        raise UserError(str(error)) from None
    for message in prompt.messages:
        print(f"--- {message['role']} ---\n{message['content']}\n")
    print(f"provider: {settings.label}   model: {model}   context window: {settings.context_window} tokens, from "
          f"{settings.context_window_source}")
    from techcat_core.runtime.tokens import METHOD

    print(f"tokens: {METHOD}")
    print(f"budget: {prompt.budget} tokens for the prompt (the rest is reserved for the reply); used {prompt.used}")
    for line in prompt.lines:
        print(f"  {line.part:<32} {line.tokens:>7} tokens  {line.note}")
    print(f"  memory: {prompt.entries_included} of {prompt.entries_total} task-log entries fit")
    if prompt.unfilled:
        print("  template placeholders left empty: " + ", ".join(sorted(set(prompt.unfilled))))
    _explain_tools(settings)
    return EXIT_OK


def _explain_tools(settings: Any) -> None:
    """The tools a run would offer the model (issue 13 §1), by name with their descriptions and parameters."""
    from techcat_core.runtime.tool_loop import tool_definitions, tools_enabled

    if not tools_enabled(settings):
        print(f"tools: off ({settings.tools_off or 'the dry-run provider sends nothing'}); the model replies with "
              "whole files")
        return
    definitions = tool_definitions(settings)
    print(f"tools: {len(definitions)} offered to the model (a server that refuses them gets whole-file replies)")
    for tool in definitions:
        function = tool["function"]
        parameters = ", ".join(function.get("parameters", {}).get("properties", {}))
        print(f"  {function['name']}({parameters}): {function.get('description', '')}")


async def _drive(codex: Path, request: Any, printer: ProgressPrinter) -> None:
    from techcat_core.runtime.runner import run_agent

    root = codex.parent
    try:
        async for event in run_agent(codex, request):
            printer.handle(event, root)
    finally:
        printer.close()


def _run_with_cancel(codex: Path, request: Any, printer: ProgressPrinter) -> None:
    """Ctrl+C cancels the run cleanly: nothing is written."""
    import asyncio  # here, not at the top: `techcat check` starts faster without it
    import signal

    async def main() -> None:
        task = asyncio.ensure_future(_drive(codex, request, printer))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            printer.note("✗ cancelled; nothing was written")
            printer.failed = True

    asyncio.run(main())


def cmd_run(args: argparse.Namespace) -> int:
    codex = codex_dir(args)
    proposed_number = args.proposed
    if proposed_number is not None:
        agent, task = _proposed_item(codex, proposed_number)
    else:
        if not args.agent or not args.task:
            raise UserError('usage: techcat run AGENT "task"  (or techcat run --proposed N)')
        agent, task = args.agent, args.task
    request = _request(args, agent, task, proposed_number)
    if args.explain:
        return _explain(codex, request)
    if args.dry_run:
        from dataclasses import replace

        request = replace(request, dry_run=True)
    printer = ProgressPrinter()
    request = _with_review(args, request, printer)
    _run_with_cancel(codex, request, printer)
    return EXIT_FINDINGS if printer.failed else EXIT_OK


def _proposed_item(codex: Path, number: int) -> tuple[str, str]:
    from techcat_core.proposed import parse_proposed
    from techcat_core.workspace import PROPOSED, read_text

    text = read_text(codex / PROPOSED)
    if text is None:
        raise UserError(f"{codex / PROPOSED} does not exist")
    item = parse_proposed(text, codex / PROPOSED).item(number)
    if item is None:
        raise UserError(f"PROPOSED-TASKS.md has no item {number}")
    if not item.agent:
        raise UserError(f"PROPOSED-TASKS.md:{item.line + 1}: item {number} names no agent; add @agent_name to it")
    if item.state == "x":
        raise UserError(f"PROPOSED-TASKS.md:{item.line + 1}: item {number} is already done")
    return item.agent, item.title


def cmd_watch(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from techcat_core.confine import Refused
    from techcat_core.runtime.daemon import watch_and_run
    from techcat_core.workspace import locate_workspace

    codex = codex_dir(args)
    try:  # a `.codex` linked out of its repository: say so and stop, rather than idle
        locate_workspace(codex)
    except Refused as error:
        raise UserError(f"techcat watch: {error}; nothing will run") from None
    printer = ProgressPrinter()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        async for message in watch_and_run(codex, stop, provider=args.provider, model=args.model,
                                           base_url=args.base_url, commit=args.commit):
            if isinstance(message, str):
                printer.note(message)
            else:
                printer.handle(message, codex.parent)

    asyncio.run(main())
    return EXIT_OK


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    def provider_flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--provider", choices=("openai", "azure", "openai-compatible", "dry-run"))
        parser.add_argument("--model", help="model (or Azure deployment) name")
        parser.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1")
        parser.add_argument("--commit", action="store_true", help="commit exactly the run's files and log entry")

    run = add("run", cmd_run, "run an agent on a task: stream, write, log, chain")
    run.add_argument("agent", nargs="?", help="the agent's name")
    run.add_argument("task", nargs="?", help="what to do")
    run.add_argument("--proposed", type=int, metavar="N", help="run item N of PROPOSED-TASKS.md and tick it")
    run.add_argument("--explain", action="store_true", help="show the messages and the context budget; send nothing")
    run.add_argument("--dry-run", action="store_true", help="run everything but the model call; write nothing")
    run.add_argument("--no-chain", action="store_true", help="do not run the agents this one chains to")
    run.add_argument("--review", action="store_true",
                     help="show each run's changes as a diff and apply them only when you answer y")
    run.add_argument("--yes", action="store_true", help="with --review (or [review] agents): apply without asking")
    run.add_argument("--deadline", type=float, metavar="SECONDS",
                     help="the most one attempt at the model may take (default: [provider] deadline, else 600)")
    provider_flags(run)
    watch = add("watch", cmd_watch, "run every item marked [>] in PROPOSED-TASKS.md, as it is marked")
    provider_flags(watch)

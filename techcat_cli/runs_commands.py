"""`techcat runs`: the run history from the shell — list, show one run with its messages and reply, rate it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from techcat_cli.common import EXIT_OK, UserError, codex_dir

SCHEMA_VERSION = 1


def _history(args: argparse.Namespace) -> Any:
    from techcat_core.runs.history import HistoryError
    from techcat_core.runs.store import open_history

    try:
        return open_history(codex_dir(args))
    except HistoryError as error:
        raise UserError(str(error)) from None


def _guarded(action: Callable[[], Any]) -> Any:
    from techcat_core.runs.history import HistoryError
    from techcat_core.runs.query import QueryError

    try:
        return action()
    except (HistoryError, QueryError) as error:
        raise UserError(str(error)) from None


def cmd_runs(args: argparse.Namespace) -> int:
    from techcat_core.runs.query import RunQuery, parse_outcome, parse_since

    def query() -> RunQuery:
        return RunQuery(agent=args.agent.strip() if args.agent else None,
                        outcome=parse_outcome(args.outcome) if args.outcome else None,
                        since=parse_since(args.since) if args.since else None, limit=args.limit)

    wanted = _guarded(query)
    history = _history(args)
    records = _guarded(lambda: history.recent(wanted))
    if args.format == "json":
        payload = {"schemaVersion": SCHEMA_VERSION, "history": history.where,
                   "runs": [record.summary() for record in records]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if not records:
        print(f"No runs recorded{' that match' if wanted != RunQuery(limit=args.limit) else ''} "
              f"(history: {history.where}).")
        return EXIT_OK
    _print_table(records)
    return EXIT_OK


def _print_table(records: list[Any]) -> None:
    from techcat_core.runs.display import cost_text, local_time, tokens_text

    rows = [(r.run_id, local_time(r.started), r.agent, r.outcome, tokens_text(r), cost_text(r.cost),
             r.task_id or "-", r.rating or "-", " ".join(r.task.split())[:60]) for r in records]
    header = ("RUN", "STARTED", "AGENT", "OUTCOME", "TOKENS IN/OUT", "COST", "TASK", "RATING", "WHAT")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    right = {4, 5}
    for row, record in zip([header, *rows], [None, *records], strict=True):
        cells = [str(v).rjust(w) if i in right else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths,
                                                                                                   strict=False))]
        print("  ".join([*cells, str(row[-1])]).rstrip())
        if record is not None and record.outcome == "failed" and record.reason:
            print(f"{'':{widths[0]}}  ✗ {' '.join(record.reason.split())[:160]}")


def cmd_runs_show(args: argparse.Namespace) -> int:
    history = _history(args)
    record = _guarded(lambda: history.get(args.id))
    if args.format == "json":
        sys.stdout.write(json.dumps({"schemaVersion": SCHEMA_VERSION, "run": record.full()}, ensure_ascii=False,
                                    indent=2) + "\n")
        return EXIT_OK
    from techcat_core.runs.display import cost_text, duration_text, feedback_text, local_time, tokens_text

    tokens = tokens_text(record)
    source = "estimated: the server reported no usage" if record.tokens_estimated else "as the server reported"
    lines = [
        f"run {record.run_id}  {record.agent}  {record.outcome}" + (f": {record.reason}" if record.reason else ""),
        f"  started   {local_time(record.started, seconds=True)} ({record.started}), took "
        f"{duration_text(record.duration_ms)}",
        f"  provider  {record.provider}   model {record.model}   executor {record.executor}",
        f"  tokens    {tokens} in/out" + (f" ({source})" if tokens != "-" else "")
        + f"   cost {cost_text(record.cost)}",
        f"  task      {record.task}",
        f"  logged    {record.task_id or '-'}   files {', '.join(record.files) or '-'}",
        f"  chain     {record.chain_id}" + (f" (after {record.parent_id})" if record.parent_id else " (the root)"),
        f"  prompt    sha256 {record.prompt_hash or '-'}   record {record.record_id}",
        f"  feedback  {feedback_text(record)}",
    ]
    if record.trimmed:
        lines.append("  (texts longer than `[history] max_record_bytes` were trimmed)")
    print("\n".join(lines))
    for message in record.messages:
        print(f"\n--- {message.get('role', '?')} ---\n{message.get('content', '')}")
    print(f"\n--- reply ---\n{record.reply}" if record.reply else "\n--- no reply ---")
    return EXIT_OK


def cmd_runs_rate(args: argparse.Namespace) -> int:
    from techcat_core.runs.scrub import configured_secrets, scrub

    note = " ".join(" ".join(args.note).split()) or None
    history = _history(args)
    record = _guarded(lambda: history.rate(args.id, args.rating, scrub(note, configured_secrets()) if note else None))
    print(f"rated run {record.run_id} ({record.agent}, {record.task_id or record.outcome}) {record.rating}"
          + (f": {record.note}" if record.note else ""))
    return EXIT_OK


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    runs = add("runs", cmd_runs, "the run history: every agent run, newest first (show ID, rate ID good|bad)")
    runs.add_argument("--agent", help="only this agent's runs")
    runs.add_argument("--outcome", help="done, failed, cancelled or dry-run")
    runs.add_argument("--since", help="a date (2026-12-01), a time (2026-12-01T09:30) or a span back (12h, 7d)")
    runs.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    runs.add_argument("--format", choices=("text", "json"), default="text")
    actions = runs.add_subparsers(dest="runs_command", metavar="show|rate")

    def action(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text)
        parser.add_argument("--workspace", "-w", metavar="PATH", default=argparse.SUPPRESS,
                            help="a folder inside the workspace (default: cwd)")
        parser.set_defaults(handler=handler)
        return parser

    show = action("show", cmd_runs_show, "one run: its record, the exact messages it sent and the reply")
    show.add_argument("id", help="a run id (or its start), a record id, or the task id it logged")
    show.add_argument("--format", choices=("text", "json"), default="text")
    rate = action("rate", cmd_runs_rate, "store feedback on a run: good or bad, and an optional note")
    rate.add_argument("id", help="a run id (or its start), a record id, or the task id it logged")
    rate.add_argument("rating", choices=("good", "bad"))
    rate.add_argument("note", nargs="*", help="why (optional)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value

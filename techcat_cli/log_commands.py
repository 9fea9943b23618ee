"""`techcat log`, `techcat import-log` and `techcat merge-driver`: the task-log store from the shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cmd_log(args: argparse.Namespace) -> int:
    """Append one entry through the core's one rule set (techcat_core.usecases.log_task)."""
    from techcat_cli.common import UserError, counted
    from techcat_cli.common import codex_dir as _codex_dir
    from techcat_cli.render import terminal_safe
    from techcat_core.usecases.errors import UnknownAgent, UseCaseError
    from techcat_core.usecases.log_task import LogRequest, log_task

    request = LogRequest(agent=args.agent, summary=args.summary, output_files=tuple(args.files or ()),
                         changed_since=args.from_git, date=args.date, force=args.force)
    try:
        result = log_task(_codex_dir(args), request)
    except UnknownAgent as error:
        raise UserError(f"{error} (--force to log it anyway)") from None
    except UseCaseError as error:
        raise UserError(str(error)) from None
    entry = result.entry
    for warning in result.warnings:
        print(f"techcat: warning: {terminal_safe(warning)}", file=sys.stderr)
    print(f"logged {entry.task_id} ({terminal_safe(entry.agent)}): {terminal_safe(entry.summary)}")
    if entry.output_files:
        count = len(entry.output_files)
        print(f"  {counted(count, 'file')}: " + terminal_safe(", ".join(entry.output_files[:5])) +
              (" …" if count > 5 else ""))
    return 0


def cmd_merge_driver(args: argparse.Namespace) -> int:
    from techcat_core.tasklog.merge import run_merge_driver

    code, note = run_merge_driver(Path(args.base), Path(args.ours), Path(args.theirs))
    print(note, file=sys.stderr)
    return code


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    from techcat_cli import import_command

    log = add("log", cmd_log, "append a completed task to TASK-LOG.json (the store allocates the id)")
    log.add_argument("--agent", "-a", required=True, help="the agent that did the task")
    log.add_argument("--summary", "-s", required=True, help="one line saying what was done (several lines are refused)")
    log.add_argument("--files", "-f", nargs="*", metavar="PATH", help="output files, relative to the repository")
    log.add_argument("--from-git", metavar="REV", help="add the files changed since REV (commits, staged, new)")
    log.add_argument("--date", help="YYYY-MM-DD, not in the future (default: today)")
    log.add_argument("--force", action="store_true", help="log it even if the agent is not in the roster")
    imp = add("import-log", import_command.cmd_import_log, "import a Markdown task log (### Task Completed blocks)")
    imp.add_argument("source", help="the old Markdown log")
    import_command.add_arguments(imp)
    merge = add("merge-driver", cmd_merge_driver, "git merge driver for TASK-LOG.json (see `techcat init --git`)")
    merge.add_argument("base")
    merge.add_argument("ours")
    merge.add_argument("theirs")
    merge.add_argument("pathname", nargs="?")

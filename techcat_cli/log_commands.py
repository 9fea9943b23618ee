"""`techcat log`, `techcat import-log` and `techcat merge-driver`: the task-log store from the shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cmd_log(args: argparse.Namespace) -> int:
    from techcat_cli.common import UserError
    from techcat_cli.common import codex_dir as _codex_dir
    from techcat_core.gitops import GitProblem, changed_since
    from techcat_core.tasklog.store import StoreError, append_entry
    from techcat_core.workspace import load_roster

    codex = _codex_dir(args)
    files = list(args.files or [])
    ws = load_roster(codex)
    if args.from_git:
        try:
            changed = changed_since(ws.root, args.from_git)
        except GitProblem as error:
            raise UserError(f"--from-git {args.from_git}: {error}") from None
        log_rel = ws.relative(codex / "TASK-LOG.json")
        files += [f for f in changed if f != log_rel and f not in files]
    from techcat_core.tasklog.rules import path_escape_problem

    for name in files:
        problem = path_escape_problem(name)
        if problem:
            raise UserError(f'output file "{name}" {problem}; name files relative to the repository root')
    if ws.agents and args.agent not in ws.agent_names | {"task_logger"}:
        print(f"techcat: warning: agent `{args.agent}` is not in the roster", file=sys.stderr)
    try:
        entry = append_entry(codex, args.agent, args.summary, files, date=args.date)
    except StoreError as error:
        raise UserError(str(error)) from None
    print(f"logged {entry['task_id']} ({entry['agent']}): {entry['summary']}")
    if entry["output_files"]:
        print(f"  {len(entry['output_files'])} file(s): " + ", ".join(entry["output_files"][:5]) +
              (" …" if len(entry["output_files"]) > 5 else ""))
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
    log.add_argument("--summary", "-s", required=True, help="one line saying what was done")
    log.add_argument("--files", "-f", nargs="*", metavar="PATH", help="output files, relative to the repository")
    log.add_argument("--from-git", metavar="REV", help="add the files changed since REV (commits, staged, new)")
    log.add_argument("--date", help="YYYY-MM-DD (default: today)")
    imp = add("import-log", import_command.cmd_import_log, "import a Markdown task log (### Task Completed blocks)")
    imp.add_argument("source", help="the old Markdown log")
    import_command.add_arguments(imp)
    merge = add("merge-driver", cmd_merge_driver, "git merge driver for TASK-LOG.json (see `techcat init --git`)")
    merge.add_argument("base")
    merge.add_argument("ours")
    merge.add_argument("theirs")
    merge.add_argument("pathname", nargs="?")

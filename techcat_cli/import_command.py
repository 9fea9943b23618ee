"""`techcat import-log`: a Markdown task log of the pre-JSON kind into TASK-LOG.json, block by block."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_import_log(args: argparse.Namespace) -> int:
    """Import the blocks that read, report each one that does not with its line; `--strict`: all or nothing."""
    from techcat_cli.common import EXIT_FINDINGS, UserError, counted
    from techcat_cli.common import codex_dir as _codex_dir
    from techcat_core.tasklog.legacy import parse_legacy_log, screen_entries
    from techcat_core.tasklog.store import StoreError, append_entries

    source = Path(args.source)
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise UserError(f"{source}: {error.strerror}") from None
    codex = _codex_dir(args)
    parsed = parse_legacy_log(text)
    if parsed.foreign:
        raise UserError(f"{source} is {parsed.foreign}; nothing was imported")
    screen_entries(parsed, codex.parent)
    for problem in parsed.problems:
        print(f"{source}:{problem.line}: {problem.message}", file=sys.stderr)
    if getattr(args, "strict", False) and parsed.refused:
        print(f"techcat: --strict: {counted(len(parsed.refused), 'block')} cannot be imported, so none was; fix them "
              "or import without --strict", file=sys.stderr)
        return EXIT_FINDINGS
    if not parsed.entries:
        raise UserError(f"{source}: none of its {counted(parsed.skipped, '`### Task Completed` block')} "
                        "could be imported")
    try:
        written = append_entries(codex, parsed.entries)
    except StoreError as error:
        raise UserError(str(error)) from None
    for line, old, new in zip(parsed.lines, parsed.entries, written, strict=True):
        if old.task_id and old.task_id != new["task_id"]:
            print(f"{source}:{line}: {old.task_id} is already taken; imported as {new['task_id']}", file=sys.stderr)
    skipped = f"; {counted(parsed.skipped, 'block')} skipped (see above)" if parsed.skipped else ""
    print(f"imported {counted(len(written), 'entry', 'entries')} into {codex / 'TASK-LOG.json'}"
          f"{skipped}; run `techcat check` to review them")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true",
                        help="import nothing when any block cannot be imported (default: import the others)")

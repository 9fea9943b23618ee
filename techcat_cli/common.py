"""What every command shares: the user-error type and finding the workspace."""

from __future__ import annotations

import argparse
from pathlib import Path

# One meaning each: a script can tell "problems found" from "could not check" from "TechCat broke".
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UserError(Exception):
    """A problem the user can fix; printed as one sentence, exit code 2."""


def codex_dir(args: argparse.Namespace) -> Path:
    from techcat_core.workspace import WorkspaceNotFound, find_codex_dir

    start = Path(args.workspace) if getattr(args, "workspace", None) else None
    if start is not None and not start.exists():
        raise UserError(f"--workspace {start}: no such directory")
    try:
        return find_codex_dir(start)
    except WorkspaceNotFound as error:
        raise UserError(str(error)) from None


def counted(count: int, word: str, plural: str | None = None) -> str:
    """`1 task`, `2 tasks`, `1 entry`, `3 entries`: a count with its noun in the right number."""
    return f"{count} {word if count == 1 else plural or word + 's'}"

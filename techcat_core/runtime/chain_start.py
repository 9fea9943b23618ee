"""What a chained run starts from: HEAD plus the files the earlier runs of its chain landed.

A chain hands work on ("the planner writes the plan, the implementer reads it"), but a run's worktree is made from
HEAD, which has none of what the chain just landed unless `--commit` committed it. So right after a chained run's
worktree is made, the chain's landed files are written into it, and they count as the run's starting content: its
changes are measured against them (a file the run leaves as the chain landed it is no change of its own, and
is not in its entry), and its landing merges three ways against them, not against HEAD.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.confine import Refused, writable
from techcat_core.runtime.worktree import Checkout, WorktreeProblem


def seed_checkout(checkout: Checkout, files: Mapping[str, bytes | None]) -> Checkout:
    """Write `files` (repository-relative: content, None for removed) into the checkout; the checkout that
    measures its changes from them. WorktreeProblem (one sentence) when one cannot be written there."""
    if not files:
        return checkout
    for relative, content in sorted(files.items()):
        try:
            target = writable(checkout.root, relative, [relative])  # inside the checkout, through no link out
            if content is None:
                Path(target).unlink(missing_ok=True)
            else:
                write_atomic(target, content, durable=False, root=checkout.root)
        except (Refused, OSError) as error:
            raise WorktreeProblem(f'could not give the run "{relative}" as the chain landed it ({error}); nothing '
                                  "was run or written") from None
    return dataclasses.replace(checkout, seeded=dict(files))


def landed_files(root: Path, paths: list[str]) -> dict[str, bytes | None]:
    """The files a run just landed, as they are in the working tree now (None: removed)."""
    files: dict[str, bytes | None] = {}
    for relative in paths:
        try:
            files[relative] = (root / relative).read_bytes() if os.path.lexists(root / relative) else None
        except OSError:
            continue  # unreadable now: the chain's next run starts from HEAD's for that one
    return files

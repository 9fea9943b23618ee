"""Review before a run lands (issue 13 §4): who is asked, and waiting for the answer without outliving a cancel.

A run is reviewed when its front end asks for it for every run (`techcat run --review`: `RunRequest.review`
with `review_all`), or when `[review] agents` in techcat.toml names its agent (or `"*"`) and the front end can
ask (`review` set, `review_all=False`: the callback is only the means). An agent that must be reviewed, run
from a front end that cannot ask (`techcat watch`, MCP), fails before anything is sent, with a sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from techcat_core.runtime.changes import ChangeSet, ReviewDecision
from techcat_core.workspace import Workspace

Reviewer = Callable[[ChangeSet], Awaitable[ReviewDecision]]
DECISIONS: tuple[ReviewDecision, ...] = ("approve", "discard", "applied")


def listed_for_review(ws: Workspace, agent: str) -> bool:
    """Whether techcat.toml's `[review] agents` names `agent` (or every agent, `"*"`)."""
    agents = ws.config.review.agents
    return "*" in agents or agent in agents


def reviewer_for(ws: Workspace, agent: str, review: Reviewer | None, review_all: bool) -> tuple[Reviewer | None,
                                                                                             str | None]:
    """Who reviews this agent's run (None: nobody), or why the run cannot go ahead."""
    listed = listed_for_review(ws, agent)
    if review is not None and (review_all or listed):
        return review, None
    if listed:
        return None, (f"`{agent}` lands only after review (`[review] agents` in .codex/techcat.toml) and this front "
                      "end cannot ask for it; run it with `techcat run --review`, from the TUI or an editor; nothing "
                      "was sent or written")
    return None, None


async def await_decision(reviewer: Reviewer, changes: ChangeSet, cancel: asyncio.Event | None
                         ) -> ReviewDecision | None:
    """The reviewer's answer, or None when the run was cancelled while it waited (the question is withdrawn)."""
    asking = asyncio.ensure_future(reviewer(changes))
    waiting = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    try:
        done, _ = await asyncio.wait({asking, *([waiting] if waiting else [])}, return_when=asyncio.FIRST_COMPLETED)
        if asking not in done:
            return None
        decision = asking.result()
    finally:
        for task in (asking, waiting):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
    if decision not in DECISIONS:
        raise ValueError(f"the reviewer answered {decision!r}, not one of {', '.join(DECISIONS)}")
    return decision

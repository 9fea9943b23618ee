"""Work-done progress for an agent run: one progress per agent of a chain, each with its own title and its
own end report, so a chained agent never streams under the first agent's title.

Every progress is cancellable (VS Code shows a notification with a Cancel button); cancelling any of them
cancels the run. Clients without work-done progress get none of this; the run's result message is theirs.
"""

from __future__ import annotations

import asyncio
import logging
import time

from lsprotocol import types as lsp

from techcat_lsp.server import TechcatServer

logger = logging.getLogger("techcat_lsp")
REPORT_EVERY = 0.2  # seconds between progress reports while text streams in
TITLE_PREFIX = "TechCat: "


class AgentProgress:
    """The progress of the agent running now; `start` ends the previous agent's before it begins the next."""

    def __init__(self, ls: TechcatServer, run_id: str, cancel: asyncio.Event) -> None:
        self.ls = ls
        self.run_id = run_id
        self.cancel = cancel
        self.token: str | None = None
        self.agent: str | None = None
        self.tokens: list[str] = []  # every token this run used, in order
        self._count = 0
        self._last = 0.0

    async def start(self, agent: str, task: str, previous_report: str | None = None) -> None:
        """`agent` starts: the running agent's progress ends with `previous_report`, the new one begins."""
        if self.token is not None:
            self.end(previous_report or f"{self.agent} finished")
        self.agent = agent
        if not self.ls.progress_support:
            return
        self._count += 1
        token = f"techcat-run-{self.run_id}" + (f"-{self._count}" if self._count > 1 else "")
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception:
            logger.warning("the client refused a progress token; running without progress")
            return
        self.token = token
        self.tokens.append(token)
        self.ls.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(
            title=f"{TITLE_PREFIX}{agent}", message=task[:120], cancellable=True, percentage=None))
        future = self.ls.work_done_progress.tokens.get(token)
        if future is not None:
            future.add_done_callback(lambda f: self.cancel.set() if f.cancelled() else None)

    def report(self, message: str, force: bool = True) -> None:
        now = time.monotonic()
        if self.token is None or (not force and now - self._last < REPORT_EVERY):
            return
        self._last = now
        self.ls.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(message=message[:200]))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message[:200]))
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.token = None

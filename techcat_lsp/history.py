"""TC403-TC406, the rules that read git history, run in the background on open and on save.

They need `git show HEAD:…` and `git log`, so they are not re-run per keystroke: their diagnostics are
shown while the buffer still holds the text they were computed for, and recomputed at the next save or
change on disk.

They read the server's own parse of the log (the analysis' workspace), never a second load of the
workspace: at 100k entries that was a second 40 MB text and a second full parse (~300 MB more, and seconds
of a thread holding the GIL while edits waited). That parse is live: the next edit's reparse moves its
entries under the worker. So a result counts only if the parse it read is still the current one when it
is done; one an edit overtook is dropped, not computed again for the edited buffer (that would be the
history of unsaved text, a full check of HEAD's log per keystroke): the next save computes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from techcat_core.diagnostics import Diagnostic
from techcat_core.workspace import Workspace, find_git_root

logger = logging.getLogger(__name__)

QUIET_SECONDS = 0.3  # how long the buffer must go unedited before the history checks start


def _compute(ws: Workspace) -> list[Diagnostic]:
    from techcat_core.history import history_rules  # imports gitpython: only when there is a repository

    ignored = set(ws.config.check.ignore)
    return [d for d in history_rules(ws) if d.code not in ignored]


class History:
    def __init__(self, codex_dir: Path) -> None:
        self.codex_dir = codex_dir
        self.diagnostics: list[Diagnostic] = []
        self.for_text: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False

    @property
    def enabled(self) -> bool:
        return find_git_root(self.codex_dir.parent) is not None

    def current(self, log_text: str | None) -> list[Diagnostic]:
        """The history diagnostics, if they were computed for this very text of the log."""
        if not self.diagnostics or log_text is None or self.for_text is None:
            return []
        if log_text is self.for_text or (len(log_text) == len(self.for_text) and log_text == self.for_text):
            self.for_text = log_text  # identity next time
            return self.diagnostics
        return []

    def refresh(self, workspace: Callable[[], Workspace],
                on_change: Callable[[], None] | None = None) -> asyncio.Task[None] | None:
        """Recompute in a worker thread on `workspace()` (the server's analysis, brought up to date);
        `on_change()` is called when the diagnostics changed. One computation at a time: a refresh asked
        for meanwhile runs when it is done."""
        if not self.enabled:
            return None
        if self._task is not None and not self._task.done():
            self._again = True
            return self._task

        async def run() -> None:
            self._again = True
            while self._again:
                self._again = False
                try:
                    await self._settle(workspace, on_change)
                except Exception:  # the analysis failed: the publisher says so; the history waits for the next one
                    logger.exception("git history checks failed for %s", self.codex_dir)

        self._task = asyncio.ensure_future(run())
        return self._task

    async def _settle(self, workspace: Callable[[], Workspace], on_change: Callable[[], None] | None) -> None:
        log = workspace().task_log
        # Not while edits are coming (the first ones often right after the open): the worker would hold
        # the GIL against them and keep their log's 40 MB text alive beside the edited one, for a result
        # the next edit drops anyway.
        await asyncio.sleep(QUIET_SECONDS)
        ws = workspace()
        if ws.task_log is not log:
            logger.debug("an edit came before the git history checks of %s: they wait for the next save",
                         self.codex_dir)
            return
        try:
            diagnostics = await asyncio.to_thread(_compute, ws)
        except Exception:  # best effort: a broken repository must not stop the other checks
            if workspace().task_log is log:  # else the entries moved under the rules: no fault of theirs
                logger.exception("git history checks failed for %s", self.codex_dir)
            diagnostics = []
        if workspace().task_log is not log:
            logger.debug("an edit overtook the git history checks of %s: dropped until the next save", self.codex_dir)
            return
        changed = diagnostics != self.diagnostics
        self.diagnostics, self.for_text = diagnostics, log.text if log is not None else None
        if changed and on_change is not None:
            on_change()

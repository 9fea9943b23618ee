"""TC403 and TC404, the rules that read git history, run in the background on open and on save.

They need `git show HEAD:…` and `git log`, and TC403 parses the committed log in full, so they are
not re-run per keystroke: their diagnostics are shown while the buffer still holds the text they
were computed for (the saved file), and recomputed at the next save or change on disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from techcat_core.diagnostics import Diagnostic
from techcat_core.workspace import TASK_LOG, find_git_root, load_workspace

logger = logging.getLogger(__name__)


def _compute(codex_dir: Path) -> tuple[list[Diagnostic], str | None]:
    from techcat_core.history import history_rules  # imports gitpython: only when there is a repository

    ws = load_workspace(codex_dir)
    try:
        found = history_rules(ws)
    except Exception:  # history is best effort: a broken repository must not stop the other checks
        logger.exception("git history checks failed for %s", codex_dir)
        found = []
    ignored = set(ws.config.check.ignore)
    return [d for d in found if d.code not in ignored], ws.texts.get(codex_dir / TASK_LOG)


class History:
    def __init__(self, codex_dir: Path) -> None:
        self.codex_dir = codex_dir
        self.diagnostics: list[Diagnostic] = []
        self.for_text: str | None = None
        self._task: asyncio.Task[None] | None = None

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

    def refresh(self, on_change: Callable[[], None] | None = None) -> asyncio.Task[None] | None:
        """Recompute in a worker thread; `on_change()` is called when the diagnostics changed."""
        if not self.enabled:
            return None
        if self._task is not None and not self._task.done():
            self._task.cancel()

        async def run() -> None:
            diagnostics, text = await asyncio.to_thread(_compute, self.codex_dir)
            changed = diagnostics != self.diagnostics
            self.diagnostics, self.for_text = diagnostics, text
            if changed and on_change is not None:
                on_change()

        self._task = asyncio.ensure_future(run())
        return self._task

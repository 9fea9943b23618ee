"""The server's view of one `.codex/` workspace: what changed since the last analysis, and the analysis.

Only the task log is expensive; the other files are small. So a change to the log re-parses and
re-checks incrementally and reuses the rest of the previous snapshot, and a change to any other
file reloads the small files and keeps the parsed log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
from collections import defaultdict
from pathlib import Path

from techcat_core.diagnostics import Diagnostic
from techcat_core.engine import check_workspace_incremental
from techcat_core.gc_policy import collector_paused
from techcat_core.workspace import TASK_LOG, Workspace, load_workspace
from techcat_lsp.analysis import Analysis
from techcat_lsp.documents import DocumentStore
from techcat_lsp.history import History
from techcat_lsp.log_source import LogSource

MANY_NEW_OBJECTS = 5_000  # tracked objects a check leaves behind: a whole check of a big log, not an edit's


def _freeze_if_many_new() -> None:
    """Freeze what a whole check of a big log built, as the parser freezes the parse (`gc_policy`).

    It leaves ~100k objects for the session (the checker's per-entry results, at 100k entries); left in the
    collector's sight, every full collection walked them again: a 30-60 ms stall of the edit it fell on
    (p95). Reference counting still frees them when they are replaced. An edit's check leaves a few dozen.
    """
    if gc.get_count()[0] > MANY_NEW_OBJECTS:
        gc.freeze()


class WorkspaceState:
    def __init__(self, codex_dir: Path, docs: DocumentStore) -> None:
        self.codex_dir = codex_dir.resolve()
        self.docs = docs
        self.log_source = LogSource(self.codex_dir / TASK_LOG)
        self.history = History(self.codex_dir)
        self.generation = 0
        self.published: set[Path] = set()  # paths whose diagnostics a push client holds
        self._ws: Workspace | None = None
        self._rest_dirty = True
        self._dirty = True
        self._analysis: Analysis | None = None
        self._today: dt.date | None = None

    @property
    def root(self) -> Path:
        return self._ws.root if self._ws is not None else self.codex_dir.parent

    @property
    def log_path(self) -> Path:
        return self.log_source.path

    def owns(self, path: Path) -> bool:
        return path == self.codex_dir or self.codex_dir in path.parents

    def invalidate(self) -> None:
        """Nothing in the files changed, but the analysis must be rebuilt (new git history results)."""
        self._dirty = True

    def changed(self, path: Path | None = None, on_disk: bool = False) -> None:
        """Something changed: a document (`on_disk=False`) or a file; None means anything may have."""
        self._dirty = True
        if path is None:
            self._rest_dirty = True
            self.log_source.disk_stale = True
            self.log_source.checker.forget_paths()
        elif path == self.log_path:
            if on_disk:
                self.log_source.disk_stale = True
        elif self.owns(path):
            self._rest_dirty = True
        elif on_disk:
            with contextlib.suppress(ValueError):  # outside the repository: no entry names it
                self.log_source.checker.forget_paths([path.relative_to(self.root).as_posix()])

    def outputs_changed(self, names: list[str]) -> None:
        """Output files (repository-relative) appeared or vanished: re-check the entries naming them."""
        self.log_source.checker.forget_paths(names)
        self._dirty = True

    def analysis(self, today: dt.date | None = None) -> Analysis:
        """The analysis of the current versions, rebuilt only if something changed."""
        if self._analysis is not None and not self._dirty and (today is None or today == self._today):
            return self._analysis
        today = today or dt.date.today()
        source = self.log_source
        changed, splice = source.update(self.docs.by_path(self.log_path))
        log = source.log
        if self._rest_dirty or self._ws is None:
            ws = self._load(log is not None)
        elif changed or (log is not None and self._ws.task_log is not log):
            texts = dict(self._ws.texts)
            if log is not None:
                texts[self.log_path] = log.text
            else:
                texts.pop(self.log_path, None)
            ws = dataclasses.replace(self._ws, task_log=log, texts=texts)
        else:
            ws = self._ws
        self._ws = ws
        with collector_paused(freeze=False):
            diagnostics = check_workspace_incremental(ws, source.checker, splice, today)
            _freeze_if_many_new()
        diagnostics += self.history.current(source.text)
        by_path: dict[Path, list[Diagnostic]] = defaultdict(list)
        for diagnostic in diagnostics:
            by_path[diagnostic.path].append(diagnostic)
        self.generation += 1
        self._analysis = Analysis(ws, dict(by_path), self.generation, self.docs)
        self._dirty = False
        self._today = today
        return self._analysis

    def _load(self, has_log: bool) -> Workspace:
        """Reload every file but the task log (already parsed), with open buffers in place of the files."""
        overrides = {doc.path: doc.text for doc in self.docs.all() if self.owns(doc.path) and doc.path != self.log_path}
        if has_log:
            overrides[self.log_path] = "[]"  # stands in for the log while the small files load
        ws = load_workspace(self.codex_dir, overrides)
        source = self.log_source
        if source.log is not None:
            ws.task_log = source.log
            ws.texts[self.log_path] = source.log.text
            ws.decode_problems.extend(source.decode_problems)
        for doc in self.docs.all():
            if self.owns(doc.path) and doc.path.suffix == ".md" and doc.path not in ws.texts:
                ws.texts[doc.path] = doc.text  # an open prompt or note: its placeholders count as typed
        self._rest_dirty = False
        return ws

"""One workspace at one set of document versions: the parsed snapshot and its diagnostics.

Every feature reads the same `Analysis`; it is rebuilt only when a document or file changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.diagnostics import Diagnostic
from techcat_core.positions import LineIndex
from techcat_core.proposed import ProposedTasks
from techcat_core.roster import Agent
from techcat_core.rules import BUILTIN_AGENTS
from techcat_core.tasklog.parse import LogEntry, TaskLog
from techcat_core.workspace import AGENTS, PROPOSED, TASK_LOG, Workspace
from techcat_lsp.documents import Document, DocumentStore
from techcat_lsp.encoding import Encoder


@dataclass(slots=True)
class Analysis:
    ws: Workspace
    diagnostics: dict[Path, list[Diagnostic]]
    generation: int
    docs: DocumentStore
    _by_id: dict[str, LogEntry] | None = field(default=None)
    _lines: dict[Path, LineIndex] = field(default_factory=dict)

    @property
    def codex_dir(self) -> Path:
        return self.ws.codex_dir

    @property
    def log(self) -> TaskLog | None:
        return self.ws.task_log

    @property
    def log_path(self) -> Path:
        return self.ws.codex_dir / TASK_LOG

    @property
    def agents_path(self) -> Path:
        return self.ws.codex_dir / AGENTS

    @property
    def proposed_path(self) -> Path:
        return self.ws.codex_dir / PROPOSED

    @property
    def proposed(self) -> ProposedTasks | None:
        return self.ws.proposed

    def known_agents(self) -> set[str]:
        return self.ws.agent_names | BUILTIN_AGENTS

    def agent(self, name: str) -> Agent | None:
        return self.ws.agent(name)

    def document(self, path: Path) -> Document | None:
        return self.docs.by_path(path)

    def text(self, path: Path) -> str | None:
        """The text features see: the open buffer, else what the snapshot read, else None."""
        doc = self.docs.by_path(path)
        if doc is not None:
            return doc.text
        if path == self.log_path and self.log is not None:
            return self.log.text
        return self.ws.texts.get(path)

    def lines(self, path: Path) -> LineIndex:
        doc = self.docs.by_path(path)
        if doc is not None:
            return doc.lines
        if path == self.log_path and self.log is not None:
            return self.log.lines
        if path not in self._lines:
            text = self.ws.texts.get(path)
            # A file that is not there (TC002) still gets its diagnostics, at 0:0 of an empty text.
            self._lines[path] = LineIndex(text if text is not None else "")
        return self._lines[path]

    def encoder(self, path: Path, encoding: str) -> Encoder:
        return Encoder(self.lines(path), encoding)

    def entry(self, task_id: str) -> LogEntry | None:
        """The first log entry with this id (built once per version, on first use)."""
        if self._by_id is None:
            self._by_id = {}
            for item in reversed(self.log.entries if self.log else []):
                if item.task_id is not None:
                    self._by_id[item.task_id] = item
        return self._by_id.get(task_id)

    def entries_of(self, agent: str, limit: int | None = None) -> list[LogEntry]:
        """The agent's entries, newest first."""
        found: list[LogEntry] = []
        for item in reversed(self.log.entries if self.log else []):
            if item.agent == agent:
                found.append(item)
                if limit is not None and len(found) >= limit:
                    break
        return found

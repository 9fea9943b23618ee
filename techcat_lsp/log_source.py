"""The task log of one workspace, from the open buffer or from disk, parsed once per version.

Edits to the open buffer are re-parsed incrementally (`techcat_core.tasklog.reparse`); the
previous parse is consumed by the next, so only the newest `TaskLog` is ever valid.
"""

from __future__ import annotations

from pathlib import Path

from techcat_core.gc_policy import FREEZE_ABOVE
from techcat_core.tasklog.block_lines import BlockLineIndex
from techcat_core.tasklog.parse import TaskLog, parse_task_log
from techcat_core.tasklog.reading import read_log_text
from techcat_core.tasklog.recheck import LogChecker
from techcat_core.tasklog.reparse import Splice, reparse_spliced
from techcat_core.workspace import DecodeProblem
from techcat_lsp.documents import Document
from techcat_lsp.memory import release_free


class LogSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.log: TaskLog | None = None
        self.decode_problems: list[DecodeProblem] = []
        self.checker = LogChecker()
        self.from_uri: str | None = None  # the open document it was parsed from, or None for the disk
        self.disk_stale = True

    @property
    def text(self) -> str | None:
        return self.log.text if self.log is not None else None

    def update(self, doc: Document | None) -> tuple[bool, Splice | None]:
        """Bring the parse up to date; returns whether it changed and how (a splice, or None: parsed anew)."""
        if doc is not None:
            return self._from_document(doc)
        if self.from_uri is None and not self.disk_stale:
            return False, self._identity()
        self.from_uri = None
        self.disk_stale = False
        problems: list[DecodeProblem] = []
        text = read_log_text(self.path, problems)
        self.decode_problems = problems
        if text is None:
            changed = self.log is not None
            self.log = None
            return changed, None
        if self.log is not None and self.log.text == text:
            return False, self._identity()
        self._parse(text, BlockLineIndex(text))
        return True, None

    def _from_document(self, doc: Document) -> tuple[bool, Splice | None]:
        envelope = doc.take_edits()
        log = self.log
        if log is not None and self.from_uri == doc.uri:
            if envelope is None and log.text is doc.text:
                return False, self._identity()
            if envelope is not None:
                self.log, splice = reparse_spliced(log, envelope.start, envelope.old_end, doc.text, doc.lines)
                return True, splice
        self.from_uri = doc.uri
        self.decode_problems = []
        if log is not None and log.text == doc.text:
            log.text = doc.text  # the same text, opened: keep the parse, and one copy of the text (40 MB at 100k)
            log.lines = doc.lines
            return False, self._identity()
        self._parse(doc.text, doc.lines)
        return True, None

    def _parse(self, text: str, lines: BlockLineIndex) -> None:
        # Kept for the whole session: equal keys, agents, dates and paths as one object (a third less memory);
        # a big log's objects are frozen out of the collector's sight by the parser.
        if len(text) > FREEZE_ABOVE:
            release_free()  # what reading the text left free in the heap is not kept beside the parse
        self.log = parse_task_log(text, self.path, share_strings=True)
        self.log.lines = lines

    def _identity(self) -> Splice | None:
        if self.log is None:
            return None
        return Splice(len(self.log.entries), 0, 0, 0, 0)

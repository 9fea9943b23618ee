"""Messages the workers post to the app; the app's handlers are the only place state changes.

The flow reads as a chain: SnapshotLoaded → (first time) FirstScreenShown → ChecksFinished /
GitStatusRead; WatcherReady, then DiskChanged → LogAppended or a new SnapshotLoaded (ReloadNeeded when the
log's end could not be read alone); WriteFinished / WriteFailed after a fix or a checklist edit;
CommitFinished / CommitFailed; RunCompleted once a run's stream ends. Every payload is typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from textual.message import Message
from textual.notifications import SeverityLevel

from techcat_core.diagnostics import Diagnostic
from techcat_core.usecases.entry import TaskEntry
from techcat_core.watcher import ChangeBatch
from techcat_tui.git_status import GitStatus
from techcat_tui.lifecycle import LoadReason
from techcat_tui.log_rows import LogRow
from techcat_tui.log_tail import LogState
from techcat_tui.snapshot import Snapshot

if TYPE_CHECKING:  # the checks load after the first screen
    from techcat_core.engine import CheckResult


class SnapshotLoaded(Message):
    def __init__(self, snapshot: Snapshot, reason: LoadReason) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.reason = reason


class SnapshotFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class FirstScreenShown(Message):
    """The first screen is painted and interactive; background work (checks, git) starts after this."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds


class ChecksFinished(Message):
    """The checks ran (`error`: a rule crashed, and `result` holds no diagnostics)."""

    def __init__(self, result: CheckResult, generation: int, error: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.generation = generation
        self.error = error


class GitStatusRead(Message):
    def __init__(self, status: GitStatus) -> None:
        super().__init__()
        self.status = status


class DiskChanged(Message):
    def __init__(self, batch: ChangeBatch) -> None:
        super().__init__()
        self.batch = batch


class WatcherReady(Message):
    """The core watcher's operating-system watch is in place: a change made from now on is reported."""


class WatcherStopped(Message):
    """The watcher ended (`problem`: why, when it failed)."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem


class ReloadNeeded(Message):
    """A worker found it cannot do its part alone (the log was rewritten, not appended): read everything."""

    def __init__(self, reason: LoadReason) -> None:
        super().__init__()
        self.reason = reason


class WriteFinished(Message):
    """The app wrote `paths` (a fix, a checklist edit): said as `text`, refreshed quietly."""

    def __init__(self, paths: list[Path], text: str) -> None:
        super().__init__()
        self.paths = paths
        self.text = text


class WriteFailed(Message):
    """A write was refused or failed; `reload` says whether to show what is on disk now."""

    def __init__(self, text: str, severity: SeverityLevel, reload: LoadReason | None = None) -> None:
        super().__init__()
        self.text = text
        self.severity = severity
        self.reload = reload


class CommitFinished(Message):
    def __init__(self, sha: str, file_count: int, message: str) -> None:
        super().__init__()
        self.sha = sha
        self.file_count = file_count
        self.message = message


class CommitFailed(Message):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class LogAppended(Message):
    """New entries read from the end of the log without a full reload."""

    def __init__(self, rows: list[LogRow], state: LogState, base_count: int) -> None:
        super().__init__()
        self.rows = rows
        self.state = state
        self.base_count = base_count


class CopyRequested(Message):
    """A view wants `text` on the clipboard; `label` says what it is ("task-012")."""

    def __init__(self, text: str, label: str) -> None:
        super().__init__()
        self.text = text
        self.label = label


class EditRequested(Message):
    """Open `path` in the user's editor, at `line` (1-based) when known."""

    def __init__(self, path: Path, line: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.line = line


class EntryEditRequested(Message):
    """Open the task log at the entry with this index (the app knows where it starts)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class RunRequested(Message):
    """Open the run dialog, prefilled (an agent, a task, the proposed item it comes from)."""

    def __init__(self, agent: str | None, task: str, proposed_item: int | None) -> None:
        super().__init__()
        self.agent = agent
        self.task = task
        self.proposed_item = proposed_item


ProposedAction = Literal["queue", "unqueue", "reopen", "tick"]  # the checklist use-cases the view offers


class ProposedEditRequested(Message):
    """Apply `action` to item `number`, guarded by the text the view showed; `task_id` cites a tick's entry."""

    def __init__(self, number: int, action: ProposedAction, expect_text: str, task_id: str | None = None) -> None:
        super().__init__()
        self.number = number
        self.action = action
        self.expect_text = expect_text
        self.task_id = task_id


class ProposedAddRequested(Message):
    def __init__(self, title: str, agent: str | None) -> None:
        super().__init__()
        self.title = title
        self.agent = agent


class JumpRequested(Message):
    """Show the place a diagnostic points at, in the view that owns that file."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__()
        self.diagnostic = diagnostic


class FixRequested(Message):
    def __init__(self, diagnostic: Diagnostic, fix_index: int) -> None:
        super().__init__()
        self.diagnostic = diagnostic
        self.fix_index = fix_index


class CommitRequested(Message):
    """Open the commit dialog (from the Git view or after a run)."""


class GitRefreshRequested(Message):
    pass


class RunCompleted(Message):
    """A run's stream ended: what it logged and wrote (empty on failure, cancel, discard or dry run)."""

    def __init__(self, entries: list[TaskEntry], files: list[Path], committed: bool, outcome: str) -> None:
        super().__init__()
        self.entries = entries
        self.files = files
        self.committed = committed
        self.outcome = outcome

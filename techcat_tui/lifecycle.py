"""The app's load / check / watch lifecycle as plain state: what happened, and what the app should do next.

Textual-free (it imports no textual), so its rules are tested without a screen: the App tells it what its
workers reported and carries out the decision it gets back (start a check, read the log's new end, reload).
The order it keeps: a quick load shows the log first; the exact load completes it (and is dropped if a
newer read landed meanwhile); checks run on exact snapshots only, once the Problems view is there, one
at a time with at most one more queued; appends read only the log's end and settle the rest once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from techcat_core.watcher import ChangeBatch, ChangeKind
from techcat_core.workspace import Workspace
from techcat_tui.snapshot import Snapshot


class LoadReason(enum.StrEnum):
    """Why the workspace is read: decides a quick or exact read and what is said once it is in."""

    OPEN = "open"  # the first, quick read: rows on screen before every line number is known
    EXACT = "exact"  # completes the quick read
    RELOAD = "reload"  # the user asked (ctrl+r); announced when done
    DISK = "disk"  # another program changed files
    SYNC = "sync"  # brings the other views up to date after fast appends
    RUN = "run"
    OWN_WRITE = "own write"
    STALE_FIX = "stale fix"  # a fix that no longer applied: show what is there now
    PROPOSED = "proposed"
    EDITED = "edited"  # back from the user's editor


@dataclass(frozen=True, slots=True)
class Accepted:
    """A loaded snapshot the app shows, and what follows from it."""

    first: bool  # the first snapshot: the first screen is being shown
    previous: Snapshot | None
    check: bool  # ask for the checks on it
    catch_up: bool  # read what was appended since the quick read
    announce: bool  # say that the workspace was reloaded


@dataclass(frozen=True, slots=True)
class DiskPlan:
    """What a batch of changes on disk asks for."""

    external: tuple[Path, ...]  # changed by someone else (not this app's own writes): worth a status note
    refresh_previews: bool
    read_tail: bool  # only the task log grew or changed: read its end
    reload: bool  # anything else: read the workspace again
    refresh_git: bool


def stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class Lifecycle:
    """The state the app's workers and handlers share, with the rules for what comes next."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.views_mounted = False  # the views after the first (Problems among them) are composed
        self.watching = False  # the file watcher's operating-system watch is in place
        self.check_generation = 0
        self.check_running = False
        self.check_target: Workspace | None = None  # what the running check checks
        self._check_pending = False
        self._check_after_mount = False
        self._exact_for: Snapshot | None = None  # the quick snapshot an exact load completes
        self._sync_armed = False
        self._own_writes: dict[Path, tuple[int, int] | None] = {}

    # -- loading --------------------------------------------------------------------------------------

    def read_after(self, reason: LoadReason) -> Snapshot | None:
        """The quick snapshot an exact load builds on (its rows are reused), else None."""
        return self._exact_for if reason is LoadReason.EXACT else None

    def accept(self, snapshot: Snapshot, reason: LoadReason) -> Accepted | None:
        """Take a loaded snapshot, or None when it is stale (an exact load a newer read overtook)."""
        if reason is LoadReason.EXACT:
            if self.snapshot is not self._exact_for:
                return None
            self._exact_for = None
        previous, self.snapshot = self.snapshot, snapshot
        return Accepted(first=previous is None, previous=previous, check=previous is not None,
                        catch_up=reason is LoadReason.EXACT and self.can_catch_up(),
                        announce=reason is LoadReason.RELOAD)

    def first_screen_shown(self) -> bool:
        """The first screen is up: True when the exact load should start now (the first was quick)."""
        if self.snapshot is not None and not self.snapshot.exact:
            self._exact_for = self.snapshot
            return True
        self._check_after_mount = True
        return False

    def mounted(self) -> bool:
        """The later views are composed: True when a check asked for meanwhile should start."""
        self.views_mounted = True
        due, self._check_after_mount = self._check_after_mount, False
        return due

    def watch_ready(self) -> bool:
        """The watcher is in place: True when the log should be caught up (an append before it went unseen)."""
        self.watching = True
        return self.can_catch_up()

    def watch_stopped(self) -> None:
        self.watching = False

    def can_catch_up(self) -> bool:
        snapshot = self.snapshot
        return snapshot is not None and snapshot.exact and snapshot.log_state is not None and self.watching

    # -- checks ---------------------------------------------------------------------------------------

    def start_check(self) -> int | None:
        """The generation of a check to start now, or None: not yet (it starts later by itself) or queued."""
        if self.snapshot is None or not self.snapshot.exact:
            return None  # the exact load that follows a quick one asks for the checks
        if not self.views_mounted:
            self._check_after_mount = True  # the Problems view must be there to show them
            return None
        if self.check_running:
            self._check_pending = True
            return None
        self.check_running = True
        self.check_generation += 1
        self.check_target = self.snapshot.workspace
        return self.check_generation

    def check_finished(self) -> bool:
        """A check is done: True when another was asked for while it ran."""
        self.check_running = False
        self.check_target = None
        again, self._check_pending = self._check_pending, False
        return again

    # -- changes on disk and appends ------------------------------------------------------------------

    def record_own_write(self, paths: Iterable[Path]) -> None:
        """Files this app just wrote: their change events refresh quietly, without "changed on disk"."""
        for path in paths:
            self._own_writes[path.resolve()] = stat_key(path)

    def is_own_write(self, path: Path) -> bool:
        key = self._own_writes.get(path.resolve(), ())
        return key != () and key == stat_key(path)

    def disk_changed(self, batch: ChangeBatch) -> DiskPlan:
        kinds = batch.kinds
        external = tuple(path for path in batch.paths if not self.is_own_write(path))
        outputs = ChangeKind.OUTPUT_FILE in kinds
        if kinds <= {ChangeKind.OUTPUT_FILE, ChangeKind.OTHER}:
            return DiskPlan(external, outputs, read_tail=False, reload=False, refresh_git=outputs)
        tail = kinds == {ChangeKind.TASK_LOG} and self.snapshot is not None and self.snapshot.log_state is not None
        return DiskPlan(external, outputs, read_tail=tail, reload=not tail, refresh_git=True)

    def appended_to_current(self, base_count: int) -> bool:
        """Whether rows read from the log's end continue what is shown (no reload landed since the read began)."""
        return self.snapshot is not None and len(self.snapshot.rows) == base_count

    def arm_sync(self) -> bool:
        """After an append: True when the settling reload should be scheduled (once per burst)."""
        if self._sync_armed:
            return False
        self._sync_armed = True
        return True

    def sync_due(self) -> None:
        self._sync_armed = False

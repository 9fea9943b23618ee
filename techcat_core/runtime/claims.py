"""Claims: each queued item runs once, however many runners (`techcat watch` daemons, `run --proposed`) there are.

A runner claims an item before it runs it and releases it after the item is ticked or set back. A
claim is a record `.codex/.techcat/claims/<key>.json` (owner, host, pid, lease) written under an
inter-process lock, so of two runners that try at once exactly one gets it. The owner renews the
lease while it works (`held`); a claim whose lease ran out, or whose owner on this host is no longer
running, is free again. The runtime sees only `Claims` (claim, renew, release), so a claim store
shared across machines (through a git remote, say) can replace `LocalClaims` later. `claimed` wraps a
`run --proposed` run (any front end's) in its item's claim; `techcat watch` claims items itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from filelock import FileLock

from techcat_core.atomic import write_atomic
from techcat_core.runtime.events import RunEvent, RunFailed

DEFAULT_LEASE = 30.0  # seconds; renewed every third of it
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # this process


@dataclass(frozen=True, slots=True)
class Claim:
    item: str  # what was claimed (a queued item's text)
    owner: str
    host: str
    pid: int
    claimed_at: float
    lease_until: float  # wall-clock seconds

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"


class Claims(Protocol):
    """Who runs which item. `claim` returns None when someone else holds the item."""

    def claim(self, item: str) -> Claim | None: ...

    def renew(self, claim: Claim) -> Claim | None: ...

    def release(self, claim: Claim) -> None: ...

    def holder(self, item: str) -> Claim | None: ...


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but running
    return True


class LocalClaims:
    """Claims for the runners that share this `.codex/` folder (one machine, or a shared disk)."""

    def __init__(self, codex_dir: Path, lease: float = DEFAULT_LEASE, owner: str = OWNER) -> None:
        from techcat_core.tasklog.store import state_dir

        self.folder = state_dir(codex_dir) / "claims"
        self.folder.mkdir(exist_ok=True)
        self.lease = lease
        self.owner = owner
        self._lock = FileLock(str(self.folder / "claims.lock"), timeout=30)

    def _path(self, item: str) -> Path:
        return self.folder / (hashlib.sha256(item.encode("utf-8")).hexdigest()[:24] + ".json")

    def _read(self, item: str) -> Claim | None:
        try:
            data = json.loads(self._path(item).read_text(encoding="utf-8"))
            return Claim(**data)
        except (OSError, ValueError, TypeError):
            return None  # no record, or a broken one: nobody holds it

    def _live(self, claim: Claim | None) -> Claim | None:
        if claim is None or claim.lease_until < time.time():
            return None
        if claim.host == socket.gethostname() and not _alive(claim.pid):
            return None  # its owner died without releasing it
        return claim

    def _write(self, item: str, claimed_at: float | None = None) -> Claim:
        now = time.time()
        claim = Claim(item, self.owner, socket.gethostname(), os.getpid(), claimed_at or now, now + self.lease)
        write_atomic(self._path(item), json.dumps(asdict(claim)), durable=False)
        return claim

    def holder(self, item: str) -> Claim | None:
        with self._lock:
            return self._live(self._read(item))

    def claim(self, item: str) -> Claim | None:
        with self._lock:
            held = self._live(self._read(item))
            if held is not None and held.owner != self.owner:
                return None
            return self._write(item)

    def renew(self, claim: Claim) -> Claim | None:
        """A longer lease, or None when the claim was lost (it expired and someone else took it)."""
        if claim.owner != self.owner:
            return None  # only its owner renews a claim
        with self._lock:
            current = self._read(claim.item)
            if current is not None and current.owner != claim.owner and self._live(current) is not None:
                return None
            return self._write(claim.item, claim.claimed_at)

    def release(self, claim: Claim) -> None:
        if claim.owner != self.owner:
            return  # only its owner releases a claim
        with self._lock:
            current = self._read(claim.item)
            if current is not None and current.owner == claim.owner:
                self._path(claim.item).unlink(missing_ok=True)


@contextlib.asynccontextmanager
async def held(claims: Claims, claim: Claim, lease: float = DEFAULT_LEASE) -> AsyncIterator[Claim]:
    """Keep `claim` renewed (a heartbeat every third of the lease) until the block ends, then release it."""

    async def beat() -> None:
        current = claim
        while True:
            await asyncio.sleep(lease / 3)
            renewed = await asyncio.to_thread(claims.renew, current)
            if renewed is None:
                return
            current = renewed

    heart = asyncio.ensure_future(beat())
    try:
        yield claim
    finally:
        heart.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await heart
        await asyncio.shield(asyncio.ensure_future(asyncio.to_thread(claims.release, claim)))


def item_open(codex_dir: Path, text: str, queued_only: bool = False) -> bool:
    """Whether PROPOSED-TASKS.md still has the item reading `text` not done (queued, with `queued_only`).

    Checked after claiming: a runner that read the checklist before another runner ticked the item
    and released it must not run it a second time.
    """
    from techcat_core.proposed import STATE_DONE, STATE_QUEUED, parse_proposed
    from techcat_core.workspace import PROPOSED, read_text

    checklist = read_text(codex_dir / PROPOSED)
    if checklist is None:
        return False
    states = [item.state for item in parse_proposed(checklist, codex_dir / PROPOSED).items if item.text == text]
    return len(states) == 1 and (states[0] == STATE_QUEUED if queued_only else states[0] != STATE_DONE)


async def claimed(codex_dir: Path, number: int, events: AsyncIterator[RunEvent]) -> AsyncIterator[RunEvent]:
    """Run a proposed item only under its claim, so no other runner (a `techcat watch`) runs it too."""
    text = await asyncio.to_thread(_proposed_text, codex_dir, number)
    if text is None:  # no such item: the run says so itself
        async for event in events:
            yield event
        return
    claims = LocalClaims(codex_dir)
    claim = await asyncio.to_thread(claims.claim, text)
    if claim is None:
        holder = await asyncio.to_thread(claims.holder, text)
        yield RunFailed(uuid.uuid4().hex[:8], f"item {number} of PROPOSED-TASKS.md is being run by "
                                              f"{holder.describe() if holder else 'another runner'}; an item runs "
                                              "once, so this run did not start")
        return
    async with held(claims, claim):
        if not await asyncio.to_thread(item_open, codex_dir, text):
            yield RunFailed(uuid.uuid4().hex[:8], f"item {number} of PROPOSED-TASKS.md is done or changed meanwhile "
                                                  "(another runner may have run it); it was not run again")
            return
        async for event in events:
            yield event


def _proposed_text(codex_dir: Path, number: int) -> str | None:
    from techcat_core.proposed import parse_proposed
    from techcat_core.workspace import PROPOSED, read_text

    checklist = read_text(codex_dir / PROPOSED)
    item = parse_proposed(checklist, codex_dir / PROPOSED).item(number) if checklist is not None else None
    return item.text if item is not None else None

"""The one garbage-collector policy for building a big parsed task log, for every front end.

A parsed 100k-entry log is about two million small objects with no reference cycles. Built with the cyclic
collector running, it triggers full collections that free nothing and cost more than the parse (~0.3 s at
100k); left in the collector's generations afterwards, every later full collection walks them again (an
edit stalled by ~0.3 s, `check` ~0.5 s slower). So they are built with the collector paused and, when the
log is big, frozen out of its sight (`gc.freeze`): reference counting still frees them once dropped.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

FREEZE_ABOVE = 1_000_000  # characters of log text: below it the collector's walk costs nothing noticeable


@contextlib.contextmanager
def collector_paused(freeze: bool = True) -> Iterator[None]:
    """Pause the cyclic collector while a block builds long-lived objects; `freeze` them when it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def release_frozen() -> None:
    """A frozen log is being replaced by a new one: let the collector see (and free) what was frozen."""
    gc.unfreeze()
    gc.collect()

"""The server's memory policy for a big task log: glibc's allocator keeps the log's big strings in its heap.

Every edit builds a new text of the whole log (42 MB at 100k entries). Above 32 MB glibc maps each such
block anew and unmaps it when it is freed, so every copy pays for fresh zeroed pages: ~20 ms of page
faults per copy, the largest single cost of an edit. Kept in the heap, the next edit's copies reuse the
pages the last one freed (~4 ms). The price is that freed big blocks stay resident, so before a whole
parse (which allocates ~200 MB of small objects elsewhere) the free ones are handed back
(`release_free`): else what reading a 40 MB message left behind would sit beside the parse (+100 MB peak).
Other allocators (macOS, musl): both do nothing.
"""

from __future__ import annotations

import ctypes
import gc
import logging

logger = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # mallopt() parameters (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)
BIG_BLOCKS = 256 << 20  # bytes: a block below this comes from the heap (a 100k-entry log's text is 42 MB)
KEEP_FREE = 96 << 20  # bytes of free heap top kept for the next edit's copies (two 42 MB texts)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc
        return None
    return libc


def keep_big_blocks() -> bool:
    """Serve big blocks from the heap and keep a freed text's pages for the next edit (at start-up)."""
    libc = _libc()
    if libc is None:
        return False
    ok = all(libc.mallopt(param, value) == 1 for param, value in (
        (_M_MMAP_THRESHOLD, BIG_BLOCKS), (_M_TRIM_THRESHOLD, KEEP_FREE)))
    if not ok:
        logger.debug("mallopt refused a setting: big blocks are still mapped one by one")
    return ok


def release_free() -> None:
    """Hand the heap's free pages back to the system (before a whole parse, so the peak does not stack)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def collect_rarely() -> None:
    """Young collections every 20k allocations, not 700: each one walks the containers an edit made anew.

    An edit of a big log makes a few lists of one slot per entry (the re-parsed log's entries, the
    checker's results: 100k slots each at 100k entries); a young collection walks them (~4 ms) and the
    next older one again (~9 ms). At Python's default an edit's own allocations set one off nearly every
    edit. The parse and whole-check results are frozen out of sight anyway (`gc_policy`, state.py).
    """
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)

"""Whether the task log only appends to HEAD's, decided by streaming HEAD's bytes past the log's own.

The append-only rule (TC403) finds nothing when the log is HEAD's, or keeps every byte of HEAD's log up to
where its last entry ended; it used to learn that by reading HEAD's whole log and parsing it (at 100k
entries a second 40 MB text, three copies of it inside gitpython, and a second full parse). Here `git
cat-file` streams HEAD's version a megabyte at a time against the log's UTF-8 bytes, and only HEAD's bytes
after the longest common prefix are looked at: nothing but whitespace and at most one closing bracket
means the rule has nothing to say (a valid HEAD's last entry ends before them; an invalid one is never
compared). Anything else, or any trouble with git, answers False and the rule runs as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from techcat_core.head_diff import CHUNK, blob_chunks

TAIL_LIMIT = 1 << 16  # more of HEAD than this after the common prefix is never only its closing bracket
_CLOSING_ONLY = re.compile(rb"[ \t\n\r]*(?:\][ \t\n\r]*)?")


def _encoded(text: str) -> Iterator[bytes]:
    """`text` as strict UTF-8, a chunk at a time (a lone surrogate raises: such a log is never HEAD's bytes)."""
    for start in range(0, len(text), CHUNK):
        yield text[start:start + CHUNK].encode("utf-8")


def _common(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix of `a` and `b` (halving: a few bytes comparisons)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _rest_of_head(stream: Iterator[bytes], text: str) -> bytes | None:
    """HEAD's bytes after the longest prefix they share with `text`'s, or None when that is over TAIL_LIMIT."""
    mine = _encoded(text)
    pending = b""
    for theirs in stream:
        while len(pending) < len(theirs) and (more := next(mine, None)) is not None:
            pending += more
        same = _common(pending, theirs)
        if same < len(theirs):
            rest = theirs[same:]
            for more in stream:  # to the end, so that git's failure is seen
                rest += more
                if len(rest) > TAIL_LIMIT:
                    return None
            return rest if len(rest) <= TAIL_LIMIT else None
        pending = pending[same:]
    return b""


def appends_to_head(path: Path, text: str) -> bool:
    """True when `text` is HEAD's version of `path`, or that version up to its closing bracket with entries
    appended: the append-only rule would find nothing. False when it may find something or git cannot say."""
    stream = blob_chunks(path.parent, f"HEAD:./{path.name}")
    try:
        rest = _rest_of_head(stream, text)
    except (UnicodeEncodeError, OSError):
        return False
    finally:
        stream.close()  # stopped before the end of HEAD's version: git need not write the rest
    return rest is not None and _CLOSING_ONLY.fullmatch(rest) is not None

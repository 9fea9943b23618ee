"""Where HEAD's task log differs from the working one, learnt without holding HEAD's whole text.

The append-only rule only needs the stretch of HEAD's log between the longest common prefix and suffix of
the two texts; the rest is the working log's own text. Reading HEAD whole (`git show`, decoded) cost a
second 40 MB text at 100k entries and twice that again while it was decoded. Here `git cat-file` streams
the blob twice, a megabyte at a time, against the log's text: once for the common prefix and HEAD's length
in characters, once for the common suffix, keeping only the characters in between.
"""

from __future__ import annotations

import codecs
import os
import subprocess
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
_COMPARE = 1 << 16


@dataclass(frozen=True, slots=True)
class HeadDiff:
    """HEAD's text as the working `text` plus one replaced stretch: the first `prefix` characters and the last
    `suffix` are `text`'s, and HEAD has `middle` between them (`size` characters in all)."""

    prefix: int
    suffix: int
    size: int
    middle: str

    def delta(self, text: str) -> int:
        """How much longer HEAD's text is than `text`."""
        return self.size - len(text)

    def slice(self, text: str, start: int, end: int) -> str:
        """HEAD's `[start:end]`, from `text` outside the middle."""
        start, end = max(0, start), min(self.size, end)
        if start >= end:
            return ""
        middle_end = self.size - self.suffix
        delta = self.size - len(text)
        parts = []
        if start < self.prefix:
            parts.append(text[start:min(end, self.prefix)])
        if end > self.prefix and start < middle_end:
            parts.append(self.middle[max(start, self.prefix) - self.prefix:min(end, middle_end) - self.prefix])
        if end > middle_end:
            parts.append(text[max(start, middle_end) - delta:end - delta])
        return "".join(parts)


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix: slices compared 64 KiB at a time, then bisected (no char loop)."""
    limit = min(len(a), len(b))
    at = 0
    while at < limit and a[at:min(limit, at + _COMPARE)] == b[at:min(limit, at + _COMPARE)]:
        at += _COMPARE
    if at >= limit:
        return limit
    low, high = at, min(limit, at + _COMPARE)  # a[:low] == b[:low]; a[:high] != b[:high]
    while high - low > 1:
        mid = (low + high) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid
    return low


def common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    size = 0
    while size < limit:
        step = min(_COMPARE, limit - size)
        if a[len(a) - size - step:len(a) - size] != b[len(b) - size - step:len(b) - size]:
            break
        size += step
    else:
        return limit
    low, high = size, size + step  # the last `low` chars agree; the last `high` do not
    while high - low > 1:
        mid = (low + high) // 2
        if a[len(a) - mid:len(a) - low] == b[len(b) - mid:len(b) - low]:
            low = mid
        else:
            high = mid
    return low


def diff_text(text: str, head_text: str) -> HeadDiff:
    """The diff when HEAD's whole text is at hand (tests, and callers that already read it)."""
    prefix = common_prefix(text, head_text)
    suffix = common_suffix(text, head_text, min(len(text), len(head_text)) - prefix)
    return HeadDiff(prefix, suffix, len(head_text), head_text[prefix:len(head_text) - suffix])


def _decoded(chunks: Iterable[bytes]) -> Iterator[str]:
    """Strict UTF-8 text of a byte stream, a chunk at a time (a bad byte raises UnicodeDecodeError)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    for chunk in chunks:
        if piece := decoder.decode(chunk):
            yield piece
    if tail := decoder.decode(b"", final=True):
        yield tail


def diff_stream(text: str, stream: Callable[[], Iterable[bytes]]) -> HeadDiff:
    """The diff from two passes over HEAD's UTF-8 bytes, `stream()` giving them afresh for each pass.

    Pass one finds the common prefix and HEAD's length; pass two compares each of HEAD's characters from
    there with `text`'s character as far from its end, and keeps only HEAD's pieces that precede the last
    difference (a piece that agrees is kept as a reference to `text` until a later difference needs it).
    Raises UnicodeDecodeError when HEAD's bytes are not UTF-8.
    """
    prefix: int | None = None
    size = 0
    for piece in _decoded(stream()):
        if prefix is None:
            same = common_prefix(piece, text[size:size + len(piece)])
            if same < len(piece):
                prefix = size + same
        size += len(piece)
    if prefix is None:
        prefix = min(size, len(text))
    delta = size - len(text)
    low = prefix + max(delta, 0)  # HEAD's characters from here on are compared with text[i - delta]
    middle_end = low  # HEAD's middle ends after its last character that differs (and never before `low`)
    kept: list[tuple[int, int, str | None]] = []  # HEAD's [begin:end] after the prefix: its text, or None: text's
    at = 0
    for piece in _decoded(stream()):
        start, end = at, at + len(piece)
        at = end
        if end <= prefix:
            continue
        begin = max(start, prefix)
        compare_from = max(begin, low)
        theirs = piece[compare_from - start:] if compare_from < end else ""
        ours = text[compare_from - delta:end - delta] if compare_from < end else ""
        if theirs != ours:
            middle_end = max(middle_end, end - common_suffix(ours, theirs, len(theirs)))
            kept.append((begin, end, piece[begin - start:]))
        elif compare_from > begin:  # begins before `low`: not comparable, so kept as it is
            kept.append((begin, end, piece[begin - start:]))
        else:
            kept.append((begin, end, None))
    pieces: list[str] = []
    for begin, end, part in kept:
        if begin >= middle_end:
            break
        stop = min(end, middle_end)
        pieces.append(part[:stop - begin] if part is not None else text[begin - delta:stop - delta])
    return HeadDiff(prefix, size - middle_end, size, "".join(pieces))


def _git_env() -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0"}


def blob_chunks(cwd: Path, spec: str) -> Generator[bytes, None, None]:
    """`git cat-file blob <spec>`'s bytes, a megabyte at a time. Closing the iterator early stops git;
    a git that fails raises OSError once its output is read to the end."""
    process = subprocess.Popen(["git", "cat-file", "blob", spec], cwd=cwd, env=_git_env(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    finished = False
    try:
        while chunk := process.stdout.read(CHUNK):
            yield chunk
        finished = True
    finally:
        if not finished:
            process.kill()
        process.stdout.close()
        code = process.wait()
    if code != 0:
        raise OSError(f"git cat-file blob {spec} failed ({code})")


def head_blob(path: Path) -> str | None:
    """The id of `path`'s blob at HEAD, or None when git cannot say (no HEAD, no such file, no git)."""
    try:
        found = subprocess.run(["git", "rev-parse", "--verify", "-q", f"HEAD:./{path.name}"], cwd=path.parent,
                               env=_git_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    except OSError:
        return None
    oid = found.stdout.strip()
    return oid if found.returncode == 0 and oid else None


def read_blob(path: Path, oid: str) -> str:
    """The whole text of blob `oid` (the rule's rare fallbacks). Raises OSError or UnicodeDecodeError."""
    return "".join(_decoded(blob_chunks(path.parent, oid)))


def diff_with_head(path: Path, text: str) -> tuple[HeadDiff, str] | None:
    """How HEAD's version of `path` differs from `text`, and its blob id; None when git cannot stream it
    (the caller then reads HEAD's version the ordinary way, which reports why)."""
    oid = head_blob(path)
    if oid is None:
        return None
    try:
        return diff_stream(text, lambda: blob_chunks(path.parent, oid)), oid
    except (OSError, UnicodeDecodeError):
        return None

"""Splitting the client's byte stream into JSON-RPC messages, surviving frames that lie about their size.

pygls reads `Content-Length: N` with a strict pattern and then exactly N bytes. A header it cannot
read (`Content-Length: abc`, `-5`, a missing one) makes it read the body as header lines, so every later
frame is lost too; a length larger than the body makes it wait, swallowing the next frames, for ever.
This parser knows what a message is — one JSON object — and uses that to get back in step: a body
whose declared length is wrong or missing is recovered when the bytes up to the next header (or all
that came before the client went quiet) are exactly one JSON object; anything else is skipped up to
the next `Content-Length` header. Every repair and every loss is an event, so it can be logged.

The parser does no I/O (`transport.py` feeds it), which keeps it testable byte by byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_BODY = 1 << 30  # a declared length above this is taken as a lie, not waited for
MAX_HEAD = 1 << 16  # a header block longer than this is junk
_HEADER = re.compile(rb"content-length", re.IGNORECASE)
_NAME = re.compile(rb"[A-Za-z0-9-]+[ \t]*:")
_NAME_PREFIX = re.compile(rb"[A-Za-z0-9-]*[ \t]*")
_HEADER_LINE = re.compile(rb"[A-Za-z0-9-]+[ \t]*:[^\r\n]*")
_SPACE = re.compile(rb"[ \t\r\n]*")
_SEPARATOR = b"\r\n\r\n"


class HugeNumber:
    """An integer too long for Python to read (over 4,300 digits): kept as text, so no parameter takes it."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"{self.digits[:12]}…({len(self.digits):,} digits)"


def _integer(digits: str) -> int | HugeNumber:
    return int(digits) if len(digits) <= 4000 else HugeNumber(digits)


_DECODER = json.JSONDecoder(parse_int=_integer)


@dataclass(frozen=True, slots=True)
class Message:
    """A JSON object or array read from the stream; `problem` says what was wrong with its frame."""

    value: Any
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Bytes that were not a message and were dropped, and why."""

    problem: str
    data: bytes


Event = Message | Skipped


def read_value(text: str) -> Any:
    """JSON text as the parser reads it (integers too long for Python kept as `HugeNumber`)."""
    return _DECODER.decode(text)


def _decode_prefix(data: bytes) -> tuple[Any, int] | None:
    """The JSON object or array `data` starts with (after whitespace) and the bytes it takes, else None."""
    try:
        text = data.decode("utf-8")
        value, end = _DECODER.raw_decode(text, len(text) - len(text.lstrip()))
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict | list):
        return None
    return value, len(text[:end].encode("utf-8"))


def _whole(data: bytes) -> Any | None:
    """The one JSON object or array `data` holds, surrounding whitespace allowed, else None."""
    found = _decode_prefix(data)
    if found is None or data[found[1]:].strip():
        return None
    return found[0]


def _may_end_message(data: bytes | bytearray, at: int) -> bool:
    """Whether a message could end just before `at` (cheap: a JSON object or array ends in `}` or `]`)."""
    end = at
    while end > 0 and data[end - 1] in b" \t\r\n":
        end -= 1
    return end > 0 and data[end - 1] in b"}]"


def _common_headers(data: bytearray, start: int) -> list[int]:
    """Where `Content-Length` or `content-length` occurs from `start`: the spellings clients use, found with
    `bytes.find` (fast), since this runs over every chunk of a large body while it streams in."""
    found = []
    for spelling in (b"Content-Length", b"content-length"):
        at = data.find(spelling, start)
        while at >= 0:
            found.append(at)
            at = data.find(spelling, at + 1)
    return sorted(found)


def _read_length(head: bytes) -> tuple[int | None, str]:
    """The declared body length of a header block, or None and why it cannot be used."""
    lengths: list[bytes] = []
    for line in head.split(b"\r\n"):
        if not _HEADER_LINE.fullmatch(line):
            return None, f"the header line {_show(line)} is not `Name: value`"
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            lengths.append(value.strip())
    if not lengths:
        return None, "the frame has no Content-Length header"
    if len(set(lengths)) > 1:
        return None, f"the frame has {len(lengths)} different Content-Length headers"
    text = lengths[0]
    if not text.isdigit():  # bytes: ASCII digits only
        return None, f"Content-Length {_show(text)} is not a whole number of bytes"
    if len(text) > 12 or int(text) > MAX_BODY:
        return None, f"Content-Length {_show(text)} is more than the {MAX_BODY:,} bytes a message may have"
    return int(text), ""


def _show(data: bytes, limit: int = 60) -> str:
    text = data[:limit].decode("utf-8", "backslashreplace").replace("\r", "\\r").replace("\n", "\\n")
    return f"`{text}`" + ("…" if len(data) > limit else "")


class FrameParser:
    """Feed it bytes as they come; it returns the messages (and the losses) they complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # the body length of the frame being read, once its header is read
        self._unframed: str | None = None  # why the current body has no usable length
        self._scanned = 0  # how far the current body was searched for the next header

    @property
    def pending(self) -> int:
        """Bytes held that are not yet a message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Event]:
        self._buffer += data
        return self._drain(stalled=False)

    def stalled(self) -> list[Event]:
        """The client went quiet with a frame unfinished: take what already is a whole message."""
        return self._drain(stalled=True)

    def _drain(self, stalled: bool) -> list[Event]:
        events: list[Event] = []
        while (event := self._step(stalled)) is not None:
            events.append(event)
            stalled = False  # what follows a recovered message may still be arriving
        return events

    def _step(self, stalled: bool) -> Event | None:
        if self._length is not None:
            return self._body(self._length, stalled)
        if self._unframed is not None:
            return self._unframed_body(self._unframed, stalled)
        return self._header()

    # -- a header block ---------------------------------------------------------------------------------

    def _header(self) -> Event | None:
        buffer = self._buffer
        start = _SPACE.match(buffer).end()  # type: ignore[union-attr]  # matches the empty string at least
        if start:
            del buffer[:start]
        if not buffer:
            return None
        if not _NAME.match(buffer):
            if _NAME_PREFIX.fullmatch(buffer):
                return None  # the start of a header, still arriving
            return self._junk()
        end = buffer.find(_SEPARATOR)
        header = _HEADER.search(buffer, 0, end if end >= 0 else len(buffer))
        if header is not None and header.start() > 0 and buffer[header.start() - 2:header.start()] != b"\r\n":
            return self._junk(header.start())  # a header glued to the end of something else
        if end < 0:
            if len(buffer) <= MAX_HEAD:
                return None
            later = _HEADER.search(buffer, 1)
            return self._junk(later.start() if later is not None else len(buffer))
        head = bytes(buffer[:end])
        del buffer[:end + len(_SEPARATOR)]
        length, problem = _read_length(head)
        self._scanned = 0
        if length is None:
            self._unframed = problem
        else:
            self._length = length
        return self._step(stalled=False)

    def _junk(self, until: int | None = None) -> Event | None:
        """Bytes where a header should be: a message sent without a frame, or junk up to the next header."""
        buffer = self._buffer
        if until is None:
            found = _HEADER.search(buffer, 1)
            until = found.start() if found is not None else -1
        end = until if until >= 0 else len(buffer)
        if until < 0 and not _may_end_message(buffer, end):
            return None  # wait: more may come, and the next header ends it
        data = bytes(buffer[:end])
        value = _whole(data)
        if value is None and until < 0:
            return None
        del buffer[:end]
        if value is not None:
            return Message(value, "a message came without a frame header")
        return Skipped(f"skipped {len(data):,} bytes that were not a frame: {_show(data)}", data)

    # -- a body of declared length ----------------------------------------------------------------------

    def _body(self, length: int, stalled: bool) -> Event | None:
        buffer = self._buffer
        if len(buffer) >= length:
            return self._complete_body(length)
        # Not all of it has come. A frame whose length is too large is followed by the next frame's
        # header; when what comes before that header is one whole JSON object, it is the message.
        for at in _common_headers(buffer, self._scanned):
            value = _whole(bytes(buffer[:at])) if _may_end_message(buffer, at) else None
            if value is not None:
                self._done(at)
                return Message(value, f"Content-Length said {length:,} bytes, but the next frame began after {at:,}")
        self._scanned = max(0, len(buffer) - len(b"content-length"))
        if stalled and _may_end_message(buffer, len(buffer)) and (value := _whole(bytes(buffer))) is not None:
            got = len(buffer)
            self._done(got)
            return Message(value, f"Content-Length said {length:,} bytes, but only {got:,} came")
        return None

    def _complete_body(self, length: int) -> Event | None:
        chunk = self._buffer[:length]  # one copy of a body that may be 40 MB; bytes only when it is reported
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            body = bytes(chunk)
            self._done(length)
            return Skipped(f"the message is not valid UTF-8 (byte {error.start + 1:,} of {length:,})", body)
        try:
            value = _DECODER.decode(text)
        except json.JSONDecodeError as error:
            body = bytes(chunk)
            if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):  # cut short:
                # the length was too small, and the rest of the message follows
                self._length = None
                self._unframed = f"Content-Length said {length:,} bytes, but the message is longer"
                self._scanned = length
                return self._step(stalled=False)
            found = _decode_prefix(body)
            if found is not None:  # one message, and the next frame's start: the length was too large
                self._done(found[1])
                return Message(found[0], f"Content-Length said {length:,} bytes, but the message had {found[1]:,}")
            self._done(length)
            return Skipped(f"the message is not JSON ({error.msg}, byte {error.pos + 1:,}): {_show(body)}", body)
        except RecursionError:
            self._done(length)
            return Skipped("the message is nested too deeply to read", bytes(chunk))
        self._done(length)
        return Message(value)

    # -- a body of unknown length -----------------------------------------------------------------------

    def _unframed_body(self, reason: str, stalled: bool) -> Event | None:
        """After a header block with no usable length: the body runs to the next header, or is one object."""
        buffer = self._buffer
        found = _HEADER.search(buffer, self._scanned)
        end = found.start() if found is not None else len(buffer)
        if found is not None or stalled or _may_end_message(buffer, end):
            value = _whole(bytes(buffer[:end]))
            if value is not None:
                self._done(end)
                return Message(value, reason)
        if found is not None:
            data = bytes(buffer[:end])
            self._done(end)
            return Skipped(f"{reason}; skipped {len(data):,} bytes up to the next frame: {_show(data)}", data)
        self._scanned = max(0, len(buffer) - len(b"content-length"))
        return None

    def _done(self, consumed: int) -> None:
        del self._buffer[:consumed]
        self._length = None
        self._unframed = None
        self._scanned = 0

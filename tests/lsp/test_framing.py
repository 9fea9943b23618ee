"""The frame parser byte by byte: good frames in any chunking come out exactly; a frame with a bad
`Content-Length` (non-numeric, negative, too large, too small, missing) is recovered or skipped, and the
frames after it are never lost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techcat_lsp.framing import FrameParser, HugeNumber, Message, Skipped
from tests.lsp.wire import frame

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12)
MESSAGES = st.lists(st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "id": st.integers(0, 10**6),
                                           "method": st.sampled_from(["textDocument/hover", "Content-Length: 3"]),
                                           "params": JSON}), min_size=1, max_size=6)


def hover(number: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": number, "method": "textDocument/hover",
            "params": {"textDocument": {"uri": "file:///x"}, "position": {"line": 0, "character": number}}}


def body(number: int) -> bytes:
    return json.dumps(hover(number)).encode()


def run(chunks: list[bytes], stall: bool = False) -> list[Message | Skipped]:
    parser = FrameParser()
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events + (parser.stalled() if stall else [])


def values(events: list[Message | Skipped]) -> list[Any]:
    return [event.value for event in events if isinstance(event, Message)]


def problems(events: list[Message | Skipped]) -> list[str]:
    return [event.problem for event in events if event.problem]


@settings(max_examples=300, deadline=None)
@given(MESSAGES, st.lists(st.integers(1, 200), min_size=1, max_size=30), st.booleans())
def test_good_frames_in_any_chunks_come_out_exactly(messages: list[dict[str, Any]], cuts: list[int],
                                                    content_type: bool) -> None:
    stream = b""
    for message in messages:
        data = json.dumps(message, ensure_ascii=False).encode()
        extra = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" if content_type else b""
        stream += b"Content-Length: %d\r\n%s\r\n" % (len(data), extra) + data
    chunks, at = [], 0
    for cut in cuts * (1 + len(stream) // sum(cuts)):
        chunks.append(stream[at:at + cut])
        at += cut
    events = run([*chunks, stream[at:]])
    assert values(events) == messages
    assert problems(events) == []


@pytest.mark.parametrize("header", [b"Content-Length: abc", b"Content-Length: -5", b"Content-Length: 1e3",
                                    b"Content-Type: application/json", b"Content-Length: 99999999999999999999",
                                    b"Content-Length: \xd9\xa3"])  # an Arabic-Indic three, in UTF-8
@pytest.mark.parametrize("stall", [False, True])
def test_a_header_without_a_usable_length_recovers_its_body_and_the_next_frame(header: bytes, stall: bool) -> None:
    bad = header + b"\r\n\r\n" + body(1)
    events = run([bad, frame(body(2))] if not stall else [bad], stall=stall)
    expected = [hover(1)] if stall else [hover(1), hover(2)]
    assert values(events) == expected
    (problem,) = problems(events)
    assert "Content-Length" in problem or "no Content-Length" in problem


def test_a_length_too_large_is_cut_at_the_next_frame_or_when_the_client_waits() -> None:
    too_large = b"Content-Length: 500\r\n\r\n" + body(1)
    events = run([too_large, frame(body(2))])
    assert values(events) == [hover(1), hover(2)]
    assert problems(events) == [f"Content-Length said 500 bytes, but the next frame began after {len(body(1))}"]
    waiting = run([too_large], stall=True)
    assert values(waiting) == [hover(1)]
    assert problems(waiting) == [f"Content-Length said 500 bytes, but only {len(body(1))} came"]


def test_a_length_too_large_swallowing_part_of_the_next_header() -> None:
    events = run([b"Content-Length: %d\r\n\r\n" % (len(body(1)) + 9) + body(1) + frame(body(2))])
    assert values(events) == [hover(1), hover(2)]


def test_a_length_too_small_takes_the_whole_message() -> None:
    events = run([b"Content-Length: 10\r\n\r\n" + body(1), frame(body(2))])
    assert values(events) == [hover(1), hover(2)]
    assert problems(events) == ["Content-Length said 10 bytes, but the message is longer"]
    also_at_once = run([b"Content-Length: 10\r\n\r\n" + body(1) + frame(body(2))])
    assert values(also_at_once) == [hover(1), hover(2)]


def test_junk_between_frames_is_skipped_and_reported() -> None:
    events = run([frame(body(1)), b"hello there\r\n", frame(body(2)), b"\xff\xfe garbage", frame(body(3))])
    assert values(events) == [hover(1), hover(2), hover(3)]
    skipped = [event for event in events if isinstance(event, Skipped)]
    assert [event.data for event in skipped] == [b"hello there\r\n", b"\xff\xfe garbage"]
    assert all("not a frame" in event.problem for event in skipped)


def test_a_body_that_is_not_json_or_not_utf8_is_skipped_with_the_reason() -> None:
    events = run([frame(b"not json at all"), frame(b'{"a": "\xff"}'), frame(body(3))])
    assert values(events) == [hover(3)]
    first, second = (event for event in events if isinstance(event, Skipped))
    assert first.problem.startswith("the message is not JSON (Expecting value, byte 1)")
    assert second.problem == "the message is not valid UTF-8 (byte 8 of 10)"


def test_a_message_without_any_header_is_read() -> None:
    events = run([body(1), frame(body(2))])
    assert values(events) == [hover(1), hover(2)]
    assert problems(events) == ["a message came without a frame header"]


def test_a_header_arriving_byte_by_byte_is_waited_for() -> None:
    data = frame(body(1)) + frame(body(2))
    events = run([data[i:i + 1] for i in range(len(data))])
    assert values(events) == [hover(1), hover(2)] and problems(events) == []


def test_a_body_mentioning_content_length_is_not_cut() -> None:
    message = {"jsonrpc": "2.0", "method": "x", "params": {"text": "}\r\nContent-Length: 12\r\n\r\n{}"}}
    data = json.dumps(message).encode()
    events = run([frame(data)[:30], frame(data)[30:], frame(body(2))])
    assert values(events) == [message, hover(2)] and problems(events) == []


def test_numbers_too_long_for_python_do_not_stop_the_reader() -> None:
    events = run([frame(b'{"jsonrpc": "2.0", "id": 1, "method": "m", "params": {"line": ' + b"9" * 5000 + b"}}")])
    (value,) = values(events)
    assert isinstance(value["params"]["line"], HugeNumber)
    assert "5,000 digits" in repr(value["params"]["line"])


def test_nesting_too_deep_is_skipped() -> None:
    events = run([frame(b"[" * 100_000 + b"]" * 100_000), frame(body(2))])
    assert values(events) == [hover(2)]
    assert "nested too deeply" in problems(events)[0]

"""The run screen's output: streamed text that continues lines across writes and wraps to the width."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult

from techcat_tui.widgets.stream_log import StreamLog, _cell_starts, wrap_starts


def _rows(line: str, width: int) -> list[str]:
    starts = wrap_starts(line, width)
    return [line[a:b] for a, b in zip(starts, [*starts[1:], len(line)], strict=True)]


def test_words_wrap_and_a_long_word_is_cut() -> None:
    assert _rows("hello world this is a test", 10) == ["hello ", "world this ", "is a test"]
    assert _rows("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert _rows("short", 10) == ["short"]
    assert _rows("", 10) == [""]


def test_wide_characters_wrap_on_cells() -> None:
    assert _rows("日本語のテキストです", 5) == ["日本", "語の", "テキ", "スト", "です"]
    assert _rows("ab 日本語", 4) == ["ab ", "日本", "語"]


def test_the_ascii_shortcut_and_regrowing_lines_agree_with_the_cell_walk() -> None:
    chooser = random.Random(5)
    for _ in range(5000):
        line = "".join(chooser.choice("ab  c") for _ in range(chooser.randint(0, 60)))
        width = chooser.randint(1, 12)
        full = wrap_starts(line, width)
        assert full == _cell_starts(line, width, 0), (line, width)
        grown = chooser.randint(0, len(line))  # the line arrived in two pieces: re-wrap from its last row
        partial = wrap_starts(line[:grown], width)
        assert partial[:-1] + wrap_starts(line, width, partial[-1]) == full, (line, width, grown)


class _LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StreamLog(id="out")


async def test_writes_continue_the_line_and_rewrap_on_resize() -> None:
    app = _LogApp()
    async with app.run_test(size=(40, 10)) as pilot:
        log = app.query_one(StreamLog)
        log.write("[header]")
        log.write_line("first")  # on a line of its own
        for piece in ("one two ", "three four five six seven eight ", "nine ten eleven twelve\nnext"):
            log.write(piece)
        log.write("\ttab\x07")
        width = log.scrollable_content_region.width
        sentence = "one two three four five six seven eight nine ten eleven twelve"
        assert log.text == f"[header]\nfirst\n{sentence}\nnext\ttab\x07"
        assert log.rows[:2] == ["[header]", "first"]
        assert "".join(log.rows[2:-1]) == sentence
        assert len(log.rows[2:-1]) > 1 and all(len(row.rstrip()) <= width for row in log.rows)
        assert log.rows[-1] == "next    tab\ufffd"
        await pilot.resize_terminal(120, 10)
        await pilot.pause()
        assert log.rows[2] == sentence
        assert len(log.rows) == 4

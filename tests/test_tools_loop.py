"""The built-in runtime's tool loop (issue 13 §1) against the local test server, with the real `openai` client.

The server scripts the model's tool calls; the tools run for real on files in a temporary git repository.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runtime.events import ToolCalled, ToolResult
from techcat_core.runtime.model_call import CallUsage
from techcat_core.runtime.settings import ProviderSettings
from techcat_core.runtime.tool_host import ToolHost
from techcat_core.runtime.tool_loop import (
    FinalText,
    LoopItem,
    ToolBudget,
    ToolWriteRefused,
    run_tools,
)
from tests.fake_openai import Behaviour, FakeOpenAI, tool_call

KEY = "sk-test-SECRET-123456"
BUDGET = ToolBudget(max_steps=20, max_tokens=100_000, max_seconds=60.0)
MESSAGES: list[dict[str, Any]] = [{"role": "system", "content": "You are the docs writer."},
                                  {"role": "user", "content": "Summarise the README into docs/summary.md"}]


def _settings(fake: FakeOpenAI, **changes: Any) -> ProviderSettings:
    fields: dict[str, Any] = {"kind": "openai-compatible", "base_url": fake.base_url, "api_key": KEY,
                              "max_retries": 0, "timeout": 30.0, **changes}
    return ProviderSettings(**fields)


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "README.md").write_text("# Widget\n\nWidget turns sprockets into gears.\nIt is fast.\n")
    (root / "docs").mkdir()
    (root / "docs" / "old.md").write_text("Version: 1\nOwner: ops\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def main():\n    return 'sprocket'\n")
    return root


def _host(root: Path, write_through: bool = True, **kwargs: Any) -> ToolHost:
    return ToolHost(root, root, ["docs/**"], write_through=write_through, **kwargs)


async def _run(fake: FakeOpenAI, host: ToolHost, budget: ToolBudget = BUDGET, cancel: asyncio.Event | None = None,
               **settings: Any) -> list[LoopItem]:
    return [item async for item in run_tools(_settings(fake, **settings), "fake-model", list(MESSAGES), host, budget,
                                             cancel, "run1")]


def _results(items: list[LoopItem]) -> list[ToolResult]:
    return [item for item in items if isinstance(item, ToolResult)]


def _tool_messages(fake: FakeOpenAI, request: int) -> list[dict[str, Any]]:
    return [m for m in fake.requests[request].body["messages"] if m["role"] == "tool"]


@pytest.mark.parametrize("stream", [True, False])
async def test_the_loop_lists_reads_the_readme_and_writes_an_output_from_it(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                            stream: bool) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("list_files", pattern="**/*.md")]),
        Behaviour(reply="", tool_calls=[tool_call("read_file", path="README.md")]),
        Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/summary.md",
                                                  content="Widget turns sprockets into gears.\n")]),
        Behaviour(reply="Wrote docs/summary.md from the README."))
    host = _host(root)
    items = await _run(fake_openai, host, stream=stream)
    assert items[-1] == FinalText("Wrote docs/summary.md from the README.")
    called = [(i.name, json.loads(i.arguments)) for i in items if isinstance(i, ToolCalled)]
    assert called == [("list_files", {"pattern": "**/*.md"}), ("read_file", {"path": "README.md"}),
                      ("write_file", {"path": "docs/summary.md", "content": "Widget turns sprockets into gears.\n"})]
    assert [(r.name, r.ok) for r in _results(items)] == [("list_files", True), ("read_file", True),
                                                          ("write_file", True)]
    assert len(fake_openai.requests) == 4
    assert _tool_messages(fake_openai, 1)[0]["content"] == "README.md\ndocs/old.md"
    assert _tool_messages(fake_openai, 2)[1]["content"] == (root / "README.md").read_text()
    # the tools go with every request, and the model's calls come back to it as an assistant turn
    body = fake_openai.requests[3].body
    assert [t["function"]["name"] for t in body["tools"]] == ["list_files", "read_file", "search", "write_file",
                                                              "edit_file"]
    assistant = [m for m in body["messages"] if m["role"] == "assistant"]
    assert [m["tool_calls"][0]["function"]["name"] for m in assistant] == ["list_files", "read_file", "write_file"]
    assert (root / "docs" / "summary.md").read_text() == "Widget turns sprockets into gears.\n"
    assert host.staged() == {"docs/summary.md": b"Widget turns sprockets into gears.\n"}
    assert host.changes().paths == ("docs/summary.md",)
    assert sum(1 for i in items if isinstance(i, CallUsage)) == 4


async def test_in_place_writes_stay_in_memory_and_later_reads_see_them(tmp_path: Path, fake_openai: FakeOpenAI
                                                                       ) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/new.md", content="draft one\n")]),
        Behaviour(reply="", tool_calls=[tool_call("edit_file", path="docs/new.md", old_text="one",
                                                  new_text="two")]),
        Behaviour(reply="", tool_calls=[tool_call("read_file", path="docs/new.md"),
                                        tool_call("list_files", pattern="docs/*")]),
        Behaviour(reply="Done."))
    host = _host(root, write_through=False)
    items = await _run(fake_openai, host)
    assert isinstance(items[-1], FinalText)
    assert not (root / "docs" / "new.md").exists()  # nothing touched the disk
    assert host.staged() == {"docs/new.md": b"draft two\n"}
    tool_messages = _tool_messages(fake_openai, 3)
    assert tool_messages[2]["content"] == "draft two\n"
    assert tool_messages[3]["content"] == "docs/new.md\ndocs/old.md"
    change, = host.changes().changes
    assert change.kind == "added" and change.after == b"draft two\n"


async def test_the_edit_tool_needs_exactly_one_match_and_keeps_other_bytes(tmp_path: Path, fake_openai: FakeOpenAI
                                                                           ) -> None:
    root = _repo(tmp_path)
    (root / "docs" / "twice.md").write_text("same\nsame\n")
    (root / "docs" / "latin1.md").write_bytes(b"caf\xe9 owner: ops\n")  # not UTF-8: the byte must survive
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[
            tool_call("edit_file", path="docs/old.md", old_text="Version: 1", new_text="Version: 2"),
            tool_call("edit_file", path="docs/old.md", old_text="missing", new_text="x"),
            tool_call("edit_file", path="docs/twice.md", old_text="same", new_text="one"),
            tool_call("edit_file", path="docs/latin1.md", old_text="ops", new_text="dev"),
            tool_call("edit_file", path="docs/none.md", old_text="a", new_text="b")]),
        Behaviour(reply="Bumped the version."))
    host = _host(root)
    items = await _run(fake_openai, host)
    assert isinstance(items[-1], FinalText)
    results = _results(items)
    assert [r.ok for r in results] == [True, False, False, True, False]
    assert results[0].summary == "edited docs/old.md (1 replacement)"
    assert "`old_text` does not occur in docs/old.md" in results[1].summary
    assert "`old_text` occurs 2 times in docs/twice.md; it must occur exactly once" in results[2].summary
    assert "docs/none.md does not exist; create it with write_file" in results[4].summary
    assert (root / "docs" / "old.md").read_text() == "Version: 2\nOwner: ops\n"
    assert (root / "docs" / "twice.md").read_text() == "same\nsame\n"
    assert (root / "docs" / "latin1.md").read_bytes() == b"caf\xe9 owner: dev\n"
    assert sorted(host.changes().paths) == ["docs/latin1.md", "docs/old.md"]


async def test_search_finds_lines_honours_globs_and_reports_a_bad_pattern(tmp_path: Path, fake_openai: FakeOpenAI
                                                                          ) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[
            tool_call("search", pattern=r"sprocket\w*"),
            tool_call("search", pattern="SPROCKET", globs=["src/**"], ignore_case=True),
            tool_call("search", pattern="([unclosed"),
            tool_call("search", pattern="gears", globs="nope/**")]),
        Behaviour(reply="Found them."))
    items = await _run(fake_openai, _host(root))
    results = _results(items)
    assert [r.ok for r in results] == [True, True, False, True]
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert contents[0] == "README.md:3: Widget turns sprockets into gears.\nsrc/app.py:2:     return 'sprocket'"
    assert contents[1] == "src/app.py:2:     return 'sprocket'"
    assert contents[2].startswith("search: the pattern is not a valid regular expression: ")
    assert contents[3] == "(no match in 0 file(s))"


async def test_a_catastrophic_pattern_is_stopped_not_hung(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    (root / "docs" / "aaa.md").write_text("a" * 5000 + "b\n")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("search", pattern="(a|aa)+$")]),
                      Behaviour(reply="Gave up."))
    loop = asyncio.get_running_loop()
    started = loop.time()
    items = await _run(fake_openai, _host(root, search_seconds=0.5))
    assert loop.time() - started < 20
    result, = _results(items)
    assert not result.ok and "too slow" in result.summary
    assert "stopped after 0.5 s: the pattern is too slow" in _tool_messages(fake_openai, 1)[0]["content"]
    assert items[-1] == FinalText("Gave up.")


@pytest.mark.parametrize("path", [".git/config", "src/app.py", "../outside.md", "/etc/passwd", ".codex/TASK-LOG.json",
                                  ".GIT/config", "docs/../.git/config"])
@pytest.mark.parametrize("write_through", [True, False])
async def test_a_write_outside_the_outputs_is_refused_and_ends_the_run(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                       path: str, write_through: bool) -> None:
    root = _repo(tmp_path)
    git_config = (root / ".git" / "config").read_bytes()
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/fine.md", content="fine\n")]),
        Behaviour(reply="", tool_calls=[tool_call("write_file", path=path, content="[core]\n\thooksPath = evil\n")]),
        Behaviour(reply="Never asked for."))
    host = _host(root, write_through=write_through)
    items: list[LoopItem] = []
    with pytest.raises(ToolWriteRefused) as refused:
        async for item in run_tools(_settings(fake_openai), "fake-model", list(MESSAGES), host, BUDGET, None, "r"):
            items.append(item)
    assert "the run failed and nothing it wrote lands" in str(refused.value)
    assert "refused" in str(refused.value)
    last = _results(items)[-1]
    assert (last.name, last.ok) == ("write_file", False) and last.summary.startswith("refused: ")
    assert len(fake_openai.requests) == 2  # the model was not asked again
    assert (root / ".git" / "config").read_bytes() == git_config
    assert (root / "src" / "app.py").read_text() == "def main():\n    return 'sprocket'\n"
    assert not (tmp_path / "outside.md").exists()
    assert not (root / ".codex").exists()
    assert list(host.staged()) == ["docs/fine.md"]  # what the runner must not land


async def test_a_write_through_a_link_out_of_the_repository_is_refused(tmp_path: Path, fake_openai: FakeOpenAI
                                                                       ) -> None:
    root = _repo(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "docs" / "out").symlink_to(outside)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/out/x.md", content="x")]))
    with pytest.raises(ToolWriteRefused, match="symbolic link"):
        await _run(fake_openai, _host(root))
    assert list(outside.iterdir()) == []


async def test_reads_of_git_files_and_outside_are_error_results_and_the_run_goes_on(tmp_path: Path,
                                                                                    fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    (tmp_path / "secret.txt").write_text("TOP SECRET\n")
    (root / "docs" / "link.md").symlink_to(tmp_path / "secret.txt")
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[tool_call("read_file", path=".git/config"),
                                        tool_call("read_file", path="../secret.txt"),
                                        tool_call("read_file", path="docs/link.md"),
                                        tool_call("read_file", path="missing.md"),
                                        tool_call("read_file", path="docs"),
                                        tool_call("list_files", pattern=".git/**")]),
        Behaviour(reply="Could not read them."))
    items = await _run(fake_openai, _host(root))
    assert items[-1] == FinalText("Could not read them.")
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert "lies inside .git/" in contents[0]
    assert "escapes the repository" in contents[1]
    assert "leads outside the repository through a symbolic link" in contents[2]
    assert contents[3] == "read_file: missing.md does not exist"
    assert contents[4] == "read_file: docs is a folder; use list_files"
    assert contents[5] == "(no files match .git/**)"
    assert "TOP SECRET" not in "".join(contents)


async def test_bad_arguments_and_unknown_tools_are_error_results(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(
        Behaviour(reply="", tool_calls=[
            tool_call("read_file", raw="{not json"),
            tool_call("read_file", raw="[1, 2]"),
            tool_call("read_file", path=42),
            tool_call("read_file", path="README.md", start_line="one"),
            tool_call("read_file", path="README.md", start_line=3, end_line=2),
            tool_call("write_file", path="docs/x.md"),
            tool_call("rm_rf", path="/"),
            tool_call("read_file", raw="[" * 100_000 + "]" * 100_000),
            tool_call("read_file", raw='{"path": "README.md", "start_line": 1' + "0" * 5000 + "}"),
            tool_call("run_command", name="test"),
            tool_call("read_file", path="README.md", start_line=3, end_line=3),
            tool_call("list_files", pattern="*" * 3000),
            tool_call("search", pattern="x", globs=["*"] * 51)]),
        Behaviour(reply="Sorry."))
    items = await _run(fake_openai, _host(root))
    assert items[-1] == FinalText("Sorry.")
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert contents[0].startswith("read_file: the arguments are not valid JSON (")
    assert contents[1] == "read_file: the arguments must be a JSON object, not list"
    assert contents[2] == "read_file: `path` must be a string, not a number"
    assert contents[3] == "read_file: `start_line` must be a whole number, not a string"
    assert contents[4] == "read_file: `end_line` (2) comes before `start_line` (3)"
    assert contents[5] == "write_file: `content` is required"
    assert contents[6] == ("there is no tool named 'rm_rf'; the tools are list_files, read_file, write_file, "
                           "edit_file, search")
    assert contents[7] in ("read_file: the arguments nest too deeply to read",
                           "read_file: the arguments must be a JSON object, not list")
    assert contents[8].startswith("read_file: the arguments are not valid JSON (")
    assert contents[9].startswith("there is no tool named 'run_command'")
    assert contents[10] == "Widget turns sprockets into gears.\n\n[lines 3-3 of 4]"
    assert contents[11] == "list_files: the pattern is 3,000 characters, over the 2,000 limit"
    assert contents[12] == "search: `globs` may hold at most 50 globs of at most 2,000 characters"
    assert all(not r.ok for r in _results(items)[:10])


@pytest.mark.parametrize("stream", [True, False])
async def test_arguments_sent_as_an_object_and_calls_without_ids_still_run(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                           stream: bool) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="Let me look.", tool_calls=[
        tool_call("read_file", as_object=True, path="README.md", start_line=1, end_line=1),
        tool_call("list_files", call_id="", pattern="src/*")]), Behaviour(reply="Done."))
    items = await _run(fake_openai, _host(root), stream=stream)
    assert [r.ok for r in _results(items)] == [True, True]
    assert "".join(i for i in items if isinstance(i, str)).startswith("Let me look.")
    tool_messages = _tool_messages(fake_openai, 1)
    assert tool_messages[0]["content"] == "# Widget\n\n[lines 1-1 of 4]"
    assert tool_messages[1]["content"] == "src/app.py"
    ids = [m["tool_call_id"] for m in tool_messages]
    assert all(ids) and len(set(ids)) == 2


async def test_tool_call_arguments_count_towards_the_reply_cap(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from techcat_core.runtime.model_call import ModelError

    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/big.md",
                                                                content="x" * 5_000)]))
    with pytest.raises(ModelError, match="the reply passed 2,048 bytes, the cap"):
        await _run(fake_openai, _host(root), max_reply_bytes=2048)
    assert not (root / "docs" / "big.md").exists()


async def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    import os

    root = _repo(tmp_path)
    os.mkfifo(root / "docs" / "pipe")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="docs/pipe"),
                                                      tool_call("search", pattern="x")]),
                      Behaviour(reply="", tool_calls=[tool_call("edit_file", path="docs/pipe", old_text="a",
                                                                new_text="b")]))
    items: list[LoopItem] = []
    with pytest.raises(ToolWriteRefused, match="is a FIFO"):  # an edit is a write: refused, the run ends
        await asyncio.wait_for(_drain_into(fake_openai, _host(root), items), 30)
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert "is a FIFO (named pipe)" in contents[0]
    assert contents[1].startswith("(no match in ")
    assert [r.ok for r in _results(items)] == [False, True, False]


async def _drain_into(fake: FakeOpenAI, host: ToolHost, items: list[LoopItem]) -> None:
    async for item in run_tools(_settings(fake), "fake-model", list(MESSAGES), host, BUDGET, None, "r"):
        items.append(item)


async def test_in_place_a_staged_file_and_folder_cannot_share_a_name(tmp_path: Path, fake_openai: FakeOpenAI
                                                                     ) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[
        tool_call("write_file", path="docs/a", content="file\n"),
        tool_call("write_file", path="docs/a/b.md", content="inside\n"),
        tool_call("write_file", path="docs/c/d.md", content="inside\n"),
        tool_call("write_file", path="docs/c", content="file\n")]), Behaviour(reply="Done."))
    host = _host(root, write_through=False)
    items = await _run(fake_openai, host)
    assert [r.ok for r in _results(items)] == [True, False, True, False]
    contents = [m["content"] for m in _tool_messages(fake_openai, 1)]
    assert contents[1] == "write_file: docs/a is a file this run wrote, so docs/a/b.md cannot be inside it"
    assert contents[3] == "write_file: docs/c is a folder; use list_files"
    assert host.staged() == {"docs/a": b"file\n", "docs/c/d.md": b"inside\n"}


async def test_a_command_that_cannot_start_is_an_error_result(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    from techcat_core.runtime.settings import CommandSpec

    root = _repo(tmp_path)
    host = _host(root, commands=[CommandSpec("test", ("no-such-program-xyz", "-q"), 10.0)])
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("run_command", name="test")]),
                      Behaviour(reply="Could not test."))
    items = await _run(fake_openai, host)
    result, = _results(items)
    assert not result.ok
    assert result.summary == "`test` could not start: no-such-program-xyz: No such file or directory"


async def test_a_large_result_is_cut_to_fit_a_small_context_window(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    root = _repo(tmp_path)
    (root / "docs" / "big.md").write_text("".join(f"line {n} of a long document\n" for n in range(2000)))
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="docs/big.md")]),
                      Behaviour(reply="Read it."))
    items = await _run(fake_openai, _host(root), context_window=8192)
    assert items[-1] == FinalText("Read it.")
    content = _tool_messages(fake_openai, 1)[0]["content"]
    assert "to fit the context window (8,192 tokens); read a smaller line range or search instead" in content
    assert content.startswith("line 0 of a long document\n")
    body = fake_openai.requests[1].body
    sent = len(json.dumps(body["messages"]).encode()) + len(json.dumps(body["tools"]).encode())
    assert sent / 2.5 < 8192  # the second request still fits the window
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("read_file", path="docs/big.md")]),
                      Behaviour(reply="Read it."))
    roomy = await _run(fake_openai, _host(root), context_window=128_000)  # a large window gets the 32 KiB cap
    assert isinstance(roomy[-1], FinalText)
    assert "cut at 32,768 bytes …]" in _tool_messages(fake_openai, 3)[0]["content"]


async def test_odd_file_names_are_listed_as_text_any_server_takes(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    import os

    root = _repo(tmp_path)
    (root / "docs" / "line\nbreak.md").write_text("gears\n")
    with open(os.path.join(os.fsencode(root / "docs"), b"caf\xe9.md"), "wb") as handle:  # a name that is not UTF-8
        handle.write(b"gears\n")
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("list_files", pattern="docs/**"),
                                                      tool_call("search", pattern="gears", globs=["docs/**"])]),
                      Behaviour(reply="Listed."))
    items = await _run(fake_openai, _host(root))
    assert items[-1] == FinalText("Listed.")
    listing, search = (m["content"] for m in _tool_messages(fake_openai, 1))
    assert listing.splitlines() == ["docs/caf\\udce9.md", "docs/line\\nbreak.md", "docs/old.md"]
    assert search == "docs/line\\nbreak.md:1: gears"  # the undecodable name cannot be read (confinement rule)


async def test_a_lone_surrogate_in_a_call_is_read_as_a_replacement_character(tmp_path: Path, fake_openai: FakeOpenAI
                                                                             ) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[
        tool_call("write_file\ud800", raw='{"path": "docs/s.md", "content": "a\ud800b"}'),
        tool_call("write_file", raw='{"path": "docs/s.md", "content": "a\ud800b"}')]), Behaviour(reply="Done."))
    host = _host(root)
    items = await _run(fake_openai, host)
    called = [i for i in items if isinstance(i, ToolCalled)]
    assert [c.name for c in called] == ["write_file\ufffd", "write_file"]
    assert called[1].arguments == '{"path": "docs/s.md", "content": "a\ufffdb"}'
    assert (root / "docs" / "s.md").read_text() == "a\ufffdb"
    assistant, = [m for m in fake_openai.requests[1].body["messages"] if m["role"] == "assistant"]
    assert assistant["tool_calls"][1]["function"]["arguments"] == '{"path": "docs/s.md", "content": "a\ufffdb"}'
    assert items[-1] == FinalText("Done.")


@pytest.mark.parametrize("pattern, words", [
    ("x{999999999}", "repeats something 10,000,000 times; counts above 1,000 are refused"),
    ("x{" + "9" * 1500 + "}", "repeats something 10,000,000 times"),
    ("y{2,5000}", "repeats something 5,000 times"),
    ("y{,99999999}", "repeats something 10,000,000 times"),
    ("(x{1000}){1000}", "multiply to 1,000,000; above 100,000"),
    ("((a{100}){100}){100}", "multiply to 1,000,000"),
])
async def test_a_pattern_too_large_to_compile_is_refused_at_once(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                 pattern: str, words: str) -> None:
    root = _repo(tmp_path)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("search", pattern=pattern),
                                                      tool_call("search", pattern="gears{1,3}")]),
                      Behaviour(reply="Gave up."))
    items = await asyncio.wait_for(_run(fake_openai, _host(root)), 30)
    refused, fine = _results(items)
    assert not refused.ok and words in refused.summary, refused.summary
    assert fine.ok and "README.md:3:" in _tool_messages(fake_openai, 1)[1]["content"]


@pytest.mark.parametrize("write_through", [True, False])
async def test_a_file_too_large_to_keep_whole_is_not_replaced(tmp_path: Path, fake_openai: FakeOpenAI,
                                                              write_through: bool) -> None:
    root = _repo(tmp_path)
    big = b"x" * 5000 + b"\nthe end\n"
    (root / "docs" / "big.log").write_bytes(big)
    fake_openai.queue(Behaviour(reply="", tool_calls=[tool_call("write_file", path="docs/big.log", content="short\n"),
                                                      tool_call("write_file", path="docs/small.md", content="ok\n")]),
                      Behaviour(reply="Done."))
    host = _host(root, write_through=write_through, max_before_bytes=4096)
    items = await _run(fake_openai, host)
    refused, fine = _results(items)
    assert not refused.ok and refused.summary == ("write_file: docs/big.log is over 4,096 bytes, too large for a run "
                                                  "to change")
    assert fine.ok and (root / "docs" / "big.log").read_bytes() == big
    assert host.changes().paths == ("docs/small.md",)

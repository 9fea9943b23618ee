"""`techcat check`'s fast paths say exactly what the slow paths say, and its early exit loses no output.

The whole-array parse (`parse._whole_array`) and the digest it gathers (`TaskLog.digest`, read by the TC1xx
rules, TC115 and TC401) are compared with the entry-by-entry parse without a digest, on logs that are
mostly clean (the fast paths' case) with one thing wrong here and there (where they must step aside).
The CLI ends the process without freeing the parsed workspace (`main._exit_now`); its output through a
pipe is compared, byte for byte and with its exit code, with what `main()` returns in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.engine import check_workspace
from techcat_core.tasklog import parse
from techcat_core.tasklog.parse import parse_task_log
from techcat_core.workspace import load_workspace
from tests.wsbuilder import TODAY, make_workspace

FILES = ("apps/web/home.tsx", "apps/web/settings.tsx")
# What one entry may get wrong; most entries get nothing wrong.
TWISTS: list[tuple[str, Any]] = [
    ("task_id", "task-0x1"), ("task_id", "task-002"), ("task_id", "task-"), ("task_id", 7), ("task_id", " "),
    ("agent", "plannr"), ("agent", ""), ("agent", ["planner"]), ("agent", None),
    ("date", "2025-13-01"), ("date", "2031-01-01"), ("date", "2025/07/01"), ("date", " "), ("date", 20250701),
    ("summary", ""), ("summary", "   "), ("summary", "Fix: a {brace} and a \\u00e9"), ("summary", "Did task 1."),
    ("summary", "lone LONE-SURROGATE"), ("summary", "caf E-ACUTE"), ("summary", {"nested": 1}), ("summary", "a\tb"),
    ("output_files", []), ("output_files", ["missing.py"]), ("output_files", ["../up.py"]), ("output_files", [""]),
    ("output_files", [3]), ("output_files", [["x"]]), ("output_files", "apps/web/home.tsx"), ("output_files", None),
    ("extra", 1), ("-agent", None), ("-date", None), ("dupkey", "agent"), ("not-an-object", 5),
]

MISSING = TWISTS.index(("output_files", ["missing.py"]))  # TC114


def _entry(n: int, width: int, twist: tuple[str, Any] | None) -> Any:
    value: dict[str, Any] = {"task_id": f"task-{n:0{width}d}", "agent": "frontend_specialist",
                             "date": f"2025-07-{1 + n % 28:02d}", "summary": f"Did task {n}.",
                             "output_files": [FILES[n % 2]]}
    if twist is None:
        return value
    key, item = twist
    if key == "not-an-object":
        return item
    if key.startswith("-"):
        del value[key[1:]]
    elif key != "dupkey":
        value[key] = item
    return value


def _log_text(count: int, width: int, twists: dict[int, int], pretty: bool, repeat: int | None) -> str:
    entries = [_entry(n, width, TWISTS[twists[n] % len(TWISTS)] if n in twists else None)
               for n in range(1, count + 1)]
    if repeat is not None and count > 1:  # a repeated entry (TC115) under a fresh id
        copy = entries[repeat % (count - 1)]
        if isinstance(copy, dict):
            entries.append({**copy, "task_id": f"task-{count + 1:0{width}d}"})
    text = json.dumps(entries, indent=2 if pretty else None, ensure_ascii=False)
    # escapes in the text itself: a lone surrogate (a syntax problem of its own) and a plain one
    text = text.replace("LONE-SURROGATE", "\\ud800").replace("E-ACUTE", "\\u00e9")
    for n, index in twists.items():  # a key written twice: only text can hold it
        if TWISTS[index % len(TWISTS)][0] == "dupkey":
            target = f'"task_id": "task-{n:0{width}d}", '.replace(", ", ",\n    " if pretty else ", ")
            text = text.replace(target, target + '"agent": "planner", ', 1)
    return text


def _report(root: Path, monkeypatch: pytest.MonkeyPatch, slow: bool) -> list[tuple[Any, ...]]:
    with monkeypatch.context() as patch:
        if slow:  # the entry-by-entry parse, so no digest: every rule takes its per-entry path
            patch.setattr(parse, "_whole_array", lambda log, open_at: False)
        result = check_workspace(load_workspace(root / ".codex"), TODAY, git=False)
    return [(d.code, d.message, repr(d.range), [(f.title, f.safe, repr(f.edits)) for f in d.fixes])
            for d in result.diagnostics]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
@given(count=st.integers(min_value=1, max_value=12), width=st.sampled_from([1, 3]),
       twists=st.dictionaries(st.integers(min_value=1, max_value=12), st.sampled_from(range(len(TWISTS))),
                              max_size=2),
       pretty=st.booleans(), repeat=st.one_of(st.none(), st.integers(min_value=0)))
def test_the_fast_paths_report_what_the_entry_by_entry_paths_report(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, count: int, width: int,
        twists: dict[int, int], pretty: bool, repeat: int | None) -> None:
    root = tmp_path_factory.mktemp("ws")
    make_workspace(root, log=_log_text(count, width, twists, pretty, repeat), files=FILES)
    assert _report(root, monkeypatch, slow=False) == _report(root, monkeypatch, slow=True)


@pytest.mark.parametrize("twist", range(len(TWISTS)), ids=[f"{key}={item!r}" for key, item in TWISTS])
@pytest.mark.parametrize("where", [1, 3])
def test_one_thing_wrong_in_a_clean_log_is_reported_as_the_slow_paths_report_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, twist: int, where: int) -> None:
    make_workspace(tmp_path, log=_log_text(4, 3, {where: twist}, True, where), files=FILES)
    assert _report(tmp_path, monkeypatch, slow=False) == _report(tmp_path, monkeypatch, slow=True)


def test_a_clean_log_gets_a_digest_and_the_fast_paths_find_nothing(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=_log_text(30, 3, {}, True, None), files=FILES)
    ws = load_workspace(tmp_path / ".codex")
    assert ws.task_log is not None and ws.task_log.fresh_digest() is not None
    assert check_workspace(ws, TODAY, git=False).diagnostics == []


@pytest.mark.parametrize("text", [
    '[{"task_id": "task-1", "agent": "a", "date": "2025-07-01", "summary": "s", "output_files": [{"x": 1}]}]',
    '[{"task_id": "task-1", "agent": "a", "date": "2025-07-01", "summary": {"a": "{"}, "output_files": []}]',
    '[{"task_id": "task-1", "agent": "a", "agent": "b", "date": "2025-07-01", "summary": "s", "output_files": []}]',
    '[5, {"task_id": "task-1", "agent": "a", "date": "2025-07-01", "summary": "s", "output_files": []}]',
    '[{"task_id": "task-1", "agent": "a", "date": "2025-07-01", "summary": "s", "output_files": []},]',
])
def test_no_digest_where_an_entry_is_not_plain(text: str) -> None:
    assert parse_task_log(text).fresh_digest() is None


def test_a_brace_inside_a_string_still_gives_the_entries_their_extents_and_a_digest() -> None:
    from tests.test_parse_fast_path import general_parse

    plain = '{"task_id": "task-%d", "agent": "a", "date": "2025-07-01", "summary": "Render {{%s}}", "output_files": []}'
    text = "[\n  " + ",\n  ".join(plain % (n, "}" * n) for n in range(1, 4)) + "\n]\n"
    log = parse_task_log(text)
    assert log.fresh_digest() is not None
    assert [(e.start, e.end, e.value) for e in log.entries] == \
        [(e.start, e.end, e.value) for e in general_parse(text).entries]
    assert [text[e.start] + text[e.end - 1] for e in log.entries] == ["{}"] * 3


def test_a_digest_goes_stale_when_the_entries_are_replaced() -> None:
    log = parse_task_log('[{"task_id": "task-1", "agent": "a", "date": "2025-07-01", "summary": "s", '
                         '"output_files": []}]')
    assert log.fresh_digest() is not None
    log.entries = list(log.entries)
    assert log.fresh_digest() is None


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """`techcat` as its own process, its stdout a pipe (it ends through `_exit_now`)."""
    return subprocess.run([sys.executable, "-m", "techcat_cli.main", *args], cwd=cwd, capture_output=True,
                          timeout=120)


def _in_process(args: list[str], cwd: Path, capfd: pytest.CaptureFixture[str],
                monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """`main(args)`, which always returns (nothing ended early)."""
    from techcat_cli import main as cli

    monkeypatch.chdir(cwd)
    code = cli.main(args)
    out, err = capfd.readouterr()
    return code, out, err


@pytest.mark.parametrize("args", [["check"], ["check", "--format", "json"], ["check", "--format", "github"],
                                  ["check", "--strict"]])
def test_the_early_exit_loses_no_output_through_a_pipe(tmp_path: Path, args: list[str],
                                                        capfd: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # 1,500 findings, far more output than a pipe's buffer holds, so most of it is written at exit
    twists = {n: MISSING for n in range(1, 3001, 2)}
    make_workspace(tmp_path, log=_log_text(3000, 3, twists, True, None), files=FILES)
    done = _cli(args, tmp_path)
    code, out, err = _in_process(args, tmp_path, capfd, monkeypatch)
    assert len(done.stdout) > 200_000
    assert (done.returncode, done.stdout.decode(), done.stderr.decode()) == (code, out, err)
    assert out.count("TC114") == 1500 and code == (1 if "--strict" in args else 0)


def test_the_early_exit_keeps_the_exit_code_of_a_clean_and_of_a_failing_check(
        tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    clean, failing = tmp_path / "clean", tmp_path / "failing"
    make_workspace(clean, log=_log_text(5, 3, {}, True, None), files=FILES)
    make_workspace(failing, log=_log_text(5, 3, {2: TWISTS.index(("date", "2025-13-01"))}, True, None), files=FILES)
    for root, expected in ((clean, 0), (failing, 1)):
        done = _cli(["check"], root)
        assert done.returncode == expected
        assert (done.returncode, done.stdout.decode(), done.stderr.decode()) == \
            _in_process(["check"], root, capfd, monkeypatch)
    assert b"All checks passed." in _cli(["check"], clean).stdout
    assert b"TC108" in _cli(["check"], failing).stdout


def test_the_early_exit_into_a_pipe_closed_early_ends_as_an_ordinary_exit_would(tmp_path: Path) -> None:
    """A reader that stops after one line: the process still ends (no hang), and says nothing new."""
    twists = {n: MISSING for n in range(1, 3001, 2)}
    make_workspace(tmp_path, log=_log_text(3000, 3, twists, True, None), files=FILES)
    process = subprocess.Popen([sys.executable, "-m", "techcat_cli.main", "check"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) in (0, 1, 120)
    assert b"TC114" in first
    assert b"Traceback" not in err


MARKDOWN_PIECES = ["# Agents", "## Agent: `planner`", "### x ###", "#", "## #", "####### seven", "#tag", "   ## three",
                   "    ## four", "\t# tab", " \t# mixed", "- **Role:** plans", "- # in a list", "  ## in an item",
                   "1. first", "   # under it", "> quote", "> # quoted", "```", "~~~", "<div>", "  <p>", "===", "---",
                   "  ---", "Title", "", "", "text", "[ref]:", "[ref]: /url 'title", "# a\r", "x\0y", "## end  #  ",
                   "*", "+ item", "10. ten", "    code", "## x\t##", "# y #\t", "#\tz",
                   "Once complete, invoke `task_logger`."]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=12), st.sampled_from(["\n", "\r\n", "\r"]))
def test_plain_headings_are_markdown_it_s_headings(pieces: list[str], newline: str) -> None:
    from techcat_core.markdown_doc import MarkdownDoc, plain_headings

    text = newline.join(pieces) + newline
    fast = plain_headings(text)
    doc = MarkdownDoc(Path("AGENTS.md"), text)
    tokens = doc.tokens
    reference = [(int(t.tag[1:]), tokens[i + 1].content.strip(), t.map[0]) for i, t in enumerate(tokens)
                 if t.type == "heading_open" and t.map]
    if fast is not None:
        assert [(h.level, h.text, h.line) for h in fast] == reference
    assert [(h.level, h.text, h.line) for h in doc.headings] == reference


def test_a_roster_is_read_without_importing_markdown_it(tmp_path: Path) -> None:
    """The usual roster style needs no markdown-it (a check would pay ~45 ms to import it)."""
    code = ("import sys; from techcat_core.roster import parse_agents_md; "
            "r = parse_agents_md(open(sys.argv[1]).read(), 'AGENTS.md'); "
            "print(len(r.agents), 'markdown_it' in sys.modules)")
    roster = tmp_path / "AGENTS.md"
    roster.write_text("# Agents\n\n## Agent: `planner`\n\n- **Role:** Plans.\n\nOnce complete, invoke `task_logger`.\n"
                      "\n## Agent: `task_logger`\n\n- **Role:** Logs.\n")
    done = subprocess.run([sys.executable, "-c", code, str(roster)], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["2", "False"], done.stderr


def test_the_early_exit_runs_the_atexit_handlers_once_and_after_the_output(tmp_path: Path) -> None:
    make_workspace(tmp_path, log=_log_text(3, 3, {}, True, None), files=FILES)
    code = ("import atexit, sys; atexit.register(lambda: print('handler ran')); "
            "sys.argv = ['techcat', 'check']; import techcat_cli.main as cli; sys.exit(cli.main())")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "All checks passed.\nhandler ran\n", "")

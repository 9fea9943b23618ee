"""The task-log store: locked appends under contention, crash safety, byte-preserving appends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import pytest

from techcat_core.atomic import temp_prefix
from techcat_core.tasklog.store import StoreError, append_entry
from tests.waiting import wait_until
from tests.wsbuilder import make_workspace

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"
needs_shared = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is absent on this machine")

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from techcat_core.tasklog.store import append_entry
    codex, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(count):
        append_entry(codex, name, f"{name} append {i}", [f"out/{name}/{i}.txt"])
""")

READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    path, stop = Path(sys.argv[1]), Path(sys.argv[2])
    reads = bad = 0
    while not stop.exists():
        data = path.read_text()
        try:
            json.loads(data)
        except ValueError:
            bad += 1
        reads += 1
    print(json.dumps({"reads": reads, "bad": bad}))
""")


def test_concurrent_appends_with_a_reader(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    log = codex / "TASK-LOG.json"
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    reader = subprocess.Popen([sys.executable, "-c", READER, str(log), str(stop)], stdout=subprocess.PIPE, text=True,
                              env=env)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(codex), f"w{i}", "250"], env=env)
               for i in range(8)]
    for writer in writers:
        assert writer.wait(timeout=600) == 0
    stop.touch()
    out, _ = reader.communicate(timeout=60)
    stats = json.loads(out)
    entries = json.loads(log.read_text())
    assert len(entries) == 2000
    ids = [e["task_id"] for e in entries]
    assert len(set(ids)) == 2000
    assert sorted(int(i.split("-")[1]) for i in ids) == list(range(1, 2001))
    assert stats["reads"] > 0 and stats["bad"] == 0
    for i in range(8):  # each writer's own entries are all there, in its order
        mine = [e["summary"] for e in entries if e["agent"] == f"w{i}"]
        assert mine == [f"w{i} append {n}" for n in range(250)]


def _new_copies(codex: Path, known: set[str]) -> set[str]:
    """The store's temporary copies of the task log (there while an append writes, left by a writer killed then)
    that are not in `known`."""
    prefix = temp_prefix(codex / "TASK-LOG.json")
    return {name for name in os.listdir(codex) if name.startswith(prefix)} - known


def _replaced(path: Path, inode: int) -> bool:
    return path.stat().st_ino != inode


def test_sigkill_mid_append_leaves_a_valid_log(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    log = codex / "TASK-LOG.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    # a large log makes each append slow enough to be killed in the middle of one
    seed = [{"task_id": f"task-{i:05d}", "agent": "seed", "date": "2025-01-01", "summary": "x" * 300,
             "output_files": []} for i in range(1, 20001)]
    log.write_text(json.dumps(seed, indent=2) + "\n")
    copies_left = 0
    for round_number in range(6):
        before = _new_copies(codex, set())  # a killed writer's copy, until the next one cleans up
        landed = log.stat().st_ino  # each append renames a new file over the log
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(codex), f"k{round_number}", "100000"], env=env)
        if round_number % 2 == 0:  # mid-write: while its copy of the log is being written and synced
            wait_until(partial(_new_copies, codex, before), "the writer to write a copy", interval=0.001)
        else:  # mid-append: right after one of its appends landed, as it reads the log for the next
            wait_until(partial(_replaced, log, landed), "an append of the writer to land", interval=0.001)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        copies_left += bool(_new_copies(codex, before))
        entries = json.loads(log.read_text())  # never a partial entry: the JSON is whole
        assert all(set(e) == {"task_id", "agent", "date", "summary", "output_files"} for e in entries)
        ids = [e["task_id"] for e in entries]
        assert len(ids) == len(set(ids))
    assert copies_left, "no writer was killed in the middle of a write"
    # and the store still appends afterwards
    entry = append_entry(codex, "after", "after the kills")
    assert json.loads(log.read_text())[-1]["task_id"] == entry["task_id"]
    assert [p.name for p in codex.iterdir() if p.name.startswith(".techcat-tmp-")] == []  # no leftover copies


@needs_shared
def test_append_to_real_log_keeps_every_earlier_byte(tmp_path: Path) -> None:
    source = REALWORLD / "techcat-studio" / ".codex" / "TASK-LOG.json"
    codex = tmp_path / ".codex"
    codex.mkdir()
    shutil.copyfile(source, codex / "TASK-LOG.json")
    original = source.read_bytes()
    entry = append_entry(codex, "task_logger", "Logged from the test", ["README.md"])
    new = (codex / "TASK-LOG.json").read_bytes()
    cut = original.rindex(b"}") + 1  # the end of the last existing entry
    assert new[:cut] == original[:cut]
    assert new[len(new) - (len(original) - cut):] == original[cut:]  # the closing bracket and newline as they were
    added = new[cut:len(new) - (len(original) - cut)].decode()
    assert added.startswith(",\n  {\n    \"agent\": \"task_logger\",\n    \"task_id\": \"task-049\"")
    assert entry["task_id"] == "task-049"
    assert json.loads(new)[-1]["summary"] == "Logged from the test"


def test_append_keeps_compact_style_and_no_final_newline(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log='[{"task_id": "task-7", "agent": "a", "date": "2025-01-01", "summary": "s", '
                                         '"output_files": []}]')
    append_entry(codex, "b", "second", [], date="2025-01-02")
    text = (codex / "TASK-LOG.json").read_text()
    assert text == ('[{"task_id": "task-7", "agent": "a", "date": "2025-01-01", "summary": "s", "output_files": []},\n'
                    '  {"task_id": "task-8", "agent": "b", "date": "2025-01-02", "summary": "second", '
                    '"output_files": []}]')


def test_append_refuses_a_broken_log_and_says_where(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log='[\n  {"task_id": "task-001",\n]\n')
    before = (codex / "TASK-LOG.json").read_bytes()
    with pytest.raises(StoreError) as error:
        append_entry(codex, "a", "s")
    assert "TASK-LOG.json:3:1" in str(error.value)
    assert (codex / "TASK-LOG.json").read_bytes() == before


def test_append_validates_the_entry(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    with pytest.raises(StoreError, match="date"):
        append_entry(codex, "a", "s", date="yesterday")
    with pytest.raises(StoreError, match=r'date "2025-13-01" (does not exist|is not a real calendar date).*TC108'):
        append_entry(codex, "a", "s", date="2025-13-01")
    with pytest.raises(StoreError, match="summary"):
        append_entry(codex, "a", "")
    with pytest.raises(StoreError, match="`summary` is empty"):
        append_entry(codex, "a", "   ")  # what `techcat check` calls empty, the store refuses too
    with pytest.raises(StoreError, match=r"task-001 \('a'\): `summary` is empty"):
        append_entry(codex, "a", "   ")
    assert json.loads((codex / "TASK-LOG.json").read_text(encoding="utf-8")) == []
    # a path outside the repository is the check's to report (TC113), not a reason to lose an import
    append_entry(codex, "a", "Imported", ["/home/me/proj/src/app.py", "~$report.docx"])
    assert json.loads((codex / "TASK-LOG.json").read_text(encoding="utf-8"))[-1]["summary"] == "Imported"


def test_external_edit_invalidates_the_cache(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path, log="[]\n")
    append_entry(codex, "a", "one")
    log = codex / "TASK-LOG.json"
    data = json.loads(log.read_text())
    data.append({"task_id": "task-050", "agent": "a", "date": "2025-01-01", "summary": "by hand", "output_files": []})
    log.write_text(json.dumps(data, indent=2) + "\n")
    assert append_entry(codex, "a", "two")["task_id"] == "task-051"


def test_a_fix_is_refused_when_the_log_changed_since_it_was_checked(tmp_path: Path) -> None:
    from techcat_core.engine import check_path
    from techcat_core.fix_writer import StaleFile, write_fixes
    from tests.wsbuilder import entry

    codex = make_workspace(tmp_path, log=[entry(1), entry(1, summary="Same id twice.")])
    result = check_path(codex, git=False)
    fixes = [f for d in result.diagnostics if d.code == "TC111" for f in d.fixes[:1]]
    assert fixes
    append_entry(codex, "planner", "Appended by another agent meanwhile")
    with pytest.raises(StaleFile, match="changed since it was checked"):
        write_fixes(codex, fixes, result.workspace.texts)
    assert "Appended by another agent meanwhile" in (codex / "TASK-LOG.json").read_text()
    fresh = check_path(codex, git=False)
    assert write_fixes(codex, [f for d in fresh.diagnostics if d.code == "TC111" for f in d.fixes[:1]],
                       fresh.workspace.texts) == [codex / "TASK-LOG.json"]
    ids = [e["task_id"] for e in json.loads((codex / "TASK-LOG.json").read_text())]
    assert len(ids) == len(set(ids)) == 3


def test_a_fix_never_rewrites_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    from techcat_core.engine import check_path
    from techcat_core.fix_writer import FixNotApplied, write_fixes
    from tests.wsbuilder import entry

    log = json.dumps([entry(1, summary=..., summery="typo")], indent=2).replace("typo", "typ\xe9").encode("latin-1")
    codex = make_workspace(tmp_path, log=None, extra={"TASK-LOG.json": log})
    result = check_path(codex, git=False)
    fixes = [f for d in result.diagnostics if d.code == "TC106" for f in d.fixes[:1]]
    assert fixes
    with pytest.raises(FixNotApplied, match="not valid UTF-8"):
        write_fixes(codex, fixes, result.workspace.texts)
    assert (codex / "TASK-LOG.json").read_bytes() == log


def test_check_fix_and_concurrent_appends_lose_nothing(tmp_path: Path) -> None:
    """`techcat check --fix` rewrites the log while agents append: every appended entry survives."""
    from tests.wsbuilder import entry

    log = [entry(n, date="2025-07-01") for n in range(1, 20001)]
    log[5000]["task_id"] = "task-001"  # a duplicate id for the fix to renumber
    codex = make_workspace(tmp_path, log=log)
    techcat = str(Path(sys.executable).with_name("techcat"))
    fixer = subprocess.Popen([techcat, "check", "--fix", "--no-git", "--workspace", str(codex)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for i in range(6):
        subprocess.run([techcat, "log", "--workspace", str(codex), "-a", "planner", "-s", f"concurrent {i}"],
                       check=True, capture_output=True)
    fixer.wait(timeout=120)
    entries = json.loads((codex / "TASK-LOG.json").read_text())
    summaries = {e["summary"] for e in entries}
    assert {f"concurrent {i}" for i in range(6)} <= summaries
    ids = [e["task_id"] for e in entries]
    assert len(ids) == len(set(ids)) == 20006


def test_check_fix_on_a_file_that_is_not_utf8_says_why_and_keeps_its_bytes(tmp_path: Path) -> None:
    from tests.wsbuilder import entry

    log = json.dumps([entry(1, summary=..., summery="typo")], indent=2).replace("typo", "typ\xe9").encode("latin-1")
    codex = make_workspace(tmp_path, log=None, extra={"TASK-LOG.json": log})
    techcat = str(Path(sys.executable).with_name("techcat"))
    result = subprocess.run([techcat, "check", "--fix", "--no-git", "--workspace", str(codex)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "fixes not applied: TASK-LOG.json is not valid UTF-8" in result.stderr
    assert (codex / "TASK-LOG.json").read_bytes() == log


@pytest.mark.parametrize("newline, bom", [("\n", b""), ("\r\n", b"\xef\xbb\xbf")])
def test_appends_after_the_first_splice_bytes_exactly(tmp_path: Path, newline: str, bom: bytes) -> None:
    """The second append trusts the store's state file and splices bytes: multi-byte text, CRLF and a BOM stay."""
    from tests.wsbuilder import entry

    text = json.dumps([entry(1, summary="Curly “quotes”, a dash – and 😀")], indent=2, ensure_ascii=False)
    original = bom + text.replace("\n", newline).encode("utf-8") + newline.encode()
    codex = make_workspace(tmp_path, log=None, extra={"TASK-LOG.json": original})
    first = append_entry(codex, "planner", "First “append”")
    after_first = (codex / "TASK-LOG.json").read_bytes()
    second = append_entry(codex, "planner", "Second – with 😀")
    data = (codex / "TASK-LOG.json").read_bytes()
    cut = after_first.rindex(b"}") + 1
    assert data.startswith(after_first[:cut]) and data.endswith(after_first[cut:])  # only added bytes
    assert data.startswith(bom) and (b"\r\n" in data) == (newline == "\r\n")
    entries = json.loads(data[len(bom):].decode("utf-8"))
    assert [e["task_id"] for e in entries] == ["task-001", first["task_id"], second["task_id"]]
    assert entries[-1]["summary"] == "Second – with 😀"

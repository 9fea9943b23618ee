"""The store and every TechCat write on real files: half-saved logs, modes under the umask, links, read-only files."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from techcat_core.atomic import WriteRefused, write_atomic
from tests.gitutil import init_repo, techcat
from tests.wsbuilder import entry, make_workspace


def _hundred(root: Path) -> Path:
    codex = make_workspace(root, log=[entry(n) for n in range(1, 101)])
    return codex / "TASK-LOG.json"


def _log(args: list[str], root: Path) -> tuple[int, str]:
    result = techcat("log", "-a", "planner", "-s", "Did one more", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stderr


@pytest.mark.parametrize("half_saved", [b"", b"  \n\t\n", None])
def test_an_append_to_a_half_saved_log_is_refused(tmp_path: Path, half_saved: bytes | None) -> None:
    log = _hundred(tmp_path)
    full = log.read_bytes()
    contents = full[: len(full) // 2] if half_saved is None else half_saved
    log.write_bytes(contents)  # the editor has truncated the file and not yet written it back
    code, err = _log([], tmp_path)
    assert code == 2
    assert log.read_bytes() == contents  # nothing replaced the 100 entries the editor is about to write back
    if half_saved is None:
        assert "TASK-LOG.json:" in err and "fix the JSON" in err
    else:
        what = "0 bytes" if not half_saved else f"{len(half_saved)} bytes of whitespace"
        assert f"TASK-LOG.json:1:1: the task log is {what}, not a JSON array; if an editor is saving it, let the " \
               "save finish and append again (an empty log is `[]`)" in err
    log.write_bytes(full)  # the editor's save completes
    assert _log([], tmp_path)[0] == 0
    entries = json.loads(log.read_text())
    assert len(entries) == 101 and entries[-1]["task_id"] == "task-101"


def test_a_log_that_never_existed_is_created(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    (codex / "TASK-LOG.json").unlink()
    assert _log([], tmp_path)[0] == 0
    assert [e["task_id"] for e in json.loads((codex / "TASK-LOG.json").read_text())] == ["task-001"]


def test_init_writes_an_empty_array(tmp_path: Path) -> None:
    assert techcat("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".codex" / "TASK-LOG.json").read_text() == "[]\n"
    assert _log([], tmp_path)[0] == 0


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.usefixtures("umask_022")
def test_new_files_follow_the_umask(tmp_path: Path) -> None:
    init_repo(tmp_path)
    assert techcat("init", "--git", cwd=tmp_path).returncode == 0  # the subprocess inherits umask 022
    made = [*(tmp_path / ".codex").glob("*.md"), tmp_path / ".codex" / "TASK-LOG.json", tmp_path / ".gitattributes"]
    assert len(made) == 6
    assert {p.name: _mode(p) for p in made} == {p.name: 0o644 for p in made}
    os.umask(0o027)
    write_atomic(tmp_path / "agent-output.txt", "x\n")
    assert _mode(tmp_path / "agent-output.txt") == 0o640


@pytest.mark.usefixtures("umask_022")
def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    log = codex / "TASK-LOG.json"
    os.chmod(log, 0o664)
    assert _log([], tmp_path)[0] == 0
    assert _mode(log) == 0o664
    script = tmp_path / "hook.sh"
    script.write_text("echo\n")
    os.chmod(script, 0o750)
    write_atomic(script, "echo changed\n")
    assert _mode(script) == 0o750 and script.read_text() == "echo changed\n"


def test_a_linked_log_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    init_repo(tmp_path)
    codex = make_workspace(tmp_path)
    log = codex / "TASK-LOG.json"
    shared = tmp_path / "shared" / "TASK-LOG.json"
    shared.parent.mkdir()
    log.rename(shared)
    log.symlink_to(os.path.join("..", "shared", "TASK-LOG.json"))
    for summary in ("first through the link", "second through the link"):  # the second uses the store's cache
        assert techcat("log", "-a", "planner", "-s", summary, cwd=tmp_path).returncode == 0
    assert log.is_symlink() and os.readlink(log) == os.path.join("..", "shared", "TASK-LOG.json")
    assert [e["summary"] for e in json.loads(shared.read_text())][-2:] == ["first through the link",
                                                                            "second through the link"]
    assert not [p for p in (codex, shared.parent) for p in p.iterdir() if p.name.startswith(".techcat-tmp-")]


def test_a_link_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    codex = make_workspace(root)
    log = codex / "TASK-LOG.json"
    outside = tmp_path / "elsewhere.json"
    outside.write_text(log.read_text())
    log.unlink()
    log.symlink_to(outside)
    before = outside.read_bytes()
    code, err = _log([], root)
    assert code == 2
    assert f'"{log}" leads outside the repository through a symbolic link; TechCat reads only files inside it; ' \
           "nothing was appended" in err  # refused by the read (techcat_core.confine) before any write
    assert outside.read_bytes() == before and log.is_symlink()
    with pytest.raises(WriteRefused, match="outside the repository"):
        write_atomic(log, "[]\n")


def test_a_read_only_file_is_refused_not_replaced(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    log = codex / "TASK-LOG.json"
    before = log.read_bytes()
    os.chmod(log, 0o444)  # the tests run as root, who could write it: the mode bits decide
    code, err = _log([], tmp_path)
    assert code == 2
    assert "TASK-LOG.json is read-only (mode 0444); TechCat does not replace a file you protected: make it " \
           "writable (chmod u+w) and try again" in err
    assert log.read_bytes() == before and _mode(log) == 0o444
    protected = tmp_path / "notes.md"
    protected.write_text("mine\n")
    os.chmod(protected, 0o400)
    with pytest.raises(WriteRefused, match=r"notes.md is read-only \(mode 0400\)"):
        write_atomic(protected, "theirs\n")
    assert protected.read_text() == "mine\n"

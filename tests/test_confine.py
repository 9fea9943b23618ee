"""techcat_core.confine: the one rule for reads and writes, attacked with adversarial paths, globs and files."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.confine import (
    Refused,
    glob_match,
    is_git_path,
    normalise,
    read_bounded,
    readable,
    writable,
    write_problem,
)


@pytest.mark.parametrize("path, outputs, reason", [
    ("apps/web/../../.git/config", ["apps/web/**"], "`..` part"),
    ("apps/web/../../.codex/TASK-LOG.json", ["apps/web/**"], "`..` part"),
    (".git/hooks/post-commit", ["**"], "inside .git/"),
    (".GIT/config", ["**"], "inside .git/"),
    (".Git/hooks/pre-commit", ["**"], "inside .git/"),
    ("sub/.git", ["**"], "inside .git/"),  # a worktree's or submodule's .git file
    (".git./config", ["**"], "inside .git/"),  # Windows names: trailing dot, a stream, the 8.3 short name
    (".git::$INDEX_ALLOCATION/config", ["**"], "inside .git/"),
    ("GIT~1/config", ["**"], "inside .git/"),
    (".codex/TASK-LOG.json", ["**"], "the task log"),
    (".codex/TASK-LOG.json", [".codex/TASK-LOG.json"], "the task log"),
    (".codex/AGENTS.md", ["**"], "Output: names the file"),
    (".codex/PRD.md", [".codex/**"], "Output: names the file"),
    ("/etc/passwd", ["**"], "is absolute"),
    ("C:/Windows/x", ["**"], "is absolute"),
    ("~/x", ["**"], "starts with ~"),
    ("a\x00b", ["**"], "NUL"),
    ("a\\b", ["**"], "backslash"),
    ("../x", ["**"], "escapes the repository"),
    ("docs/x.md", ["apps/**"], "not among this agent's outputs"),
])
def test_refused_writes(tmp_path: Path, path: str, outputs: list[str], reason: str) -> None:
    with pytest.raises(Refused) as caught:
        writable(tmp_path, path, outputs)
    assert reason in str(caught.value)
    assert str(caught.value).count(";") <= 2 and "\n" not in str(caught.value)  # one sentence


def test_allowed_writes(tmp_path: Path) -> None:
    assert writable(tmp_path, "./apps//web/./a.tsx", ["apps/web/**"]) == tmp_path / "apps/web/a.tsx"
    assert writable(tmp_path, ".codex/PROPOSED-TASKS.md", [".codex/PROPOSED-TASKS.md"]) == \
        tmp_path / ".codex/PROPOSED-TASKS.md"
    assert writable(tmp_path, "docs/a.md", ["docs/*.md"]) == tmp_path / "docs/a.md"
    with pytest.raises(Refused):
        writable(tmp_path, "docs/sub/a.md", ["docs/*.md"])


def test_symlinks_out_into_git_or_codex_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".codex").mkdir()
    outside.mkdir()
    (repo / "out").symlink_to(outside, target_is_directory=True)
    (repo / "hooks").symlink_to(repo / ".git", target_is_directory=True)
    (repo / "memory").symlink_to(repo / ".codex", target_is_directory=True)
    for path, why in (("out/x", "outside the repository"), ("hooks/config", "to .git/config"),
                      ("memory/TASK-LOG.json", "to .codex/TASK-LOG.json")):
        with pytest.raises(Refused, match=why):
            writable(repo, path, ["**"])


def test_globs_never_match_across_dotdot() -> None:
    assert glob_match("apps/web/**", "apps/web/a/b.tsx")
    assert glob_match("**/*.md", "a/b/c.md") and glob_match("**/*.md", "c.md")
    assert not glob_match("apps/web/**", "apps/web/../../.git/config")
    assert not glob_match("**", "a/../b")
    assert not glob_match("**", "/etc/passwd")
    assert glob_match("./apps/*", "apps/x") and not glob_match("apps/*", "apps/x/y")
    assert normalise("./a//b/./c/") == "a/b/c"


# -- property: whatever is accepted resolves inside the repository, outside .git/, and matches a glob ------------

_PART = st.sampled_from(["..", ".", "", ".git", ".GIT", ".Git", "gIt", ".codex", "TASK-LOG.json", "apps", "web",
                         "out", "hooks", "memory", "~", "C:", "a\x00b", "x\\y", "é", "名前", "\u202e", "ok.md",
                         "config", "post-commit", "*", "link", "shared", "main.py", ".g\u200cit"])
_PATH = st.builds(lambda lead, parts: lead + "/".join(parts), st.sampled_from(["", "/", "./", "~/", "C:/", "\\"]),
                  st.lists(_PART, min_size=1, max_size=7))
_GLOB = st.sampled_from(["**", "apps/web/**", "**/*.md", "apps/*", ".codex/**", ".codex/PRD.md", "out/**",
                         "hooks/**", "memory/**", "*", "apps/**/config", "./apps/web/**"])


@pytest.fixture(scope="module")
def adversarial_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("adversarial")
    repo = base / "repo"
    for folder in (".git/hooks", ".codex", "apps/web", "src"):
        (repo / folder).mkdir(parents=True)
    (base / "outside").mkdir()
    (repo / "out").symlink_to(base / "outside", target_is_directory=True)
    (repo / "hooks").symlink_to(repo / ".git" / "hooks", target_is_directory=True)
    (repo / "memory").symlink_to(repo / ".codex", target_is_directory=True)
    (repo / "apps" / "web" / "link").symlink_to(base, target_is_directory=True)
    (repo / "apps" / "web" / "shared").symlink_to(Path("..") / ".." / "src", target_is_directory=True)
    return repo


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_PATH, globs=st.lists(_GLOB, min_size=1, max_size=3))
def test_accepted_writes_stay_inside(adversarial_repo: Path, path: str, globs: list[str]) -> None:
    try:
        target = writable(adversarial_repo, path, globs)
    except Refused as error:
        assert str(error) and "\n" not in str(error)
        return
    real_root = Path(os.path.realpath(adversarial_repo))
    real = Path(os.path.realpath(target))
    relative = real.relative_to(real_root).as_posix()  # raises when outside
    assert not is_git_path(relative)
    assert ".codex" not in relative.casefold().split("/") or normalise(path) in [normalise(g) for g in globs]
    assert not relative.casefold().endswith("task-log.json") or ".codex" not in relative.casefold()
    assert write_problem(path) is None
    assert any(glob_match(g, normalise(path)) or normalise(g) == normalise(path) for g in globs)
    assert any(glob_match(g, relative) or normalise(g) == relative for g in globs)  # where a link leads, too


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_PATH)
def test_accepted_reads_stay_inside(adversarial_repo: Path, path: str) -> None:
    try:
        target = readable(adversarial_repo, path)
    except Refused:
        return
    relative = target.relative_to(Path(os.path.realpath(adversarial_repo))).as_posix()
    assert not is_git_path(relative)


# -- reads: FIFOs, devices, symlinks out, huge files --------------------------------------------------------------

def test_read_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    done = threading.Event()
    caught: list[BaseException] = []

    def attempt() -> None:
        try:
            read_bounded(tmp_path, "pipe")
        except BaseException as error:  # handed to the test thread
            caught.append(error)
        done.set()

    threading.Thread(target=attempt, daemon=True).start()
    assert done.wait(10), "reading a FIFO blocked"
    assert isinstance(caught[0], Refused) and "FIFO" in str(caught[0])


def test_read_refuses_devices_and_links_out(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "config").write_text("[core]\n")
    (tmp_path / "secret.txt").write_text("secret\n")
    (repo / "zero").symlink_to("/dev/zero")
    (repo / "leak.md").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(Refused, match="outside the repository through a symbolic link"):
        read_bounded(repo, "leak.md")
    with pytest.raises(Refused, match="outside the repository"):
        read_bounded(repo, "zero")
    with pytest.raises(Refused, match=r"inside \.git/"):
        read_bounded(repo, ".GIT/config" if (repo / ".GIT").exists() else ".git/config")
    with pytest.raises(Refused, match="is absolute"):
        read_bounded(repo, "/etc/passwd")
    (repo / "dev").symlink_to("/dev", target_is_directory=True)
    with pytest.raises(Refused):
        read_bounded(repo, "dev/null")


def test_read_is_capped_and_says_so(tmp_path: Path) -> None:
    with (tmp_path / "huge.txt").open("wb") as handle:
        handle.truncate(2 * 1024 * 1024 * 1024)  # 2 GB, sparse
    read = read_bounded(tmp_path, "huge.txt", 4096)
    assert len(read.data) == 4096 and read.truncated and read.size == 2 * 1024 * 1024 * 1024
    (tmp_path / "small.txt").write_text("hello\n")
    small = read_bounded(tmp_path, tmp_path / "small.txt", 4096)
    assert small.text() == "hello\n" and not small.truncated
    with pytest.raises(FileNotFoundError):
        read_bounded(tmp_path, "missing.txt")


def test_a_write_never_targets_a_fifo_device_or_folder(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "null.md").symlink_to("/dev/null")
    with pytest.raises(Refused, match=r"is a FIFO \(named pipe\), not a regular file"):
        writable(tmp_path, "pipe.md", ["*.md"])
    with pytest.raises(Refused, match="is a folder"):
        writable(tmp_path, "folder.md", ["*.md"])
    with pytest.raises(Refused, match="outside the repository"):
        writable(tmp_path, "null.md", ["*.md"])

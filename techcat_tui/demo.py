"""The demo: a copy of the bundled sample workspace that is a git repository with a history, removed on exit.

The history is the sample's own log told in four commits (each adds its entries and the files they name,
on the entries' dates), then one commit that no entry logs, so the Git view has commits and changed files
to show and the history checks (TC403 append-only, TC404 unlogged commits) have something to compare.
The working tree ends exactly as the sample is. The commits go in as one `git fast-import` stream (about
0.1 s for the whole copy, against 0.8 s for an add and a commit each). No Textual here: `techcat demo
--check-only` uses it too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import techcat_core
from techcat_core.tasklog.parse import parse_task_log
from techcat_core.workspace import TASK_LOG

DEMO_PREFIX = "techcat-demo-"
CHAPTERS = 4  # commits that tell the log
UNLOGGED_FILE = "apps/web/src/components/Logo.tsx"  # committed after the last entry, by nobody's entry
UNLOGGED_MESSAGE = "Add the logo component the branding task left unstaged"
UNLOGGED_DATE = "2025-07-28"
_IDENTITY = {"GIT_AUTHOR_NAME": "Pawprint team", "GIT_AUTHOR_EMAIL": "team@pawprint.invalid",
             "GIT_COMMITTER_NAME": "Pawprint team", "GIT_COMMITTER_EMAIL": "team@pawprint.invalid"}
# set by a git hook or a shell around us, these would make git act on another repository
_REPOSITORY_OVERRIDES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")


class DemoHistoryProblem(RuntimeError):
    """git could not build the demo's history; the message is one sentence."""


def sample_source() -> Path:
    return Path(techcat_core.__file__).resolve().parent / "sample"


def copy_sample(target: Path) -> Path:
    """Copy the sample repository (without its MISTAKES.md) into `target`; returns its `.codex/`."""
    shutil.copytree(sample_source(), target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("MISTAKES.md", "__pycache__"))
    return target / ".codex"


@dataclass(frozen=True, slots=True)
class _Commit:
    message: str
    date: str  # YYYY-MM-DD
    files: dict[str, bytes]  # repository path → content


def _git(root: Path, *args: str, stdin: bytes | None = None) -> None:
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_OVERRIDES}
    env |= {**_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1"}
    try:
        done = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=root, env=env, input=stdin,
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DemoHistoryProblem(f"git could not run ({error})") from error
    if done.returncode != 0:
        detail = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise DemoHistoryProblem(f"`git {args[0]}` failed: {detail}")


def plan_history(root: Path) -> list[_Commit]:
    """The commits that tell the sample's log: each chapter adds its entries and the files they name (the
    first also the roster, PRD and prompts), on the chapter's last valid date; then one unlogged commit."""
    log_path = root / ".codex" / TASK_LOG
    text = log_path.read_text(encoding="utf-8")
    log = parse_task_log(text, log_path)
    entries = log.entries
    if not log.valid or len(entries) < CHAPTERS:
        raise DemoHistoryProblem(f"the sample's {TASK_LOG} cannot be split into commits")
    everything = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    named = {name for entry in entries for name in _named_files(entry.value)}
    size = -(-len(entries) // CHAPTERS)
    commits: list[_Commit] = []
    committed: set[str] = set()
    for start in range(0, len(entries), size):
        chunk = entries[start:start + size]
        files = {name for entry in chunk for name in _named_files(entry.value)}
        if start == 0:  # the roster, PRD, prompts and whatever no entry names
            files |= {name for name in everything if name.startswith(".codex/") or name not in named}
        files = {name for name in files if name in everything and name not in committed and name != UNLOGGED_FILE}
        committed |= files
        contents = {name: (root / name).read_bytes() for name in sorted(files)}
        last = start + size >= len(entries)
        log_text = text if last else text[:chunk[-1].end] + "\n]\n"  # the log grows by the chapter's entries
        contents[f".codex/{TASK_LOG}"] = log_text.encode("utf-8")
        dates = [d for entry in chunk if _is_iso(d := str(_field(entry.value, "date")))]
        ids = [str(_field(entry.value, "task_id")) for entry in chunk]
        commits.append(_Commit(f"{ids[0]}…{ids[-1]}: {len(chunk)} logged tasks", max(dates, default=UNLOGGED_DATE),
                               contents))
    rest = [name for name in everything if name not in committed and name != f".codex/{TASK_LOG}"]
    if rest:
        commits.append(_Commit(UNLOGGED_MESSAGE, UNLOGGED_DATE, {name: (root / name).read_bytes() for name in rest}))
    return commits


def fast_import_stream(commits: list[_Commit]) -> bytes:
    """The commits as one `git fast-import` stream: one git process instead of two per commit."""
    name, email = _IDENTITY["GIT_AUTHOR_NAME"], _IDENTITY["GIT_AUTHOR_EMAIL"]
    out = bytearray()
    for commit in commits:  # each commit follows the branch's previous one
        when = int(datetime.fromisoformat(f"{commit.date}T17:00:00+00:00").timestamp())
        message = commit.message.encode("utf-8")
        out += b"commit refs/heads/main\n"
        out += f"author {name} <{email}> {when} +0000\ncommitter {name} <{email}> {when} +0000\n".encode()
        out += b"data %d\n%s\n" % (len(message), message)
        for path, content in commit.files.items():
            out += b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode("utf-8"), len(content), content)
    return bytes(out)


def make_history(root: Path) -> None:
    """Make `root` (a fresh sample copy) a repository whose history tells the task log; raises DemoHistoryProblem."""
    if shutil.which("git") is None:
        raise DemoHistoryProblem("git is not installed")
    commits = plan_history(root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "fast-import", "--quiet", stdin=fast_import_stream(commits))
    _git(root, "reset", "-q")  # the index as HEAD: the working tree is exactly the last commit


def _field(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None


def _named_files(value: object) -> list[str]:
    files = _field(value, "output_files")
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def _is_iso(date: str) -> bool:
    return len(date) == 10 and date[4] == date[7] == "-" and date.replace("-", "").isdigit()


def new_demo_copy() -> tuple[Path, str | None]:
    """A fresh sample copy with its history in a new temp folder: (its `.codex/`, why it has no history or None)."""
    target = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX))
    codex = copy_sample(target)
    try:
        make_history(target)
    except DemoHistoryProblem as problem:
        shutil.rmtree(target / ".git", ignore_errors=True)
        return codex, f"the demo has no git history: {problem}"
    return codex, None


def remove_demo_copy(codex: Path) -> None:
    """Remove a copy `new_demo_copy` made (only a folder it named, never anything else)."""
    root = codex.parent
    if root.name.startswith(DEMO_PREFIX) and root.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def demo_workspace() -> Iterator[tuple[Path, str | None]]:
    """A demo copy for the length of the block (`techcat demo`, `--check-only` too), removed however it ends."""
    codex, problem = new_demo_copy()
    try:
        yield codex, problem
    finally:
        remove_demo_copy(codex)


def copy_sample_workspace() -> Path:
    """A demo copy that lives until this process exits (the welcome screen's demo, `techcat serve --demo`)."""
    codex, _ = new_demo_copy()
    atexit.register(remove_demo_copy, codex)
    return codex

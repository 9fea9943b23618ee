"""The demo: a copy of the bundled sample workspace that is a git repository with a history, removed on exit.

The history is the sample's own log told in four commits (each adds its entries and the files they name,
on the entries' dates), then one commit that no entry logs, so the Git view has commits and changed files
to show and the history checks (TC403 append-only, TC404 unlogged commits) have something to compare.
The working tree ends exactly as the sample is. No Textual here: `techcat demo --check-only` uses it too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


def _git(root: Path, *args: str, date: str | None = None) -> None:
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_OVERRIDES}
    env |= {**_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1"}
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T17:00:00+00:00"
    try:
        done = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
                              cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DemoHistoryProblem(f"git could not run ({error})") from error
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise DemoHistoryProblem(f"`git {args[0]}` failed: {detail}")


def make_history(root: Path) -> None:
    """Make `root` (a fresh sample copy) a repository whose history tells the task log; raises DemoHistoryProblem."""
    if shutil.which("git") is None:
        raise DemoHistoryProblem("git is not installed")
    log_path = root / ".codex" / TASK_LOG
    text = log_path.read_text(encoding="utf-8")
    log = parse_task_log(text, log_path)
    entries = log.entries
    if not log.valid or len(entries) < CHAPTERS:
        raise DemoHistoryProblem(f"the sample's {TASK_LOG} cannot be split into commits")
    _git(root, "init", "-q", "-b", "main")
    size = -(-len(entries) // CHAPTERS)
    everything = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                        if p.is_file() and ".git" not in p.relative_to(root).parts)
    named_later = {name for entry in entries for name in _named_files(entry.value)}
    committed: set[str] = set()
    for chapter in range(CHAPTERS):
        chunk = entries[chapter * size:(chapter + 1) * size]
        if not chunk:
            break
        last = chapter == CHAPTERS - 1 or (chapter + 1) * size >= len(entries)
        log_path.write_text(text if last else text[:chunk[-1].end] + "\n]\n", encoding="utf-8")
        files = {name for entry in chunk for name in _named_files(entry.value)}
        if chapter == 0:  # the roster, PRD, prompts and whatever no entry names
            files |= {name for name in everything if name.startswith(".codex/") or name not in named_later}
        files = {name for name in files if name in everything and name not in committed and name != UNLOGGED_FILE}
        committed |= files
        files.add(f".codex/{TASK_LOG}")  # in every chapter: it grows by the chapter's entries
        dates = [d for entry in chunk if _is_iso(d := str(_field(entry.value, "date")))]
        ids = [str(_field(entry.value, "task_id")) for entry in chunk]
        _git(root, "add", "--", *sorted(files))
        _git(root, "commit", "-q", "-m", f"{ids[0]}…{ids[-1]}: {len(chunk)} logged tasks",
             date=max(dates) if dates else None)
        if last:
            break
    rest = [name for name in everything if name not in committed]
    if rest:
        _git(root, "add", "--", *rest)
        _git(root, "commit", "-q", "-m", UNLOGGED_MESSAGE, date=UNLOGGED_DATE)


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

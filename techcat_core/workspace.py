"""Finding and loading a `.codex/` workspace into one immutable snapshot every front end shares.

Every file is read through `techcat_core.confine`: a FIFO, socket or device, a symbolic link out of the
repository or a file over `[limits] max_file_bytes` is not read but recorded (TC004), so `check` never
hangs on a pipe nor exhausts memory on `/dev/zero`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.codex_agents import agent_files, read_declarations
from techcat_core.config import ConfigProblem, TechcatConfig, parse_config
from techcat_core.confine import DEFAULT_MAX_FILE_BYTES, Refused, is_git_path, probe, read_bounded
from techcat_core.markdown_doc import MarkdownDoc, parse_markdown
from techcat_core.proposed import ProposedTasks, parse_proposed
from techcat_core.repository_root import CODEX_DIR as CODEX_DIR  # re-exported, as are the three below
from techcat_core.repository_root import find_git_root as find_git_root
from techcat_core.repository_root import folder_leads_out as folder_leads_out
from techcat_core.repository_root import repository_root as repository_root
from techcat_core.roster import Agent, Roster, TomlProblem, parse_agent_toml, parse_agents_md, resolve_chains
from techcat_core.tasklog.parse import TaskLog, parse_task_log

TASK_LOG = "TASK-LOG.json"
AGENTS = "AGENTS.md"
PRD = "PRD.md"
PROPOSED = "PROPOSED-TASKS.md"
ARCHITECTURE = "ARCHITECTURE.md"
CONFIG = "techcat.toml"
CORE_FILES = (AGENTS, PRD, TASK_LOG, PROPOSED, ARCHITECTURE)
FOLDERS = ("agents", "prompts", "skills", "templates")  # the folders of .codex/ TechCat or Codex CLI walk


class WorkspaceNotFound(Exception):
    """No `.codex/` folder from the starting directory upward."""


def _logical_cwd() -> Path:
    """The working directory as the shell names it (`$PWD` when it is the same folder), so a `cd .codex` into a
    link is still seen as the link."""
    cwd = Path.cwd()
    pwd = os.environ.get("PWD", "")
    try:
        return Path(pwd) if os.path.isabs(pwd) and os.path.samefile(pwd, cwd) else cwd
    except OSError:
        return cwd


def find_codex_dir(start: Path | None = None) -> Path:
    """The nearest `.codex/` from `start` upward, as git finds `.git`."""
    written = Path(os.path.abspath(start or _logical_cwd()))
    if written.name == CODEX_DIR and written.is_dir():
        return written  # as written: `locate_workspace` judges a `.codex` that is a link
    here = written.resolve()
    if here.name == CODEX_DIR and here.is_dir():
        return here
    for directory in (here, *here.parents):
        candidate = directory / CODEX_DIR
        if candidate.is_dir():
            return candidate
    raise WorkspaceNotFound(
        f"no {CODEX_DIR}/ folder in {here} or any parent; run `techcat init` to create one, "
        "or pass --workspace PATH")


@dataclass(slots=True)
class DecodeProblem:
    """A file that is not valid UTF-8: where the first bad byte is."""

    path: Path
    line: int
    character: int
    message: str


@dataclass(frozen=True, slots=True)
class UnsafeFile:
    """A workspace file TechCat refused to read: `reason` and `hint` complete a sentence about it (TC004)."""

    path: Path
    reason: str
    hint: str


@dataclass(slots=True)
class Workspace:
    codex_dir: Path
    root: Path
    git_root: Path | None
    task_log: TaskLog | None = None
    roster: Roster | None = None
    proposed: ProposedTasks | None = None
    prd: MarkdownDoc | None = None
    architecture: MarkdownDoc | None = None
    prompts: dict[str, Path] = field(default_factory=dict)
    templates: list[Path] = field(default_factory=list)
    custom_agents: list[Agent] = field(default_factory=list)
    toml_problems: list[TomlProblem] = field(default_factory=list)
    config: TechcatConfig = field(default_factory=TechcatConfig)
    config_problems: list[ConfigProblem] = field(default_factory=list)
    decode_problems: list[DecodeProblem] = field(default_factory=list)
    texts: dict[Path, str] = field(default_factory=dict)
    unsafe_files: list[UnsafeFile] = field(default_factory=list)
    linked_out: bool = False  # the .codex/ itself leads out of its repository: nothing in it was read (TC004)
    linked_folders: set[Path] = field(default_factory=set)  # folders of .codex/ that lead out: never walked

    def path(self, name: str) -> Path:
        return self.codex_dir / name

    @property
    def agents(self) -> list[Agent]:
        """Every agent: AGENTS.md sections first, then Codex CLI custom agents."""
        return [*(self.roster.agents if self.roster else []), *self.custom_agents]

    @property
    def agent_names(self) -> set[str]:
        return {agent.name for agent in self.agents}

    def agent(self, name: str) -> Agent | None:
        return next((agent for agent in self.agents if agent.name == name), None)

    @property
    def uses_prompts(self) -> bool:
        prompts = self.codex_dir / "prompts"
        return not self.linked_out and prompts not in self.linked_folders and prompts.is_dir()

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


@dataclass(frozen=True, slots=True)
class WorkspacePlace:
    """Where a workspace lives, both resolved: its `.codex/` and the repository root its reads and writes are
    confined to; `git_root` is that root when it is a git repository."""

    codex_dir: Path
    root: Path
    git_root: Path | None


def _place(codex_dir: Path) -> tuple[WorkspacePlace, Refused | None]:
    """The place, judged before any link is followed: the repository is found from the path as written, so a
    `.codex` that is a link out cannot carry the root along. With the refusal when it leads out or into .git/."""
    written = Path(os.path.abspath(codex_dir))
    given = Path(os.path.realpath(written.parent)) / written.name  # links above it are the repository's own
    git_root = find_git_root(written.parent)
    root = Path(os.path.realpath(git_root or written.parent))
    real = Path(os.path.realpath(given))
    try:
        relative: str | None = real.relative_to(root).as_posix() if real != root else ""
    except ValueError:
        relative = None
    place = WorkspacePlace(real, root, root if git_root is not None else None)
    if relative is None:
        return WorkspacePlace(given, root, None), Refused(
            str(given), "leads outside the repository through a symbolic link",
            f"TechCat reads and writes only inside {root}: make {written.name} a folder of the repository")
    if is_git_path(relative):
        return WorkspacePlace(given, root, None), Refused(
            str(given), f"leads into {relative} through a symbolic link",
            "TechCat never reads nor writes git's own files")
    return place, None


def locate_workspace(codex_dir: Path) -> WorkspacePlace:
    """The resolved `.codex/` and repository root for `codex_dir`, or `Refused` when the `.codex` (a link, or
    under one) resolves outside its repository or into `.git/`. Call it before resolving `codex_dir`:
    once resolved, the repository it was found in is lost."""
    place, refused = _place(codex_dir)
    if refused is not None:
        raise refused
    return place


def placed_codex_dir(codex_dir: Path) -> Path:
    """For a front end that keeps a workspace open: the resolved `.codex/` when it lies in its repository, else
    the absolute path as written, so every read below it stays refused and `load_workspace` reports TC004
    (resolving it would make the outside folder look like a repository of its own)."""
    try:
        return locate_workspace(codex_dir).codex_dir
    except Refused:
        return Path(os.path.abspath(codex_dir))


def read_text(path: Path, problems: list[DecodeProblem] | None = None, *, root: Path | None = None,
              limit: int = DEFAULT_MAX_FILE_BYTES, unsafe: list[UnsafeFile] | None = None) -> str | None:
    """Read a file as UTF-8; undecodable bytes are replaced and reported, never fatal.

    None when the file is missing or may not be read: outside `root` (the repository), inside `.git/`,
    not a regular file, or over `limit` bytes; those refusals are added to `unsafe` when given.
    """
    try:
        read = read_bounded(root or repository_root(path), path, limit)
    except Refused as error:
        if unsafe is not None:
            unsafe.append(UnsafeFile(path, error.reason, error.hint))
        return None
    except OSError:
        return None
    if read.truncated:
        if unsafe is not None:
            unsafe.append(UnsafeFile(path, f"is over the {limit:,}-byte limit ([limits] max_file_bytes)",
                                     "split it or raise the limit in techcat.toml"))
        return None
    return decode_text(read.data, path, problems)


def read_bytes(path: Path, root: Path | None = None, limit: int = DEFAULT_MAX_FILE_BYTES) -> bytes | None:
    """A workspace file's bytes, or None when it is missing or may not be read (see `read_text`)."""
    try:
        read = read_bounded(root or repository_root(path), path, limit)
    except (Refused, OSError):
        return None
    return None if read.truncated else read.data


def decode_text(data: bytes, path: Path, problems: list[DecodeProblem] | None = None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[:error.start].decode("utf-8", errors="replace")
        line = prefix.count("\n")
        character = len(prefix) - (prefix.rfind("\n") + 1)
        if problems is not None:
            problems.append(DecodeProblem(path, line, character,
                                          f"byte 0x{data[error.start]:02x} is not valid UTF-8; "
                                          "save the file as UTF-8"))
        return data.decode("utf-8", errors="replace")


def load_workspace(codex_dir: Path, overrides: dict[Path, str] | None = None, *,
                   task_log: bool = True, share_strings: bool = False) -> Workspace:
    """Parse every file of the workspace. `overrides` holds unsaved editor buffers by absolute path.

    `task_log=False` leaves the log unread (`ws.task_log` is None): for a caller that shows a
    decoded log first and parses it exactly afterwards (the TUI's first screen). `share_strings`:
    see `parse_task_log` (a third less memory for a big log, for a long-running front end).
    """
    ws = _empty_workspace(codex_dir)
    if ws.linked_out:
        return ws
    codex_dir = ws.codex_dir
    overrides = overrides or {}
    limit = DEFAULT_MAX_FILE_BYTES

    def text_of(path: Path) -> str | None:
        if path in overrides:
            text: str | None = overrides[path]
        else:
            text = read_text(path, ws.decode_problems, root=ws.root, limit=limit, unsafe=ws.unsafe_files)
        if text is not None:
            ws.texts[path] = text
        return text

    config_text = text_of(ws.path(CONFIG))  # first: it sets the read limit of the others
    if config_text is not None:
        ws.config, ws.config_problems = parse_config(config_text)
        limit = ws.config.limits.max_file_bytes
    log_text = text_of(ws.path(TASK_LOG)) if task_log else None
    if log_text is not None:
        ws.task_log = parse_task_log(log_text, ws.path(TASK_LOG), share_strings=share_strings)
    agents_text = text_of(ws.path(AGENTS))
    ws.roster = parse_agents_md(agents_text, ws.path(AGENTS)) if agents_text is not None else None
    proposed_text = text_of(ws.path(PROPOSED))
    if proposed_text is not None:
        ws.proposed = parse_proposed(proposed_text, ws.path(PROPOSED))
    prd_text = text_of(ws.path(PRD))
    if prd_text is not None:
        ws.prd = parse_markdown(prd_text, ws.path(PRD))
    arch_text = text_of(ws.path(ARCHITECTURE))
    if arch_text is not None:
        ws.architecture = parse_markdown(arch_text, ws.path(ARCHITECTURE))
    _probe_folders(ws)
    prompts_dir = codex_dir / "prompts"
    if prompts_dir.is_dir() and prompts_dir not in ws.linked_folders:
        for prompt in sorted(prompts_dir.glob("*.md")):
            ws.prompts[prompt.stem] = prompt
            _probe(ws, prompt)  # read later, bounded, into prompts; reported now
    templates_dir = codex_dir / "templates"
    if templates_dir.is_dir() and templates_dir not in ws.linked_folders:
        ws.templates = sorted(p for p in templates_dir.rglob("*") if p.is_file() and _probe(ws, p))
    _load_custom_agents(ws, text_of)
    return ws


def _empty_workspace(codex_dir: Path) -> Workspace:
    """A workspace with nothing read yet; one whose `.codex` leads out of the repository is marked and refused."""
    place, refused = _place(codex_dir)
    ws = Workspace(codex_dir=place.codex_dir, root=place.root, git_root=place.git_root)
    if refused is not None:
        ws.linked_out = True
        ws.unsafe_files.append(UnsafeFile(place.codex_dir, refused.reason, refused.hint))
    return ws


def _probe_folders(ws: Workspace) -> None:
    """A folder of `.codex/` that leads out of the repository is one TC004 and is never walked (a link to /usr
    would otherwise list thousands of outside names)."""
    for name in FOLDERS:
        folder = ws.codex_dir / name
        refused = probe(ws.root, folder) if os.path.lexists(folder) else None
        if refused is not None:
            ws.linked_folders.add(folder)
            ws.unsafe_files.append(UnsafeFile(folder, refused.reason, refused.hint))


def _probe(ws: Workspace, path: Path) -> bool:
    """Whether `path` may be read; a refusal is recorded for TC004 (nothing is opened, nothing blocks)."""
    refused = probe(ws.root, path)
    if refused is not None:
        ws.unsafe_files.append(UnsafeFile(path, refused.reason, refused.hint))
    return refused is None


def load_roster(codex_dir: Path) -> Workspace:
    """Only the roster (AGENTS.md and custom agents): for callers that must not parse a huge task log."""
    ws = _empty_workspace(codex_dir)
    if ws.linked_out:
        return ws
    text = read_text(ws.path(AGENTS), ws.decode_problems, root=ws.root, unsafe=ws.unsafe_files)
    ws.roster = parse_agents_md(text, ws.path(AGENTS)) if text is not None else None
    _load_custom_agents(ws, lambda path: read_text(path, ws.decode_problems, root=ws.root, unsafe=ws.unsafe_files))
    return ws


def _load_custom_agents(ws: Workspace, text_of: Callable[[Path], str | None]) -> None:
    """Codex CLI's agents, named as Codex names them (`techcat_core.codex_agents`); then every agent's hand-offs
    are read against the whole roster."""
    declared = read_declarations(ws.codex_dir, text_of)
    read: set[Path] = set()
    for toml_path in agent_files(ws.codex_dir, declared):
        toml_text = text_of(toml_path)
        if toml_text is None:
            continue
        read.add(toml_path)
        parsed = parse_agent_toml(toml_text, toml_path, declared.name_for(toml_path))
        if isinstance(parsed, TomlProblem):
            ws.toml_problems.append(parsed)
        else:
            ws.custom_agents.append(parsed)
    ws.custom_agents.extend(declared.table_agents(read))
    resolve_chains(ws.agents)


def markdown_files(ws: Workspace) -> list[Path]:
    """Markdown files of the workspace outside `templates/`, where placeholders must be filled."""
    templates = ws.codex_dir / "templates"
    result: list[Path] = []
    if ws.linked_out:
        return result
    for dirpath, dirnames, filenames in os.walk(ws.codex_dir):
        directory = Path(dirpath)
        if directory == templates or templates in directory.parents:
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if d not in ("skills", "templates") and not d.startswith(".")]
        result.extend(directory / name for name in filenames
                      if name.endswith(".md") and probe(ws.root, directory / name) is None)
    return sorted(result)

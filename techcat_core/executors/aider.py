"""`Executor: aider`: Aider (aider-chat) edits the run's worktree in one non-interactive message.

Aider is asked once (`--message-file`: persona, memory and task) with the agent's existing output files in its
chat, says yes to its own questions, and never commits, lints, runs shell commands, opens URLs, checks for
updates or sends analytics. It talks to the run's provider through litellm: `openai/<model>` at the provider's
base URL (OpenAI and OpenAI-compatible servers) or `azure/<deployment>`; the key goes in the environment where
aider reads it (OPENAI_API_KEY, AZURE_API_KEY), never on the command line. Everything aider would write outside
the worktree (its home folder, histories, the model's metadata) goes in the run's scratch folder, so it reads no
`~/.aider*` of the user's, writes nothing in the user's home, and needs no network beyond the provider: the
model's context window is given in a metadata file (else aider downloads litellm's model list) and
LITELLM_LOCAL_MODEL_COST_MAP keeps litellm on its bundled copy. Aider runs through `aider_launcher.py` in its own
Python, which keeps the repository's `.aider.conf.yml`, `.env` and model settings out (they could send the key
elsewhere or run commands) and turns a failed model call into an exit status.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

from techcat_core.confine import Refused, glob_match, is_literal, normalise, writable
from techcat_core.executors.base import ExecutorJob, ExecutorKind, register
from techcat_core.executors.process import ExecutorFailed
from techcat_core.gitops import without_git_location
from techcat_core.runtime.prompt import reply_reserve
from techcat_core.workspace import find_git_root, load_roster

MAX_CHAT_FILES: Final = 20  # output files put in aider's chat; more are still editable when the model names them
MAX_CHAT_BYTES: Final = 256 * 1024  # their total size (aider sends each whole, in every request)
MAX_LISTED: Final = 50_000  # files looked at for an output glob outside git
MAX_MEMORY_FILES: Final = 2_000  # files of .codex/ hidden from aider one by one
MAX_IGNORE_BYTES: Final = 64 * 1024  # of the project's own .aiderignore, kept in the one aider is given
HISTORY_LIMIT: Final = 1_000_000_000  # tokens: aider summarises a longer history with one more model call
LAUNCHER: Final = Path(__file__).with_name("aider_launcher.py")
_PIP_LAUNCHER: Final = re.compile(r"""^'''exec' "?([^"]+?)"? "\$0" "\$@"\s*$""")  # pip's form for a long path

# Flags that make one message a complete, quiet, local run; see `aider --help`.
FIXED_FLAGS: Final = (
    "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-auto-lint", "--no-auto-test",
    "--no-suggest-shell-commands", "--no-detect-urls", "--disable-playwright", "--no-gitignore",
    "--no-check-update", "--no-show-release-notes", "--no-analytics", "--no-show-model-warnings",
    "--no-restore-chat-history", "--no-watch-files", "--no-notifications", "--no-pretty", "--no-fancy-input",
    "--map-tokens", "0", "--encoding", "utf-8",
)


def _checkout_cache(env: Mapping[str, str]) -> Path:
    """Where ./scripts/setup-aider installs aider in a TechCat checkout (git-ignored)."""
    named = env.get("TECHCAT_AGENTS_CACHE", "").strip()
    base = Path(named) if named else Path(__file__).resolve().parents[2] / ".cache" / "agents"
    return base / "aider-venv" / "bin" / "aider"


class AiderExecutor(ExecutorKind):
    name = "aider"
    program = "aider"
    binary_variable = "TECHCAT_AIDER"
    install_hint = ("install Aider (`pipx install aider-chat`, or `./scripts/setup-aider` in a TechCat checkout) "
                    "and put `aider` on PATH, or set TECHCAT_AIDER to its path")

    def binary(self, env: Mapping[str, str]) -> str | None:
        found = super().binary(env)
        if found is not None or env.get(self.binary_variable, "").strip():
            return found
        cached = _checkout_cache(env)
        return str(cached) if cached.is_file() and os.access(cached, os.X_OK) else None

    def argv(self, job: ExecutorJob) -> list[str]:
        executable = self.binary(job.env)
        if executable is None:  # run_executor checked `available` first; installed and removed since
            raise ExecutorFailed(str(self.available(job.env)))
        scratch = _prepare(job)
        flags = [*FIXED_FLAGS, "--model", aider_model(job), "--weak-model", aider_model(job),
                 "--message-file", str(job.prompt_file), "--model-metadata-file", str(scratch / "model.json"),
                 "--aiderignore", str(scratch / "aiderignore"),
                 "--input-history-file", str(scratch / "input.history"),
                 "--chat-history-file", str(scratch / "chat.history.md"),
                 "--max-chat-history-tokens", str(HISTORY_LIMIT), "--timeout", f"{job.settings.timeout:g}"]
        if find_git_root(job.root.resolve()) is None:
            flags.append("--no-git")  # else aider asks to create a repository, and --yes-always would agree
        flags += [f"--file={path}" for path in chat_files(job)]
        python = _interpreter(Path(executable))
        if python is None:  # run bare, it would read the repository's aider settings (aider_launcher.py)
            raise ExecutorFailed(f"the aider executor runs aider only through its own Python, and {executable} is "
                                 "not a Python script; install aider with pip, pipx or uv (or point TECHCAT_AIDER "
                                 "at the `aider` script they install)")
        return [*python, str(scratch / LAUNCHER.name), executable, *flags]

    def env(self, job: ExecutorJob) -> dict[str, str]:
        scratch = job.scratch / "aider"
        added = {"HOME": str(scratch / "home"), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONUNBUFFERED": "1",
                 "PYTHONIOENCODING": "utf-8"}
        git_config = _user_git_config(job.env)
        if git_config is not None:
            added["GIT_CONFIG_GLOBAL"] = git_config  # the user's git settings still apply under the new HOME
        return {**added, **provider_env(job)}


def aider_model(job: ExecutorJob) -> str:
    """The model as litellm names it: the same name on the wire as the built-in runtime sends."""
    settings = job.settings
    if settings.kind == "azure":
        return f"azure/{settings.azure_deployment or job.model}"
    return f"openai/{job.model}"


def provider_env(job: ExecutorJob) -> dict[str, str]:
    """The provider's address and key where aider and litellm read them (AIDER_* beats a stray user value)."""
    settings = job.settings
    if settings.kind == "dry-run":
        raise ExecutorFailed("the aider executor needs a model provider and none is configured, so nothing was "
                             "sent: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server), or `[provider] "
                             "kind = ...` in .codex/techcat.toml")
    if settings.kind == "azure":
        return {"AZURE_API_KEY": settings.api_key or "", "AZURE_API_BASE": settings.azure_endpoint or "",
                "AZURE_API_VERSION": settings.api_version}
    key = settings.api_key or "not-needed"
    env = {"OPENAI_API_KEY": key, "AIDER_OPENAI_API_KEY": key}
    if settings.base_url:
        env["AIDER_OPENAI_API_BASE"] = settings.base_url
    return env


def _prepare(job: ExecutorJob) -> Path:
    """Aider's private folder in the run's scratch: its HOME, the launcher and the model's metadata."""
    scratch = job.scratch / "aider"
    (scratch / "home").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LAUNCHER, scratch / LAUNCHER.name)
    window = job.settings.context_window
    reserve = reply_reserve(window)
    provider = "azure" if job.settings.kind == "azure" else "openai"
    metadata = {aider_model(job): {"max_input_tokens": window, "max_tokens": reserve, "max_output_tokens": reserve,
                                   "litellm_provider": provider, "mode": "chat"}}
    (scratch / "model.json").write_text(json.dumps(metadata), encoding="utf-8")
    (scratch / "aiderignore").write_text(aider_ignore(job), encoding="utf-8")
    return scratch


def aider_ignore(job: ExecutorJob) -> str:
    """The project's `.aiderignore`, then every `.codex/` file but the agent's literal outputs.

    Aider adds each existing file a prompt names to its chat, whole, and the prompt names the memory: the task log
    (tens of megabytes), PRD.md, ARCHITECTURE.md, whose content the prompt already holds where it fits.
    """
    lines: list[str] = []
    own = job.root / ".aiderignore"
    try:
        if own.is_file() and not own.is_symlink():
            lines.append(own.read_bytes()[:MAX_IGNORE_BYTES].decode("utf-8", "replace").rstrip("\n"))
    except OSError:
        pass
    literal = {normalise(o) for o in _outputs(job) if is_literal(o)}
    prefix = _repository_prefix(job.root)
    codex = job.root / ".codex"
    hidden = [f"{prefix}.codex/TASK-LOG.json"]
    for count, relative in enumerate(sorted(_walk(codex, MAX_MEMORY_FILES))):
        path = f".codex/{relative}"
        if path not in literal and path != ".codex/TASK-LOG.json":
            hidden.append(prefix + path)
        if count + 1 >= MAX_MEMORY_FILES:
            hidden.append(f"{prefix}.codex/**")  # too many to name: the whole folder
            hidden += [f"!{prefix}{p}" for p in sorted(literal) if p.startswith(".codex/")]
            break
    lines += ["/" + _escaped(p) if not p.startswith("!") else "!/" + _escaped(p[1:]) for p in hidden]
    return "\n".join(lines) + "\n"


def _escaped(path: str) -> str:
    """A path as a literal gitignore pattern (aider reads the file with git's wildmatch rules)."""
    return re.sub(r"([\\*?\[\]!#])", r"\\\1", path).replace(" ", "\\ ") if path else path


def _repository_prefix(root: Path) -> str:
    """`root` relative to its git top level, as aider's ignore patterns are: "" when it is the top level."""
    top = find_git_root(root.resolve())
    if top is None or top == root.resolve():
        return ""
    return root.resolve().relative_to(top).as_posix() + "/"


def _interpreter(executable: Path) -> list[str] | None:
    """The Python that runs `executable` (a console script's `#!` line), or None when it is not a Python script."""
    try:
        with executable.open("rb") as handle:
            head = handle.read(1024).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    parts = head[0][2:].strip().split(maxsplit=1)
    if parts and Path(parts[0]).name == "sh" and len(head) > 1:
        match = _PIP_LAUNCHER.match(head[1])
        parts = [match.group(1)] if match else []
    if not parts or not parts[0].startswith("/"):
        return None
    if "python" not in Path(parts[0]).name and not (len(parts) == 2 and "python" in parts[1]):
        return None
    return parts


def _user_git_config(env: Mapping[str, str]) -> str | None:
    if env.get("GIT_CONFIG_GLOBAL"):
        return None  # already named: it is inherited as it is
    home = env.get("HOME", "")
    if not home:
        return None
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    for candidate in (os.path.join(home, ".gitconfig"), os.path.join(xdg, "git", "config")):
        if os.path.isfile(candidate):
            return candidate
    return None


def chat_files(job: ExecutorJob) -> list[str]:
    """The agent's existing output files for aider's chat: literal outputs first, then glob matches, in path order,
    at most MAX_CHAT_FILES and MAX_CHAT_BYTES; each must pass the confinement rule for this agent."""
    outputs = _outputs(job)
    if not outputs:
        return []
    chosen: list[str] = []
    total = 0
    literal = [normalise(o) for o in outputs if is_literal(o)]
    globs = [o for o in outputs if not is_literal(o)]
    candidates = [*literal, *(sorted(p for p in _listed(job.root) if any(glob_match(g, p) for g in globs))
                              if globs else [])]
    for relative in dict.fromkeys(candidates):
        if len(chosen) >= MAX_CHAT_FILES:
            break
        try:
            path = writable(job.root, relative, outputs)
        except Refused:
            continue
        try:
            size = path.stat().st_size if path.is_file() and not path.is_symlink() else None
        except OSError:
            size = None
        if size is None or total + size > MAX_CHAT_BYTES:
            continue
        chosen.append(relative)
        total += size
    return chosen


def _outputs(job: ExecutorJob) -> list[str]:
    """The agent's `Output:` patterns as the worktree's roster states them (its default file when it has none)."""
    codex = job.root / ".codex"
    if not codex.is_dir():
        return []
    agent = load_roster(codex).agent(job.agent)
    if agent is None:
        return []
    return list(agent.outputs) or [f".codex/outputs/{agent.name}.md"]


def _walk(root: Path, limit: int) -> Iterator[str]:
    """Up to `limit` regular files under `root` (symbolic links not followed, `.git` skipped), posix-relative."""
    seen = 0
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if name != ".git")
        for name in sorted(files):
            seen += 1
            if seen > limit:
                return
            yield Path(folder, name).relative_to(root).as_posix()


def _listed(root: Path) -> Iterator[str]:
    """The files under `root`: git's list where there is one (tracked and new, not ignored), else a bounded walk."""
    if find_git_root(root.resolve()) is not None:
        try:
            env = without_git_location(os.environ)  # a hook's GIT_DIR names another tree
            done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                                  env=env, capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0:
            yield from (os.fsdecode(name) for name in done.stdout.split(b"\0") if name)
            return
    yield from _walk(root, MAX_LISTED)


AIDER = register(AiderExecutor())

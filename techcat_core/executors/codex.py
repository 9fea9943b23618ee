"""`Executor: codex`: OpenAI's Codex CLI, run as `codex exec`, non-interactive, against TechCat's provider.

Each run gets its own CODEX_HOME (a temporary folder outside the worktree) with a generated `config.toml`
naming the model and one model provider, `techcat`, that points at the provider's base URL and reads the key
from the environment variable Codex expects for it (OPENAI_API_KEY, or AZURE_OPENAI_API_KEY) — the key is only
ever in the child's environment, never in that file or on the command line. The prompt goes on standard input.

With no provider configured (`dry-run`), Codex runs on its own configuration and login (CODEX_HOME, else
~/.codex), as you use it by hand: TechCat then names neither model nor provider.

Sandbox: `workspace-write` by default (Codex's own Linux sandbox, bubblewrap, which it bundles): commands it
runs may write the worktree (and its `.codex/`, added with `--add-dir`, which Codex otherwise keeps read-only)
and temporary folders, nothing else. Where that sandbox cannot start (some containers forbid user namespaces),
TECHCAT_CODEX_SANDBOX=danger-full-access turns it off: the worktree and TechCat's check of every changed path
are then the only fence. Approvals are `never`: nobody is there to answer.
"""

from __future__ import annotations

from techcat_core.executors.base import ExecutorJob, ExecutorKind, register
from techcat_core.executors.process import ExecutorFailed
from techcat_core.executors.text import toml_string, valid_text

SANDBOX_VAR = "TECHCAT_CODEX_SANDBOX"
SANDBOXES = ("workspace-write", "danger-full-access", "read-only")
DEFAULT_SANDBOX = "workspace-write"
PROVIDER_ID = "techcat"
OPENAI_URL = "https://api.openai.com/v1"


class CodexExecutor(ExecutorKind):
    name = "codex"
    program = "codex"
    binary_variable = "TECHCAT_CODEX"
    install_hint = ("install Codex CLI with `npm install -g @openai/codex` (or name the executable in TECHCAT_CODEX)")

    def sandbox(self, job: ExecutorJob) -> str:
        chosen = job.env.get(SANDBOX_VAR, "").strip() or DEFAULT_SANDBOX
        if chosen not in SANDBOXES:
            raise ExecutorFailed(f"{SANDBOX_VAR}={chosen!r} is not a Codex sandbox: use one of {', '.join(SANDBOXES)}")
        return chosen

    def argv(self, job: ExecutorJob) -> list[str]:
        if job.settings.kind != "dry-run":
            home = job.scratch / "codex-home"
            home.mkdir(mode=0o700, exist_ok=True)
            (home / "config.toml").write_text(config_toml(job), encoding="utf-8")
        argv = [self.binary(job.env) or self.program, "exec", "--skip-git-repo-check", "--ephemeral",
                "--color", "never", "--sandbox", self.sandbox(job), "--cd", str(job.root)]
        memory = job.root / ".codex"
        if memory.is_dir() and not memory.is_symlink():
            argv += ["--add-dir", str(memory)]
        return [*argv, "-"]  # "-": the prompt is read from standard input

    def env(self, job: ExecutorJob) -> dict[str, str]:
        if job.settings.kind == "dry-run":  # no provider of TechCat's: Codex's own config and login, as you use it
            return {"NO_COLOR": "1"}
        added = {"CODEX_HOME": str(job.scratch / "codex-home"), "NO_COLOR": "1"}
        key = job.settings.api_key
        if job.settings.kind == "azure":
            added["AZURE_OPENAI_API_KEY"] = key or ""
        else:
            added["OPENAI_API_KEY"] = key or ""
        return added

    def stdin(self, job: ExecutorJob) -> bytes:
        return valid_text(job.prompt_text).encode("utf-8")


def config_toml(job: ExecutorJob) -> str:
    """Codex CLI's config for one run: the model and the `techcat` provider. Holds no key."""
    settings = job.settings
    retries = max(0, settings.max_retries)
    model = settings.azure_deployment or job.model if settings.kind == "azure" else job.model
    lines = [f"model = {toml_string(model)}", f"model_provider = {toml_string(PROVIDER_ID)}",
             'approval_policy = "never"', "", f"[model_providers.{PROVIDER_ID}]",
             f"name = {toml_string('TechCat (' + settings.kind + ')')}"]
    if settings.kind == "azure":
        endpoint = (settings.azure_endpoint or "").rstrip("/")
        lines += [f"base_url = {toml_string(endpoint + '/openai')}", 'env_key = "AZURE_OPENAI_API_KEY"',
                  f"query_params = {{ api-version = {toml_string(settings.api_version)} }}",
                  'env_http_headers = { "api-key" = "AZURE_OPENAI_API_KEY" }']
    else:
        lines += [f"base_url = {toml_string((settings.base_url or OPENAI_URL).rstrip('/'))}",
                  'env_key = "OPENAI_API_KEY"']
    lines += ['wire_api = "responses"', f"request_max_retries = {retries}", f"stream_max_retries = {retries}",
              f"stream_idle_timeout_ms = {int(settings.timeout * 1000)}", "",
              # the commands the model has Codex run never see a key: not the provider's, nor any *KEY*, *SECRET*,
              # *TOKEN* variable of yours (Codex's own default excludes, which it leaves off unless asked)
              "[shell_environment_policy]", 'inherit = "all"', "ignore_default_excludes = false",
              'exclude = ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "*_API_KEY"]', ""]
    return "\n".join(lines)


CODEX = register(CodexExecutor())

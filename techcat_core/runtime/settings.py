"""Which model provider to use, resolved from flags, the environment and `.codex/techcat.toml`.

Precedence, highest first: command-line flags, environment variables, `.codex/techcat.toml`, the
user's config file, built-in defaults; for the model, an agent's own `Model:` line comes after the
toml file and before the default. API keys come only from the environment or the user's config
directory (`$XDG_CONFIG_HOME/techcat/credentials.toml`), never from a file in the repository, and
are never printed, logged or put in a prompt.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypedDict

from techcat_core.config import TechcatConfig, ToolsConfig
from techcat_core.workspace import CONFIG, Workspace

PROVIDERS = ("openai", "azure", "openai-compatible", "dry-run")
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_CONTEXT_WINDOW = 128_000
DEFAULT_DEADLINE = 600.0
DEFAULT_MAX_REPLY_BYTES = 4 * 1024 * 1024
DEFAULT_AZURE_API_VERSION = "2024-10-21"
DEFAULT_TOOL_STEPS = 40  # tool calls in one run
DEFAULT_TOOL_TOKENS = 400_000  # prompt + completion over every call of one run: each call resends the conversation
DEFAULT_TOOL_SECONDS = 900.0
DEFAULT_COMMAND_TIMEOUT = 300.0
SETUP_HINT = ("dry run: no provider is configured, so nothing was sent or written. Set OPENAI_API_KEY (or "
              "OPENAI_BASE_URL for a local server such as Ollama), or `[provider] kind = ...` in .codex/techcat.toml")


class SettingsError(Exception):
    """The provider settings are contradictory or incomplete; the message says what to set."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command the model may run by `name` (`[tools.commands]`): a fixed argument vector, never a shell line."""

    name: str
    argv: tuple[str, ...]
    timeout: float = DEFAULT_COMMAND_TIMEOUT


@dataclass(frozen=True)
class ProviderSettings:
    kind: str = "dry-run"
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    azure_endpoint: str | None = None
    azure_deployment: str | None = None
    api_version: str = DEFAULT_AZURE_API_VERSION
    api_key: str | None = None
    timeout: float = 120.0
    max_retries: int = 3
    context_window: int = DEFAULT_CONTEXT_WINDOW
    context_window_source: str = "the default"  # where the window came from, for --explain
    max_concurrent_runs: int = 4
    stream: bool = True
    deadline: float = DEFAULT_DEADLINE  # per attempt, however the server trickles
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES
    tools: bool = True  # the built-in runtime may use function calling (issue 13 §1)
    tools_off: str = ""  # which setting turned the tools off, for the run's header
    tool_max_steps: int = DEFAULT_TOOL_STEPS
    tool_max_tokens: int = DEFAULT_TOOL_TOKENS
    tool_max_seconds: float = DEFAULT_TOOL_SECONDS
    tool_commands: tuple[CommandSpec, ...] = ()

    def __repr__(self) -> str:  # never show the key
        key = "set" if self.api_key else "unset"
        return (f"ProviderSettings(kind={self.kind!r}, model={self.model!r}, base_url={self.base_url!r}, "
                f"azure_endpoint={self.azure_endpoint!r}, api_key={key})")

    @property
    def where(self) -> str:
        """The server, safe to show: a user name or password written into the URL is left out."""
        return redacted_url(self.base_url or self.azure_endpoint or "")

    @property
    def label(self) -> str:
        where = self.where
        return f"{self.kind}{' ' + where if where and self.kind != 'openai' else ''}"


def redacted_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable URL)"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "techcat"


def _user_credentials(env: Mapping[str, str]) -> dict[str, str]:
    path = user_config_dir(env) / "credentials.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


TRUST_WORKSPACE_URL = "TECHCAT_TRUST_WORKSPACE_URL"
_OFFICIAL_HOSTS = {"openai": ("api.openai.com",), "azure": (".openai.azure.com", ".cognitiveservices.azure.com")}


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def key_redirect_problem(url: str, key_source: str, key_kind: str, env: Mapping[str, str]) -> str | None:
    """Why the user's key must not go to `url`, a server named by the repository's own `techcat.toml`.

    A cloned repository is untrusted input: its config could name any server, and the user's key from
    the environment would be sent there with the first run. A loopback server, the key's own provider's
    host, or the user's explicit trust (`TECHCAT_TRUST_WORKSPACE_URL=1`) are fine.
    """
    from urllib.parse import urlsplit

    if env.get(TRUST_WORKSPACE_URL, "").strip().lower() in ("1", "true", "yes"):
        return None
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    if _is_loopback(host):
        return None
    official = _OFFICIAL_HOSTS.get(key_kind, ())
    if any(host == name or (name.startswith(".") and host.endswith(name)) for name in official):
        return None
    return (f"the server {redacted_url(url)} is named by .codex/techcat.toml, a file of the repository, and is not a "
            f"local server: TechCat does not send your {key_source} there unless you say so; set "
            f"{TRUST_WORKSPACE_URL}=1 if you trust this repository's config, or give the URL yourself "
            "(--base-url, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)")


class ToolFields(TypedDict):
    tools: bool
    tools_off: str
    tool_max_steps: int
    tool_max_tokens: int
    tool_max_seconds: float
    tool_commands: tuple[CommandSpec, ...]


def tool_fields(tools: ToolsConfig, provider_tools: bool | None) -> ToolFields:
    """The `[tools]` table and provider `tools` as ProviderSettings fields; a command line that cannot be split is
    a SettingsError naming it."""
    commands: list[CommandSpec] = []
    for name, line in sorted(tools.commands.items()):
        try:
            argv = tuple(shlex.split(line))
        except ValueError as error:
            raise SettingsError(f"`[tools.commands] {name}` in .codex/techcat.toml cannot be read as a command "
                                f"line ({error}); write it as a shell would split it, e.g. \"python -m pytest -q\""
                                ) from None
        if not argv:
            raise SettingsError(f"`[tools.commands] {name}` in .codex/techcat.toml names no program")
        commands.append(CommandSpec(name, argv, tools.command_timeout or DEFAULT_COMMAND_TIMEOUT))
    off = ("`tools = false` in [provider] of .codex/techcat.toml" if provider_tools is False
           else "`enabled = false` in [tools] of .codex/techcat.toml" if tools.enabled is False else "")
    return {"tools": not off, "tools_off": off, "tool_max_steps": tools.max_steps or DEFAULT_TOOL_STEPS,
            "tool_max_tokens": tools.max_tokens or DEFAULT_TOOL_TOKENS,
            "tool_max_seconds": tools.max_seconds or DEFAULT_TOOL_SECONDS, "tool_commands": tuple(commands)}


def resolve_settings(config: TechcatConfig, env: Mapping[str, str] | None = None, *, provider: str | None = None,
                     model: str | None = None, base_url: str | None = None,
                     agent_model: str | None = None, deadline: float | None = None) -> ProviderSettings:
    """Merge flags > environment > techcat.toml > user config > defaults into one settings object.

    `agent_model`, an agent's own `Model:` line, ranks just above the default: a project-wide model (a
    local Ollama model, say) must win over a roster written for another provider.
    """
    env = os.environ if env is None else env
    creds = _user_credentials(env)
    file = config.provider
    kind = provider or env.get("TECHCAT_PROVIDER") or file.kind
    url_from_file = not base_url and not env.get("OPENAI_BASE_URL") and bool(file.base_url)
    base_url = base_url or env.get("OPENAI_BASE_URL") or file.base_url
    azure_endpoint = env.get("AZURE_OPENAI_ENDPOINT") or file.azure_endpoint
    openai_key = env.get("OPENAI_API_KEY") or creds.get("openai_api_key")
    azure_key = env.get("AZURE_OPENAI_API_KEY") or creds.get("azure_openai_api_key")
    if kind is None:
        if azure_endpoint and azure_key:
            kind = "azure"
        elif base_url and "api.openai.com" not in base_url:
            kind = "openai-compatible"
        elif openai_key:
            kind = "openai"
        else:
            kind = "dry-run"
    if kind not in PROVIDERS:
        raise SettingsError(f"unknown provider {kind!r}; use one of {', '.join(PROVIDERS)}")
    settings = ProviderSettings(
        kind=kind,
        model=model or env.get("TECHCAT_MODEL") or file.model or agent_model or DEFAULT_MODEL,
        base_url=base_url,
        azure_endpoint=azure_endpoint,
        azure_deployment=env.get("AZURE_OPENAI_DEPLOYMENT") or file.azure_deployment,
        api_version=env.get("OPENAI_API_VERSION") or file.api_version or DEFAULT_AZURE_API_VERSION,
        timeout=file.timeout or 120.0,
        max_retries=file.max_retries if file.max_retries is not None else 3,
        context_window=file.context_window or DEFAULT_CONTEXT_WINDOW,
        context_window_source="techcat.toml" if file.context_window else "the default",
        max_concurrent_runs=file.max_concurrent_runs or 4,
        stream=file.stream if file.stream is not None else True,
        deadline=deadline or file.deadline or DEFAULT_DEADLINE,
        max_reply_bytes=file.max_reply_bytes or DEFAULT_MAX_REPLY_BYTES,
        **tool_fields(config.tools, file.tools),
    )
    if deadline is not None and deadline <= 0:
        raise SettingsError(f"the deadline must be a positive number of seconds, not {deadline:g}")
    if kind in ("openai", "openai-compatible") and openai_key and url_from_file and base_url:
        problem = key_redirect_problem(base_url, "OPENAI_API_KEY", "openai", env)
        if problem:
            raise SettingsError(problem)
    if kind == "openai":
        if not openai_key:
            raise SettingsError("provider `openai` needs OPENAI_API_KEY in the environment "
                                f"(or openai_api_key in {user_config_dir(env) / 'credentials.toml'})")
        return replace(settings, api_key=openai_key)
    if base_url and not base_url.startswith(("http://", "https://")):
        raise SettingsError(f"base URL {redacted_url(base_url)!r} must start with http:// or https:// "
                            "(for example http://127.0.0.1:11434/v1)")
    if kind == "openai-compatible":
        if not base_url:
            raise SettingsError("provider `openai-compatible` needs a base URL: OPENAI_BASE_URL, --base-url, or "
                                "`[provider] base_url` in .codex/techcat.toml (e.g. http://127.0.0.1:11434/v1)")
        return replace(settings, api_key=openai_key or "not-needed")
    if kind == "azure":
        if not azure_endpoint or not azure_key:
            raise SettingsError("provider `azure` needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY in the "
                                "environment (the endpoint may also go in .codex/techcat.toml)")
        if not env.get("AZURE_OPENAI_ENDPOINT"):  # the endpoint came from the repository's techcat.toml
            problem = key_redirect_problem(azure_endpoint, "AZURE_OPENAI_API_KEY", "azure", env)
            if problem:
                raise SettingsError(problem)
        return replace(settings, api_key=azure_key)
    return settings


def workspace_settings(ws: Workspace, env: Mapping[str, str] | None = None, *, provider: str | None = None,
                       model: str | None = None, base_url: str | None = None,
                       agent_model: str | None = None, deadline: float | None = None) -> ProviderSettings:
    """`resolve_settings` for a workspace, refusing a `techcat.toml` that did not parse or validate.

    A config with a problem falls back to defaults for checking; running on those defaults could send
    the work to another provider than the one the file names (api.openai.com instead of a local
    server), so a run stops and says where the file is wrong.
    """
    if ws.config_problems:
        problem = ws.config_problems[0]
        where = ws.path(CONFIG)
        raise SettingsError(f"{where}:{problem.line + 1}:{problem.character + 1}: {problem.message}; fix it "
                            "before running (`techcat check` shows every problem)")
    return resolve_settings(ws.config, env, provider=provider, model=model, base_url=base_url,
                            agent_model=agent_model, deadline=deadline)

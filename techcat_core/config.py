"""`.codex/techcat.toml`: per-workspace settings. API keys never live here."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from techcat_core.confine import Refused, read_bounded
from techcat_core.positions import Range
from techcat_core.repository_root import repository_root

_TOML_POSITION = re.compile(r"at line (\d+), column (\d+)")


def toml_error_location(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int, int]:
    """tomllib's message without its position suffix, and the 0-based line and column it names.

    tomllib says "(at end of document)" for a file that stops mid-value: that is the last character.
    """
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match:
        return message.split(" (at")[0], int(match.group(1)) - 1, int(match.group(2)) - 1
    if "end of document" in message:
        lines = text.split("\n")
        while len(lines) > 1 and not lines[-1].strip():
            lines.pop()
        return message.split(" (at")[0] + " at the end of the file", len(lines) - 1, max(0, len(lines[-1]) - 1)
    return message.split(" (at")[0], 0, 0


class ProviderConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    kind: Literal["openai", "azure", "openai-compatible", "dry-run"] | None = None
    model: str | None = None
    base_url: str | None = None
    azure_endpoint: str | None = None
    azure_deployment: str | None = None
    api_version: str | None = None
    timeout: Annotated[float, Meta(gt=0)] | None = None
    max_retries: Annotated[int, Meta(ge=0, le=20)] | None = None
    context_window: Annotated[int, Meta(ge=1024)] | None = None
    max_concurrent_runs: Annotated[int, Meta(ge=1)] | None = None
    stream: bool | None = None  # false for servers that cannot stream
    deadline: Annotated[float, Meta(gt=0)] | None = None  # seconds one attempt may take, first byte to last
    max_reply_bytes: Annotated[int, Meta(ge=1024)] | None = None  # a longer reply fails, nothing is written
    tools: bool | None = None  # false: the server has no function calling; the runtime uses the single-reply contract


class CheckConfig(msgspec.Struct, forbid_unknown_fields=True):
    ignore: list[str] = msgspec.field(default_factory=list)
    future_date_tolerance_days: Annotated[int, Meta(ge=0)] = 1


class McpConfig(msgspec.Struct, forbid_unknown_fields=True):
    tools: Literal["all", "read-only"] | None = None  # `techcat mcp --tools` wins over this


class LimitsConfig(msgspec.Struct, forbid_unknown_fields=True):
    """Read caps (techcat_core.confine): a FIFO, /dev/zero or a huge file never stalls or exhausts TechCat."""

    max_read_bytes: Annotated[int, Meta(ge=1024)] = 1024 * 1024  # a preview or one prompt part
    max_file_bytes: Annotated[int, Meta(ge=1024)] = 256 * 1024 * 1024  # a workspace file `check` parses


class HistoryConfig(msgspec.Struct, forbid_unknown_fields=True):
    """`[history]` (techcat_core.runs): no url keeps the run history in `.codex/.techcat/runs.sqlite3`."""

    url: Annotated[str, Meta(pattern=r"^postgres(ql)?://")] | None = None  # a team's PostgreSQL; no password here
    max_record_bytes: Annotated[int, Meta(ge=0)] = 256 * 1024  # each message and the reply kept up to this


class PriceConfig(msgspec.Struct, forbid_unknown_fields=True):
    """`[prices."model"]`: what a model costs per 1M tokens, so each run's record carries its cost."""

    input: Annotated[float, Meta(ge=0)]
    output: Annotated[float, Meta(ge=0)]


class ToolsConfig(msgspec.Struct, forbid_unknown_fields=True):
    """`[tools]` (techcat_core.runtime.tool_loop): the built-in runtime's tools, its budgets and its named commands.

    A command is a name the model may pick and the argument vector it runs (split like a shell line, never run by
    one), so the model chooses among what the project wrote here and can inject nothing."""

    enabled: bool | None = None
    max_steps: Annotated[int, Meta(ge=1, le=10_000)] | None = None  # tool calls in one run
    max_tokens: Annotated[int, Meta(ge=1_000)] | None = None  # prompt + completion tokens over all of a run's calls
    max_seconds: Annotated[float, Meta(gt=0)] | None = None  # wall time of the whole loop
    command_timeout: Annotated[float, Meta(gt=0)] | None = None  # seconds one named command may run
    commands: dict[Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")],
                   Annotated[str, Meta(min_length=1, max_length=4096)]] = msgspec.field(default_factory=dict)


class ReviewConfig(msgspec.Struct, forbid_unknown_fields=True):
    """`[review]` (techcat_core.runtime.runner): the agents whose changes land only once a person approved them."""

    agents: list[Annotated[str, Meta(min_length=1, max_length=200)]] = msgspec.field(default_factory=list)  # "*": all


class TechcatConfig(msgspec.Struct, forbid_unknown_fields=True):
    """The settings. msgspec, not pydantic, validates them: every `techcat check` reads this file, and
    importing pydantic alone costs more start-up time than checking a 10k-entry log."""

    provider: ProviderConfig = msgspec.field(default_factory=ProviderConfig)
    check: CheckConfig = msgspec.field(default_factory=CheckConfig)
    mcp: McpConfig = msgspec.field(default_factory=McpConfig)
    limits: LimitsConfig = msgspec.field(default_factory=LimitsConfig)
    history: HistoryConfig = msgspec.field(default_factory=HistoryConfig)
    prices: dict[str, PriceConfig] = msgspec.field(default_factory=dict)
    tools: ToolsConfig = msgspec.field(default_factory=ToolsConfig)
    review: ReviewConfig = msgspec.field(default_factory=ReviewConfig)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    message: str
    line: int
    character: int

    @property
    def range(self) -> Range:
        return Range.of(self.line, self.character, end=self.character + 1)


def parse_config(text: str) -> tuple[TechcatConfig, list[ConfigProblem]]:
    """Read `techcat.toml`; on any problem fall back to defaults and say where it is."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line, col = toml_error_location(error, text)
        return TechcatConfig(), [ConfigProblem(message=message, line=line, character=col)]
    except RecursionError:  # tomllib recurses once per level of nested arrays or inline tables
        return TechcatConfig(), [ConfigProblem(message="the file nests arrays or tables hundreds of levels deep, "
                                               "too deep to read; settings are flat tables", line=0, character=0)]
    except ValueError:  # an integer thousands of digits long, which Python refuses to convert (issue 11 §3)
        long = re.search(r"\d{4000,}", text)
        line = text.count("\n", 0, long.start()) if long else 0
        return TechcatConfig(), [ConfigProblem(message="a number here has thousands of digits, too long to read; "
                                               "settings take small numbers", line=line, character=0)]
    for secret in ("api_key", "key", "token"):
        provider = data.get("provider")
        if isinstance(provider, dict) and secret in provider:
            provider.pop(secret)
            line = _line_of(text, secret)
            return _validated(data, [ConfigProblem(
                message=f"`{secret}` does not belong in a file in the repository; set OPENAI_API_KEY "
                        "(or AZURE_OPENAI_API_KEY) in the environment instead",
                line=line, character=0)], text)
    return _validated(data, [], text)


def _value_column(text: str, line: int, key: str) -> int:
    """Where the value of `key = value` starts on `line` (0 when the line is not such an assignment)."""
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return 0
    match = re.match(rf"\s*{re.escape(key)}\s*=\s*", lines[line])
    return match.end() if match else 0


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith(key) or stripped.startswith(f"[{key}]"):
            return number
    return 0


def _validated(data: dict[str, object], problems: list[ConfigProblem], text: str) -> tuple[TechcatConfig,
                                                                                         list[ConfigProblem]]:
    try:
        return msgspec.convert(data, TechcatConfig), problems
    except msgspec.ValidationError as error:
        message, where = _split_error(str(error))
        key = where.rsplit(".", 1)[-1] if where else ""
        unknown = re.search(r"unknown field `([^`]+)`", message)
        if unknown:
            key = unknown.group(1)
            where = f"{where}.{key}" if where else key
            message = "not a setting TechCat knows (docs/codex-format.md lists them)"
        message = message.replace(" | null", "")
        if message.startswith("Invalid enum value"):
            message += f"; use one of {', '.join(_choices(where))}"
        line = _line_of(text, key) if key else 0
        problems.append(ConfigProblem(message=f"{where}: {message}" if where else message, line=line,
                                      character=_value_column(text, line, key) if key else 0))
        return TechcatConfig(), problems


def _choices(where: str) -> list[str]:
    """The allowed values of a Literal setting such as `provider.kind`."""
    import typing

    kind: object = TechcatConfig
    for part in where.split("."):
        hints = typing.get_type_hints(kind, include_extras=True) if isinstance(kind, type) else {}
        kind = hints.get(part)
        for arg in typing.get_args(kind):
            if isinstance(arg, type) and issubclass(arg, msgspec.Struct):
                kind = arg
    values = [a for arg in typing.get_args(kind) for a in (typing.get_args(arg) or ()) if isinstance(a, str)]
    return values or ["(see docs/codex-format.md)"]


def _split_error(text: str) -> tuple[str, str]:
    """msgspec says "Expected `int`, got `str` - at `$.provider.max_retries`": the message and the key path."""
    match = re.match(r"(.*) - at `\$\.?([^`]*)`$", text)
    if not match:
        return text, ""
    return match.group(1), re.sub(r"\[\d+\]", "", match.group(2))


def load_config(path: Path) -> tuple[TechcatConfig, list[ConfigProblem]]:
    try:  # a FIFO, a device or a link out is refused at once, never blocks (techcat_core.confine)
        return parse_config(read_bounded(repository_root(path), path).data.decode("utf-8"))
    except FileNotFoundError:
        return TechcatConfig(), []
    except (Refused, OSError, UnicodeDecodeError) as error:
        return TechcatConfig(), [ConfigProblem(message=f"cannot read: {error}", line=0, character=0)]

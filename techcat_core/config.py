"""`.codex/techcat.toml`: per-workspace settings. API keys never live here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from techcat_core.positions import Range

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


class ProviderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["openai", "azure", "openai-compatible", "dry-run"] | None = None
    model: str | None = None
    base_url: str | None = None
    azure_endpoint: str | None = None
    azure_deployment: str | None = None
    api_version: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0, le=20)
    context_window: int | None = Field(default=None, ge=1024)
    max_concurrent_runs: int | None = Field(default=None, ge=1)
    stream: bool | None = None  # false for servers that cannot stream


class CheckConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ignore: list[str] = Field(default_factory=list)
    future_date_tolerance_days: int = 1


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tools: Literal["all", "read-only"] | None = None  # `techcat mcp --tools` wins over this


class TechcatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)


class ConfigProblem(BaseModel):
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
        if line.strip().startswith(key):
            return number
    return 0


def _validated(data: dict[str, object], problems: list[ConfigProblem], text: str) -> tuple[TechcatConfig,
                                                                                         list[ConfigProblem]]:
    try:
        return TechcatConfig.model_validate(data), problems
    except ValidationError as error:
        for item in error.errors():
            key = str(item["loc"][-1]) if item["loc"] else ""
            where = ".".join(str(part) for part in item["loc"])
            line = _line_of(text, key)
            problems.append(ConfigProblem(message=f"{where}: {item['msg']}", line=line,
                                          character=_value_column(text, line, key)))
        return TechcatConfig(), problems


def load_config(path: Path) -> tuple[TechcatConfig, list[ConfigProblem]]:
    try:
        return parse_config(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return TechcatConfig(), []
    except (OSError, UnicodeDecodeError) as error:
        return TechcatConfig(), [ConfigProblem(message=f"cannot read: {error}", line=0, character=0)]

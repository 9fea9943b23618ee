"""The user's TUI settings: theme, clipboard method, editor and remapped keys.

They live in the user's config directory (`$XDG_CONFIG_HOME/techcat/tui.toml`, or the file named by
`$TECHCAT_TUI_CONFIG`), never in the repository: they are one person's taste, not the team's.

    theme = "textual-dark"        # also "textual-light", "ansi-dark" (terminal colours), any Textual theme
    clipboard = "auto"            # "auto" (OSC 52 plus a system tool), "osc52", "command" or "dialog"
    editor = "nvim"               # default: $VISUAL, then $EDITOR, then vi
    [keys]
    "log.filter" = "slash,ctrl+f" # binding id = comma-separated keys (see the help screen for ids)
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from techcat_core.atomic import write_atomic

THEMES = ("textual-dark", "textual-light", "ansi-dark")
CLIPBOARD_METHODS = ("auto", "osc52", "command", "dialog")
_TOML_POSITION = re.compile(r"at line (\d+), column (\d+)")
_KNOWN_KEYS = {"theme", "clipboard", "editor", "keys"}


@dataclass(slots=True)
class TuiConfig:
    theme: str = THEMES[0]
    clipboard: str = "auto"
    editor: str | None = None
    keys: dict[str, str] = field(default_factory=dict)


def config_path() -> Path:
    override = os.environ.get("TECHCAT_TUI_CONFIG")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "techcat" / "tui.toml"


def parse_tui_config(text: str, path: Path) -> tuple[TuiConfig, list[str]]:
    """Read the settings; every problem is a located sentence and the rest of the file still applies."""
    config = TuiConfig()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.search(str(error))
        where = f"{match.group(1)}:{match.group(2)}" if match else "1:1"
        return config, [f"{path}:{where}: {str(error).split(' (at')[0]}; using the default settings"]
    problems: list[str] = []
    lines = text.splitlines()

    def located(key: str, message: str) -> str:
        number = next((i + 1 for i, line in enumerate(lines) if line.strip().strip('"').startswith(key)), 1)
        return f"{path}:{number}:1: {message}"

    for key in data:
        if key not in _KNOWN_KEYS:
            problems.append(located(key, f"unknown setting `{key}` (known: {', '.join(sorted(_KNOWN_KEYS))})"))
    theme = data.get("theme")
    if isinstance(theme, str):
        config.theme = theme
    elif theme is not None:
        problems.append(located("theme", "`theme` must be a string such as \"textual-light\""))
    clipboard = data.get("clipboard")
    if clipboard is not None:
        if clipboard in CLIPBOARD_METHODS:
            config.clipboard = str(clipboard)
        else:
            problems.append(located("clipboard", f"`clipboard` must be one of {', '.join(CLIPBOARD_METHODS)}"))
    editor = data.get("editor")
    if isinstance(editor, str) and editor.strip():
        config.editor = editor.strip()
    keys = data.get("keys", {})
    if isinstance(keys, dict):
        for binding_id, value in keys.items():
            if isinstance(value, str) and value.strip():
                config.keys[binding_id] = value
            else:
                problems.append(located(binding_id, f"key for `{binding_id}` must be a string like \"ctrl+f\""))
    else:
        problems.append(located("keys", "`keys` must be a table: [keys] then \"binding.id\" = \"key\""))
    return config, problems


def load_tui_config(path: Path | None = None) -> tuple[TuiConfig, list[str]]:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return TuiConfig(), []
    except (OSError, UnicodeDecodeError) as error:
        return TuiConfig(), [f"{path}: cannot read ({error}); using the default settings"]
    return parse_tui_config(text, path)


def save_theme(theme: str, path: Path | None = None) -> str | None:
    """Remember the theme, keeping the rest of the file as the user wrote it; returns a problem or None."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        line = f'theme = "{theme}"'
        if re.search(r"(?m)^theme\s*=.*$", text):
            text = re.sub(r"(?m)^theme\s*=.*$", line, text, count=1)
        else:
            text = line + "\n" + text
        write_atomic(path, text)
    except OSError as error:
        return f"could not save the theme to {path}: {error.strerror or error}"
    return None

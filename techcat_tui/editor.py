"""The command that opens a file at a line in the user's editor ($VISUAL, $EDITOR or the TUI setting)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

_PLUS_LINE = {"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro", "kak", "joe", "ne", "mg"}
_GOTO_FLAG = {"code", "codium", "code-insiders", "cursor"}
_COLON_LINE = {"hx", "helix", "subl", "zed", "gedit"}


def editor_command(path: Path, line: int | None = None, configured: str | None = None) -> list[str]:
    """`line` is 1-based; editors that cannot take a line just open the file."""
    raw = configured or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        command = shlex.split(raw)
    except ValueError:
        command = [raw]
    if not command:
        command = ["vi"]
    name = Path(command[0]).name
    if line is None:
        return [*command, str(path)]
    if name in _PLUS_LINE:
        return [*command, f"+{line}", str(path)]
    if name in _GOTO_FLAG:
        return [*command, "--wait", "-g", f"{path}:{line}"]
    if name in _COLON_LINE:
        return [*command, f"{path}:{line}"]
    return [*command, str(path)]

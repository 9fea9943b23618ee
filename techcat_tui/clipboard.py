"""Copying text out of the app when the terminal may not pass OSC 52 on (macOS Terminal, some tmux setups).

The app always sends OSC 52 (it works over SSH); this module adds the system clipboard tool when one
is installed, and says when neither is likely to have worked so the app can show the text instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess

# Terminals known to ignore OSC 52 clipboard writes.
_NO_OSC52 = {"Apple_Terminal"}


def clipboard_command() -> list[str] | None:
    """The first system clipboard tool that fits this session, or None."""
    candidates: list[list[str]] = []
    if os.environ.get("WAYLAND_DISPLAY"):
        candidates.append(["wl-copy"])
    if os.environ.get("DISPLAY"):
        candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    candidates += [["pbcopy"], ["clip.exe"]]
    for command in candidates:
        if shutil.which(command[0]):
            return command
    return None


def copy_with_command(text: str, command: list[str] | None = None) -> str | None:
    """Copy with a system tool; returns the tool's name, or None when there is none or it failed."""
    command = command or clipboard_command()
    if command is None:
        return None
    try:
        subprocess.run(command, input=text.encode("utf-8"), check=True, timeout=3,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return command[0]


def osc52_likely() -> bool:
    """False for terminals that are known to drop OSC 52 (the copy dialog is the fallback there)."""
    return os.environ.get("TERM_PROGRAM", "") not in _NO_OSC52

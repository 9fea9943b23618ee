"""What a use-case reads before it acts: the roster and `techcat.toml`, never the whole (maybe huge) task log."""

from __future__ import annotations

from pathlib import Path

from techcat_core.config import parse_config
from techcat_core.confine import DEFAULT_MAX_READ_BYTES
from techcat_core.workspace import CONFIG, Workspace, load_roster, read_text


def roster_workspace(codex_dir: Path) -> Workspace:
    """The workspace with its roster and its settings read (a broken techcat.toml gives the defaults)."""
    ws = load_roster(codex_dir)
    if not ws.linked_out:
        text = read_text(ws.path(CONFIG), root=ws.root, limit=DEFAULT_MAX_READ_BYTES)
        if text is not None:
            ws.config, ws.config_problems = parse_config(text)
    return ws

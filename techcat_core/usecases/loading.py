"""What a use-case reads before it acts: the roster and `techcat.toml`, never the whole (maybe huge) task log."""

from __future__ import annotations

from pathlib import Path

from techcat_core.config import parse_config
from techcat_core.confine import DEFAULT_MAX_READ_BYTES, Refused
from techcat_core.usecases.errors import UseCaseError
from techcat_core.workspace import CONFIG, Workspace, load_roster, locate_workspace, read_text


def placed(codex_dir: Path) -> Path:
    """The resolved `.codex/` a use-case may write in; refused before anything is made when it is a link out of
    its repository or into `.git/` (a lock file would otherwise be created outside)."""
    try:
        return locate_workspace(codex_dir).codex_dir
    except Refused as error:
        raise UseCaseError(f"{error}; nothing was written") from None


def roster_workspace(codex_dir: Path) -> Workspace:
    """The workspace with its roster and its settings read (a broken techcat.toml gives the defaults)."""
    ws = load_roster(codex_dir)
    if not ws.linked_out:
        text = read_text(ws.path(CONFIG), root=ws.root, limit=DEFAULT_MAX_READ_BYTES)
        if text is not None:
            ws.config, ws.config_problems = parse_config(text)
    return ws

"""What the server follows while it runs: the client's workspace roots and the files that decide which tools it
offers. When `run_agent` becomes available (a provider configured in techcat.toml or the user's settings) or
goes away, the client is told with `notifications/tools/list_changed`, no restart needed; a roster change
(agents' prompts are resources) or new roots send `notifications/resources/list_changed`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from mcp.server.mcpserver.exceptions import ToolError

from techcat_core.runtime.settings import user_config_dir
from techcat_core.workspace import AGENTS, CONFIG
from techcat_mcp.locate import WorkspaceLocator

logger = logging.getLogger("techcat_mcp")
POLL_SECONDS = 0.5  # how often the few files that decide the tool list are stat'ed (no read, no parse)


def root_paths(uris: list[str]) -> tuple[Path, ...]:
    """The local folders among the client's root URIs (`file://` only), in the client's order."""
    paths = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            paths.append(Path(unquote(parsed.path)))
    return tuple(paths)


def signature(locator: WorkspaceLocator) -> tuple[object, ...]:
    """What the tool list and the resource list depend on: the workspace found and its files' stamps."""
    try:
        codex: Path | None = locator.codex_dir()
    except ToolError:
        codex = None
    files = [user_config_dir() / "config.toml", user_config_dir() / "credentials.toml"]
    if codex is not None:
        files += [codex / CONFIG, codex / AGENTS]
    stamps: list[object] = [str(codex)]
    for path in files:
        try:
            status = os.stat(path)
            stamps.append((status.st_mtime_ns, status.st_size, status.st_ino))
        except OSError:
            stamps.append(None)
    return tuple(stamps)

"""`techcat lsp` / `techcat-lsp`: build the server with every feature and run it over stdio or TCP."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from techcat_lsp.server import TechcatServer


def create_server() -> TechcatServer:
    from techcat_lsp import code_cache

    code_cache.install()  # before pygls and lsprotocol are imported: their generated code from the cache
    from techcat_lsp.features import (
        code_actions,
        code_lens,
        commands,
        completion,
        diagnostics,
        hover,
        navigation,
        symbols,
        sync,
        watching,
    )
    from techcat_lsp.server import TechcatServer

    server = TechcatServer()
    for feature in (sync, diagnostics, watching, code_actions, hover, completion, navigation, symbols, code_lens,
                    commands):
        feature.register(server)
    return server


def run_server(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> int:
    """Serve until the client says `exit` (stdio) or disconnects (TCP). Logs go to stderr only."""
    level = os.environ.get("TECHCAT_LSP_LOG", "WARNING").upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
                        format="techcat-lsp %(levelname)s %(name)s: %(message)s")
    from techcat_lsp.memory import collect_rarely, keep_big_blocks

    keep_big_blocks()  # edits copy a big log's whole text: see memory.py
    collect_rarely()
    server = create_server()
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()
    return 0

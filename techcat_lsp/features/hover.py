"""placeholder"""

from __future__ import annotations

from techcat_lsp.server import TechcatServer


def register(server: TechcatServer) -> None:
    return None

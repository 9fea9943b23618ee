"""`techcat tui`, `serve`, `lsp` and `mcp`: start a front end. Each is imported only when asked for."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from techcat_cli.common import UserError, codex_dir


def _workspace_or_none(args: argparse.Namespace) -> Path | None:
    try:
        return codex_dir(args)
    except UserError:
        if getattr(args, "workspace", None):
            raise
        return None


def cmd_tui(args: argparse.Namespace) -> int:
    from techcat_tui.launch import run_tui

    return int(run_tui(_workspace_or_none(args)))


def cmd_serve(args: argparse.Namespace) -> int:
    from techcat_tui.launch import serve

    return int(serve(_workspace_or_none(args), host=args.host, port=args.port, demo=args.demo))


def cmd_lsp(args: argparse.Namespace) -> int:
    from techcat_lsp.launch import run_server

    return int(run_server(tcp=args.tcp, host=args.host, port=args.port))


def cmd_mcp(args: argparse.Namespace) -> int:
    from techcat_mcp.launch import run_server

    return int(run_server(_workspace_or_none(args), tool_set=args.tools))


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    add("tui", cmd_tui, "open the full-screen app on the workspace (the default command)")
    serve = add("serve", cmd_serve, "serve the app in a browser (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="serve a copy of the bundled sample workspace")
    lsp = add("lsp", cmd_lsp, "run the language server (stdio unless --tcp)")
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    lsp.add_argument("--tcp", action="store_true", help="listen on a TCP port instead of stdio")
    lsp.add_argument("--host", default="127.0.0.1")
    lsp.add_argument("--port", type=int, default=2087)
    mcp = add("mcp", cmd_mcp, "run the Model Context Protocol server over stdio")
    mcp.add_argument("--tools", choices=("all", "read-only"), default=None,
                     help="which tools to offer (read-only: no writes, no runs); default: [mcp] tools in "
                          ".codex/techcat.toml, else all")

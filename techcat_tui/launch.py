"""Entry points the CLI calls: `run_tui` (the terminal app) and `serve` (the same app in a browser).

Imports stay inside the functions so `techcat check` never pays for Textual.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from techcat_tui import _start_time  # noqa: F401 - stamps the start time as early as possible


def run_tui(codex_dir: Path | None, demo: bool = False) -> int:
    """Open the app on `codex_dir` (None: the welcome screen offers `techcat init` or the demo)."""
    from techcat_tui.app import TechcatApp

    app = TechcatApp(codex_dir, demo=demo)
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code or 1)


def serve_command(codex_dir: Path | None, demo: bool) -> str:
    """The command textual-serve starts for each browser session."""
    command = [sys.executable, "-m", "techcat_tui"]
    if codex_dir is not None:
        command += ["--workspace", str(codex_dir)]
    if demo:
        command.append("--demo-copy")
    return shlex.join(command)


def serve(codex_dir: Path | None, host: str, port: int, demo: bool = False) -> int:
    """Serve the app with textual-serve; each browser tab gets its own app process."""
    if demo:
        from techcat_tui.demo import copy_sample_workspace

        codex_dir = copy_sample_workspace()
        print(f"Serving a copy of the sample workspace in {codex_dir.parent}", file=sys.stderr)
    from textual_serve.server import Server

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host}: anyone who can reach this address can use the app and run agents",
              file=sys.stderr)
    server = Server(serve_command(codex_dir, demo), host=host, port=port, title="TechCat Studio")
    try:
        server.serve()
    except OSError as error:
        print(f"techcat serve: cannot listen on {host}:{port}: {error.strerror or error}; "
              "pick another port with --port", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0

"""Entry points the CLI calls: `run_tui` (the terminal app) and `serve` (the same app in a browser).

Imports stay inside the functions so `techcat check` never pays for Textual.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from techcat_tui import _start_time  # noqa: F401 - stamps the start time as early as possible

EXIT_NO_TERMINAL = 2
SERVE_TEMPLATES = Path(__file__).resolve().parent / "serve_templates"  # the page without web fonts from the internet
_SERVED = "TEXTUAL_DRIVER"  # textual-serve runs each session with its web driver named here: no terminal needed


def terminal_problem() -> str | None:
    """Why the full-screen app cannot start here, as one sentence; None in a terminal (or under textual-serve).

    Textual waits for a terminal that never answers when stdin or stdout is a pipe or a file."""
    if os.environ.get(_SERVED):
        return None
    missing = [name for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout))
               if stream is None or not stream.isatty()]
    if not missing:
        return None
    return (f"techcat: the full-screen app needs a terminal, and {' and '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} not one; run `techcat check` for a report, or `techcat serve` "
            "to use the app in a browser")


def run_tui(codex_dir: Path | None, demo: bool = False) -> int:
    """Open the app on `codex_dir` (None: the welcome screen offers `techcat init` or the demo)."""
    problem = terminal_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_TERMINAL
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
    server = Server(serve_command(codex_dir, demo), host=host, port=port, title="TechCat Studio",
                    templates_path=SERVE_TEMPLATES)
    try:
        server.serve()
    except OSError as error:
        print(f"techcat serve: cannot listen on {host}:{port}: {error.strerror or error}; "
              "pick another port with --port", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0

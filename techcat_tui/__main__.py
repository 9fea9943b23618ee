"""`python -m techcat_tui`: the command textual-serve runs for each browser session."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m techcat_tui", description="The TechCat full-screen app.")
    parser.add_argument("--workspace", "-w", metavar="PATH", help="a folder inside the workspace (default: cwd)")
    parser.add_argument("--demo-copy", action="store_true", help="the workspace is a demo copy (shown as such)")
    args = parser.parse_args(argv)
    from techcat_core.workspace import WorkspaceNotFound, find_codex_dir
    from techcat_tui.launch import run_tui

    start = Path(args.workspace) if args.workspace else None
    try:
        codex = find_codex_dir(start)
    except WorkspaceNotFound:
        codex = None
    return run_tui(codex, demo=args.demo_copy)


if __name__ == "__main__":
    sys.exit(main())

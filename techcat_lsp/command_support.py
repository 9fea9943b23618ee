"""What every command handler shares: its one JSON-object argument, the workspace it names, and how a
refusal reaches the user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from techcat_core.workspace import WorkspaceNotFound, find_codex_dir
from techcat_lsp.documents import uri_to_path
from techcat_lsp.server import TechcatServer
from techcat_lsp.state import WorkspaceState


class CommandError(Exception):
    """A command cannot run; the message is shown to the user as is."""


def spec_of(args: tuple[Any, ...]) -> dict[str, Any]:
    return args[0] if args and isinstance(args[0], dict) else {}


def workspace_state(ls: TechcatServer, spec: dict[str, Any]) -> WorkspaceState:
    where = spec.get("workspace") or spec.get("uri")
    if not isinstance(where, str) or not where:
        states = list(ls.states.values()) or ls.discover()
        if len(states) == 1:
            return states[0]
        raise CommandError("say which workspace: pass {\"workspace\": \"<path to .codex>\"}")
    path = uri_to_path(where) if where.startswith("file:") else Path(where).resolve()
    if path is None:
        raise CommandError(f"{where} is not a file path or file: URI")
    state = ls.state_for_path(path if path.name != ".codex" else path / "AGENTS.md")
    if state is None:
        try:
            state = ls.state_for_path(find_codex_dir(path if path.is_dir() else path.parent) / "AGENTS.md")
        except (WorkspaceNotFound, OSError):
            state = None
    if state is None:
        raise CommandError(f"no .codex/ workspace at {where}")
    return state


def show(ls: TechcatServer, text: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
    ls.window_show_message(lsp.ShowMessageParams(kind, text))




def relative(state: WorkspaceState, path: Path) -> str:
    try:
        return path.resolve().relative_to(state.root).as_posix()
    except ValueError:
        return str(path)

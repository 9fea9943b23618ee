"""What every command handler shares: the workspace it names and how a refusal reaches the user (its
argument is read by `command_args`)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from techcat_core.workspace import WorkspaceNotFound, find_codex_dir
from techcat_lsp.documents import uri_to_path
from techcat_lsp.params import shorten
from techcat_lsp.server import TechcatServer
from techcat_lsp.state import WorkspaceState


class CommandError(Exception):
    """A command cannot run; the message is shown to the user as is."""


def workspace_state(ls: TechcatServer, where: str | None) -> WorkspaceState:
    """The workspace a command names (its `workspace` or `uri`); none named: the only one there is."""
    if not where:
        states = list(ls.states.values()) or ls.discover()
        if len(states) == 1:
            return states[0]
        raise CommandError("say which workspace: pass {\"workspace\": \"<path to .codex>\"}")
    try:
        path = uri_to_path(where) if where.startswith("file:") else Path(where).resolve()
    except (ValueError, OSError):  # a NUL in the path, a loop of links
        path = None
    if path is None:
        raise CommandError(f"{shorten(where, 80)} is not a file path or file: URI")
    state = ls.state_for_path(path if path.name != ".codex" else path / "AGENTS.md")
    if state is None:
        try:
            state = ls.state_for_path(find_codex_dir(path if path.is_dir() else path.parent) / "AGENTS.md")
        except (WorkspaceNotFound, OSError):
            state = None
    if state is None:
        raise CommandError(f"no .codex/ workspace at {shorten(where, 80)}")
    return state


def show(ls: TechcatServer, text: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
    ls.window_show_message(lsp.ShowMessageParams(kind, text))


def relative(state: WorkspaceState, path: Path) -> str:
    try:
        return path.resolve().relative_to(state.root).as_posix()
    except ValueError:
        return str(path)

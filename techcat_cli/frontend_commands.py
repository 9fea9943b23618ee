"""`techcat tui`, `serve`, `lsp` and `mcp`: start a front end (each imported only when asked for); `techcat agents`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techcat_cli.common import UserError, codex_dir

if TYPE_CHECKING:
    from techcat_core.roster import Agent


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


def agent_origin(agent: Agent, codex: Path) -> str:
    """Where an agent is defined and, for Codex CLI's agents, what gives it its name."""
    try:
        where = agent.source.relative_to(codex).as_posix()
    except ValueError:
        where = str(agent.source)
    where = f"{where}:{agent.name_range.start.line + 1}"
    return where if agent.origin == "AGENTS.md" else f"{where} (named by {agent.named_by})"


def cmd_agents(args: argparse.Namespace) -> int:
    """The roster: each agent with its task count, prompt file, where it came from, its role and hand-offs."""
    from techcat_core.workspace import load_workspace

    ws = load_workspace(codex_dir(args))
    if not ws.agents:
        kind = ws.roster.kind if ws.roster else "missing"
        print("No roster: AGENTS.md is " + {"instructions": "free-form instructions, not a roster",
                                             "empty": "empty", "missing": "missing"}.get(kind, kind) +
              ", and no Codex CLI agent is defined in .codex/agents/*.toml or config.toml.")
        return 0
    counts: dict[str, int] = {}
    for entry in ws.task_log.entries if ws.task_log else []:
        if entry.agent:
            counts[entry.agent] = counts.get(entry.agent, 0) + 1
    from techcat_cli.render import terminal_safe

    origins = [terminal_safe(agent_origin(agent, ws.codex_dir)) for agent in ws.agents]
    width = max(len(terminal_safe(agent.name)) for agent in ws.agents)
    origin_width = max(len(origin) for origin in origins)
    for agent, origin in zip(ws.agents, origins, strict=True):
        chain = " → " + ", ".join(link.target for link in agent.chains) if agent.chains else ""
        conditional = [link.target for link in agent.handoffs if link.conditional]
        chain += f" (conditional hand-off, not chained: {', '.join(conditional)})" if conditional else ""
        prompt = "prompt" if agent.name in ws.prompts else "      "
        count = counts.get(agent.name, 0)
        print(f"{terminal_safe(agent.name):<{width}}  {count:>4} {'task ' if count == 1 else 'tasks'}  {prompt}  "
              f"{origin:<{origin_width}}  {terminal_safe(agent.description + chain)}".rstrip())
    return 0


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

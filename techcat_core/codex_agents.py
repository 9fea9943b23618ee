"""Codex CLI's own agents in `.codex/`: `[agents.NAME]` tables of `config.toml` and `agents/**/*.toml` files.

These are Codex CLI's files: TechCat reads them to know the agents, and never writes them. Names follow
Codex CLI (codex-rs `core/src/config/agent_roles.rs`): a file's non-empty `name` key, else the
`[agents.NAME]` table whose `config_file` points at the file, else (TechCat's fallback) the file stem.
A table without a `config_file` is an agent of its own. Scalar keys of `[agents]` (`max_threads`,
`max_depth`, …) are Codex's settings, not agents.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techcat_core.positions import Range
from techcat_core.repository_root import folder_leads_out
from techcat_core.roster import Agent, DeclaredRole

CODEX_CONFIG = "config.toml"
_MAX_AGENT_FILES = 256  # Codex CLI reads no more either


def _declared(codex_dir: Path, text: str) -> dict[str, tuple[dict[str, Any], int]]:
    """`[agents.NAME]` tables of `config.toml`: NAME → (table, 0-based line of its header)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}  # Codex CLI's file, in a TOML dialect TechCat may not read: nothing to list from it
    agents = data.get("agents")
    if not isinstance(agents, dict):
        return {}
    lines = text.splitlines()
    result: dict[str, tuple[dict[str, Any], int]] = {}
    for name, table in agents.items():
        if not isinstance(table, dict):
            continue
        header = re.compile(rf"^\s*\[\s*agents\s*\.\s*(?:\"{re.escape(name)}\"|'{re.escape(name)}'|{re.escape(name)})"
                            rf"\s*\]")
        line = next((i for i, raw in enumerate(lines) if header.match(raw)), 0)
        result[name] = (table, line)
    return result


def _config_file(codex_dir: Path, table: dict[str, Any]) -> Path | None:
    """The agent file a table names: relative to `.codex/` as Codex CLI reads it, else (a common slip,
    `config_file = ".codex/agents/x.toml"`) relative to the repository. A home-relative (`~/…`) or absolute
    value is no file of the repository's: None (`outside_value` says which)."""
    value = table.get("config_file")
    if not isinstance(value, str) or not value.strip() or outside_value(codex_dir, value):
        return None
    try:
        path = Path(value)
        beside = (codex_dir / path).resolve()
        from_root = (codex_dir.parent / path).resolve()
        return from_root if not beside.is_file() and from_root.is_file() else beside
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a loop of links
        return None


def outside_value(codex_dir: Path, value: str) -> bool:
    """A `config_file` that points out of the repository (dotfiles point at `~/.codex/agents/…`): TechCat never
    reads it, and it is no mistake of the repository's."""
    if value.startswith("~") or Path(value).is_absolute() or "\x00" in value:
        return True
    root = codex_dir.parent.resolve()
    try:
        return not any(root == p or root in p.parents for p in ((codex_dir / value).resolve(),
                                                                 (codex_dir.parent / value).resolve()))
    except (OSError, ValueError, RuntimeError):
        return True


def _file_name(path: Path, declared: str | None) -> str:
    """The name Codex CLI gives an agent file (see `roster.parse_agent_toml`), read again for a table's check:
    through the confined, bounded read (the file was read before, but may have been swapped for a link since)."""
    from techcat_core.confine import Refused, read_bounded

    try:
        value = tomllib.loads(read_bounded(path.parent, path.name).text()).get("name")
    except (OSError, Refused, tomllib.TOMLDecodeError):
        value = None
    return value.strip() if isinstance(value, str) and value.strip() else declared or path.stem


@dataclass(slots=True)
class CodexDeclarations:
    """The `[agents.NAME]` tables of `.codex/config.toml`, and which agent file each one names."""

    config_path: Path
    tables: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    by_file: dict[Path, str] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)  # table name → its config_file out of the repository

    def name_for(self, path: Path) -> DeclaredRole | None:
        """The table that names the agent file `path`, if one does."""
        name = self.by_file.get(path.resolve())
        if name is None:
            return None
        description = self.tables[name][0].get("description")
        return DeclaredRole(name, description.strip() if isinstance(description, str) else "")

    def table_agents(self, files_read: set[Path]) -> list[Agent]:
        """Agents declared by a table alone: no `config_file`, or one that was not read, and no agent file of
        that name (Codex CLI keeps one role per name, so the file's agent is the one)."""
        read = {path.resolve() for path in files_read}
        agents: list[Agent] = []
        file_names: set[str] | None = None
        for name, (table, line) in self.tables.items():
            target = next((path for path, owner in self.by_file.items() if owner == name), None)
            if target is not None and target in read:
                continue
            if file_names is None:
                file_names = {_file_name(path, self.by_file.get(path)) for path in read}
            if name in file_names:
                continue
            description = table.get("description")
            agents.append(Agent(name=name, source=self.config_path, name_range=Range.of(line, 0),
                                section=Range.of(line, 0),
                                role=description.strip() if isinstance(description, str) else "",
                                origin="config.toml", named_by=f"[agents.{name}] in config.toml"))
        return agents


def read_declarations(codex_dir: Path, text_of: Callable[[Path], str | None]) -> CodexDeclarations:
    config_path = codex_dir / CODEX_CONFIG
    declarations = CodexDeclarations(config_path)
    text = text_of(config_path) if config_path.is_file() else None
    if text is None:
        return declarations
    declarations.tables = _declared(codex_dir, text)
    for name, (table, _) in declarations.tables.items():
        value = table.get("config_file")
        if isinstance(value, str) and value.strip() and outside_value(codex_dir, value):
            declarations.outside[name] = value
        target = _config_file(codex_dir, table)
        if target is not None:
            declarations.by_file.setdefault(target, name)
    return declarations


def agent_files(codex_dir: Path, declarations: CodexDeclarations) -> list[Path]:
    """`.codex/agents/**/*.toml`, then files `config.toml` names elsewhere; each once, at most 256."""
    agents_dir = codex_dir / "agents"
    walk = agents_dir.is_dir() and not folder_leads_out(agents_dir)  # a link out is one TC004, never walked
    files = sorted(p for p in agents_dir.rglob("*.toml") if p.is_file()) if walk else []
    known = {path.resolve() for path in files}
    files += [path for path in declarations.by_file if path not in known and path.is_file()]
    return files[:_MAX_AGENT_FILES]


def codex_inventory(codex_dir: Path) -> dict[str, int]:
    """What Codex CLI keeps in `.codex/`, for the not-a-TechCat-workspace note: counts by kind (0 when absent)."""
    def count(folder: str, pattern: str) -> int:
        directory = codex_dir / folder
        return sum(1 for _ in directory.glob(pattern)) if directory.is_dir() else 0

    return {
        "config": int((codex_dir / CODEX_CONFIG).is_file()),
        "skills": count("skills", "*/SKILL.md") or count("skills", "*"),
        "prompts": count("prompts", "*.md"),
        "hooks": int((codex_dir / "hooks.json").is_file()),
    }

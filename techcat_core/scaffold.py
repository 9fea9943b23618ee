"""`techcat init`: a valid `.codex/` with the five files, created without overwriting anything."""

from __future__ import annotations

from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.workspace import AGENTS, ARCHITECTURE, PRD, PROPOSED, TASK_LOG

STARTER_FILES: dict[str, str] = {
    AGENTS: """# Agents

The agents that work on this project. Each section is one agent; `techcat check` validates them.

## Agent: `planner`

- **Role:** Task Forecaster
- **Goal:** Propose the next tasks from the log, the PRD and the architecture, written to `PROPOSED-TASKS.md`.
- **Output:** .codex/PROPOSED-TASKS.md

Once complete, invoke `task_logger`.

## Agent: `task_logger`

- **Role:** Task Tracker
- **Goal:** Append each completed task to `.codex/TASK-LOG.json` with an accurate one-line summary.
""",
    PRD: """# Product requirements

## Vision

What this project is for, and for whom.

## Scope

What is in, and what is deliberately out.
""",
    ARCHITECTURE: """# Architecture

## Components

The main parts of the system and how they talk to each other.

## Decisions

Choices made, with the reason for each.
""",
    PROPOSED: """# Proposed tasks

<!-- `- [ ]` proposed, `- [>]` queued for `techcat watch`, `- [x]` done (task-042). Name the agent with @name. -->
""",
    TASK_LOG: "[]\n",
}


def init_workspace(root: Path) -> tuple[Path, list[str], list[str]]:
    """Create `.codex/` under `root`; returns the folder, the files created and those left as they were."""
    codex = root / ".codex"
    codex.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    kept: list[str] = []
    for name, content in STARTER_FILES.items():
        target = codex / name
        if target.exists():
            kept.append(name)
            continue
        write_atomic(target, content)
        created.append(name)
    return codex, created, kept

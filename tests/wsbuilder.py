"""Build real `.codex/` workspaces in temp dirs for tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from techcat_core.diagnostics import Diagnostic
from techcat_core.engine import CheckResult, apply_fixes, check_path

TODAY = dt.date(2025, 8, 1)

AGENTS_MD = """# Agents

## Agent: `planner`

- **Role:** Task Forecaster
- **Goal:** Propose the next tasks.
- **Output:** .codex/PROPOSED-TASKS.md

Once complete, invoke `task_logger`.

## Agent: `frontend_specialist`

- **Role:** UI engineer
- **Goal:** Build pages.
- **Output:** apps/web/**

Once complete, invoke `task_logger`.

## Agent: `task_logger`

- **Role:** Task Tracker
- **Goal:** Append completed tasks to the log.
"""

PROPOSED_MD = """# Proposed tasks

- [ ] @frontend_specialist Build the settings page
- [>] @planner Plan the next milestone
- [x] @frontend_specialist Build the home page (task-001)
"""


def entry(n: int, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "task_id": f"task-{n:03d}",
        "agent": "frontend_specialist",
        "date": "2025-07-0" + str(min(n, 9)),
        "summary": f"Did task number {n}.",
        "output_files": ["apps/web/home.tsx"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def make_workspace(root: Path, *, log: list[Any] | str | None = None, agents: str | None = AGENTS_MD,
                   proposed: str | None = PROPOSED_MD, prd: str | None = "# PRD\n\nVision.\n",
                   architecture: str | None = "# Architecture\n\nParts.\n", extra: dict[str, str | bytes] | None = None,
                   files: tuple[str, ...] = ("apps/web/home.tsx", "apps/web/settings.tsx")) -> Path:
    """A clean workspace unless told otherwise; returns its `.codex/`."""
    codex = root / ".codex"
    codex.mkdir(parents=True, exist_ok=True)
    if log is None:
        log = [entry(1), entry(2, output_files=["apps/web/settings.tsx"])]
    contents: dict[str, str | bytes | None] = {
        "TASK-LOG.json": log if isinstance(log, str) else json.dumps(log, indent=2) + "\n",
        "AGENTS.md": agents, "PROPOSED-TASKS.md": proposed, "PRD.md": prd, "ARCHITECTURE.md": architecture,
    }
    contents.update(extra or {})
    for name, content in contents.items():
        if content is None:
            continue
        path = codex / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("// file\n")
    return codex


def check(codex: Path) -> CheckResult:
    return check_path(codex, today=TODAY, git=False)


def codes(result: CheckResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def only(result: CheckResult, code: str) -> Diagnostic:
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(d.code, d.message) for d in result.diagnostics]}"
    return found[0]


def apply_first_fix(result: CheckResult, diagnostic: Diagnostic) -> None:
    assert diagnostic.fixes, f"{diagnostic.code} has no fix"
    for path, text in apply_fixes([diagnostic.fixes[0]], result.workspace.texts).items():
        path.write_text(text, encoding="utf-8")

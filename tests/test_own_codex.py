"""Our own `.codex/` describes the code as it is: every package is in ARCHITECTURE.md and owned by an agent."""

from __future__ import annotations

import re
from pathlib import Path

from techcat_core.confine import glob_match
from techcat_core.engine import check_path
from techcat_core.workspace import load_workspace

ROOT = Path(__file__).resolve().parent.parent
CODEX = ROOT / ".codex"


def _packages() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("techcat_*/__init__.py"))


def test_every_package_is_described_in_the_architecture() -> None:
    architecture = (CODEX / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert len(_packages()) >= 5
    missing = [name for name in _packages() if name not in architecture]
    assert missing == [], f"ARCHITECTURE.md does not describe {missing}"


def test_every_package_and_core_module_is_owned_by_some_agents_outputs() -> None:
    ws = load_workspace(CODEX)
    outputs = [output for agent in ws.agents for output in agent.outputs]
    modules = [p.relative_to(ROOT).as_posix() for package in _packages() for p in (ROOT / package).rglob("*.py")]
    unowned = [m for m in modules if not any(glob_match(pattern, m) for pattern in outputs)]
    assert unowned == [], f"no agent's Output: covers {unowned}"


def test_every_core_module_is_named_in_the_architecture() -> None:
    architecture = (CODEX / "ARCHITECTURE.md").read_text(encoding="utf-8")
    core = ROOT / "techcat_core"
    names = sorted({p.stem for p in core.glob("*.py") if p.stem != "__init__"}
                   | {p.name for p in core.iterdir() if (p / "__init__.py").exists()})
    spans = " ".join(re.findall(r"`([^`\n]+)`", architecture))
    missing = [name for name in names if not re.search(rf"(?<![\w.]){re.escape(name)}\b", spans)]
    assert missing == [], f"ARCHITECTURE.md's module table does not name {missing}"


def test_our_own_codex_passes_check() -> None:
    result = check_path(CODEX, git=False)
    assert [d for d in result.diagnostics if d.severity.name in ("ERROR", "WARNING")] == []

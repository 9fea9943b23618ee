"""The broken `.codex/` workspace every real editor test opens, and what `techcat check` says about it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.wsbuilder import make_workspace

# One entry on a single line, with curly quotes, a dash and an emoji before the broken agent name, so a column is
# right only if the server and the editor agree on the position encoding (UTF-16 for VS Code, UTF-8 for Neovim).
LOG_TEXT = """[
  {
    "task_id": "task-001",
    "agent": "frontend_specialist",
    "date": "2025-07-01",
    "summary": "Built the home page",
    "output_files": ["apps/web/home.tsx", "apps/web/settings.tsx"]
  },
  {"task_id": "task-002", "summary": "Wrote the “settings” page — 🐈 approved", "agent": "frontend_specialst", \
"date": "2025-07-02", "output_files": ["apps/web/settings.tsx"]},
  {
    "task_id": "task-003",
    "agent": "planner",
    "date": "2025/07/14",
    "summary": "Planned the next milestone",
    "output_files": []
  },
  {
    "task_id": "task-004",
    "agent": "frontend_specialist",
    "date": "2025-07-15",
    "summery": "Polished the settings page",
    "output_files": ["apps/web/settings.tsx"]
  }
]
"""


@dataclass(frozen=True)
class Spot:
    """A place in the log, 0-based: `line`, and `column` in code points (Python str index) and in UTF-8 bytes."""

    line: int
    column: int
    byte_column: int
    utf16_column: int


def spot(needle: str, text: str = LOG_TEXT) -> Spot:
    """Where `needle` first starts in the text (the inside of a JSON string, after its opening quote)."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    return Spot(line, len(before), len(before.encode("utf-8")), len(before.encode("utf-16-le")) // 2)


UNKNOWN_AGENT = spot('"frontend_specialst"')   # TC401, with a fix to the roster's spelling
BAD_DATE = spot('"2025/07/14"')                # TC108, with a fix to 2025-07-14
MISSPELLED_KEY = spot('"summery"')             # TC106, with a rename fix
ROSTER_AGENT = spot("planner")                 # an agent name: its hover shows the roster's role


def make_broken_workspace(root: Path) -> Path:
    """A workspace whose TASK-LOG.json has the mistakes above; returns the log's path."""
    codex = make_workspace(root, log=LOG_TEXT)
    return codex / "TASK-LOG.json"


@dataclass(frozen=True)
class CliDiagnostic:
    code: str
    line: int  # 0-based, as editors count
    message: str


def cli_diagnostics(log_path: Path) -> list[CliDiagnostic]:
    """What `techcat check` reports for the task log: the reference the editors must show."""
    result = subprocess.run([sys.executable, "-m", "techcat_cli.main", "check", "--format", "json", "--no-git",
                             "--workspace", str(log_path.parent)], capture_output=True, text=True, timeout=60,
                            check=False)
    report = json.loads(result.stdout)
    return [CliDiagnostic(d["code"], d["range"]["start"]["line"], d["message"]) for d in report["diagnostics"]
            if Path(d["path"]).name == log_path.name]

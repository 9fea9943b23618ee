"""The catalogue of diagnostic codes. Codes are stable: once released, a code keeps its meaning.

TC0xx workspace files, TC1xx task log, TC2xx roster, TC3xx proposed tasks, TC4xx cross-file and git.
Each code is documented in `docs/diagnostics.md`; a test keeps the two in sync.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """Ordered so that `max()` gives the worst; values match LSP's DiagnosticSeverity in reverse.

    Defined here, beside the catalogue that assigns one to every code, so that the catalogue depends on
    nothing and a diagnostic's severity is looked up, never restated.
    """

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str


_ALL = [
    Code("TC001", "invalid-utf8", Severity.ERROR, "a workspace file is not valid UTF-8"),
    Code("TC002", "missing-file", Severity.WARNING, "one of the five `.codex/` files is missing"),
    Code("TC003", "invalid-config", Severity.ERROR, "`techcat.toml` cannot be read or has unknown settings"),
    Code("TC004", "unsafe-file", Severity.ERROR,
         "a workspace file is a FIFO, socket or device, a symlink out of the repository, or over the size cap"),
    Code("TC005", "not-a-workspace", Severity.INFO, "the `.codex/` folder holds no TechCat file (Codex CLI's only)"),
    Code("TC006", "near-miss-file", Severity.INFO, "a file looks like a misnamed TechCat file"),
    Code("TC100", "json-syntax", Severity.ERROR, "`TASK-LOG.json` is not valid JSON"),
    Code("TC101", "not-an-array", Severity.ERROR, "the task log's top level is not a JSON array"),
    Code("TC102", "entry-not-object", Severity.ERROR, "a task log entry is not a JSON object"),
    Code("TC103", "missing-field", Severity.ERROR, "an entry lacks a required field"),
    Code("TC104", "wrong-type", Severity.ERROR, "a field has the wrong JSON type"),
    Code("TC105", "empty-field", Severity.ERROR, "a required field is empty"),
    Code("TC106", "unknown-field", Severity.WARNING, "an entry has a field the format does not define"),
    Code("TC107", "duplicate-key", Severity.ERROR, "a key appears twice in one entry"),
    Code("TC108", "invalid-date", Severity.ERROR, "a date is not an ISO `YYYY-MM-DD` calendar date"),
    Code("TC109", "future-date", Severity.WARNING, "a date lies in the future"),
    Code("TC110", "malformed-task-id", Severity.ERROR, "a task id is not of the form `task-<digits>`"),
    Code("TC111", "duplicate-task-id", Severity.ERROR, "two entries share a task id"),
    Code("TC112", "task-id-gap", Severity.INFO, "the task id sequence skips numbers"),
    Code("TC113", "path-outside-repo", Severity.ERROR, "an output path is absolute or escapes the repository"),
    Code("TC114", "missing-output-file", Severity.WARNING, "an output file does not exist"),
    Code("TC115", "duplicate-entry", Severity.WARNING, "an entry repeats another entry's content"),
    Code("TC200", "free-form-agents", Severity.INFO, "`AGENTS.md` holds free-form instructions, not a roster"),
    Code("TC201", "duplicate-agent", Severity.ERROR, "two roster sections define the same agent"),
    Code("TC202", "unknown-chain-target", Severity.ERROR, "an agent chains to an agent not in the roster"),
    Code("TC203", "chain-cycle", Severity.WARNING, "agents chain to each other in a cycle"),
    Code("TC204", "missing-prompt", Severity.WARNING, "a roster agent has no prompt file in `prompts/`"),
    Code("TC205", "invalid-agent-toml", Severity.ERROR, "a `.codex/agents/*.toml` file cannot be read"),
    Code("TC206", "unsafe-output", Severity.ERROR,
         "a roster `Output:` is absolute, escapes the repository or lies under `.git/`"),
    Code("TC207", "unknown-executor", Severity.ERROR, "a roster `Executor:` names no executor TechCat can run"),
    Code("TC300", "unknown-item-mark", Severity.WARNING, "a checklist item uses a mark other than ` `, `>` or `x`"),
    Code("TC301", "item-unknown-agent", Severity.ERROR, "a proposed task names an agent not in the roster"),
    Code("TC302", "item-unknown-task", Severity.ERROR, "a done item cites a task id that is not in the log"),
    Code("TC303", "done-without-task", Severity.INFO, "a done item cites no task id"),
    Code("TC401", "unknown-agent", Severity.ERROR, "a task log entry names an agent not in the roster"),
    Code("TC402", "unfilled-placeholder", Severity.WARNING, "a `{{PLACEHOLDER}}` is left outside `templates/`"),
    Code("TC403", "history-rewritten", Severity.ERROR, "an entry that is in git HEAD was changed or removed"),
    Code("TC404", "unlogged-commits", Severity.INFO, "commits since the newest logged task have no entry"),
    Code("TC405", "history-unavailable", Severity.INFO, "git could not run the history checks (TC403, TC404)"),
    Code("TC406", "entry-repaired", Severity.INFO, "an entry in git HEAD was repaired to its valid form"),
]

CODES: dict[str, Code] = {code.code: code for code in _ALL}


def severity_of(code: str) -> Severity:
    """The catalogue's severity of `code`; an uncatalogued code (a bug) fails loudly in the tests."""
    return CODES[code].severity

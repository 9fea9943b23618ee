"""The top bar: which workspace, which branch, and the five files with their diagnostic counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from techcat_core.diagnostics import Diagnostic, Severity
from techcat_core.workspace import CORE_FILES
from techcat_tui.paths import display_path

SHORT_NAMES = {"AGENTS.md": "AGENTS", "PRD.md": "PRD", "TASK-LOG.json": "TASK-LOG",
               "PROPOSED-TASKS.md": "PROPOSED", "ARCHITECTURE.md": "ARCH"}


def file_counts(diagnostics: list[Diagnostic], codex_dir: Path) -> dict[str, Counter[Severity]]:
    """Diagnostic counts per core file (other files of `.codex/` are left to the Problems view)."""
    counts: dict[str, Counter[Severity]] = {name: Counter() for name in CORE_FILES}
    for diagnostic in diagnostics:
        if diagnostic.path.parent == codex_dir and diagnostic.path.name in counts:
            counts[diagnostic.path.name][diagnostic.severity] += 1
    return counts


def file_chip(name: str, counts: Counter[Severity] | None, exists: bool, wide: bool) -> str:
    label = escape(name if wide else SHORT_NAMES.get(name, name))
    if not exists:
        return f"[$text-muted strike]{label}[/] [$text-warning]missing[/]"
    if counts is None:
        return f"{label} [$text-muted]…[/]"
    errors, warnings, notes = counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO]
    if not (errors or warnings or notes):
        return f"{label} [$text-success]✓[/]"
    parts = []
    if errors:
        parts.append(f"[$text-error]{errors}✗[/]")
    if warnings:
        parts.append(f"[$text-warning]{warnings}▲[/]")
    if notes and wide:
        parts.append(f"[$text-primary]{notes}i[/]")
    return f"{label} {' '.join(parts) or '[$text-primary]i[/]'}"


class WorkspaceBar(Vertical):
    """Two lines: identity (workspace, branch, state) and the file chips."""

    def compose(self) -> ComposeResult:
        yield Static("[b]TechCat[/b]", id="bar-identity")
        yield Static("", id="bar-files")

    def show(self, *, title: str, root: Path, branch: str | None, checking: bool, demo: bool,
             counts: dict[str, Counter[Severity]] | None, codex_dir: Path) -> None:
        wide = self.size.width >= 120
        branch_text = f"  [$text-muted]⎇[/] {escape(branch)}" if branch else ""
        state = "  [$text-muted]checking…[/]" if checking else ""
        badge = "  [$text-warning]demo copy[/] [$text-muted](deleted on exit)[/]" if demo else ""
        self.query_one("#bar-identity", Static).update(
            f"[b $text-accent]◆ TechCat[/]  [b]{escape(title)}[/] [$text-muted]{escape(display_path(root))}[/]"
            f"{branch_text}{badge}{state}")
        chips = [file_chip(name, counts.get(name) if counts else None, (codex_dir / name).exists(), wide)
                 for name in CORE_FILES]
        self.query_one("#bar-files", Static).update("  ".join(chips))

"""The check engine's modules import one way: catalogue → diagnostics → edits → fix writer → engine (issue 15).

A cycle (the catalogue needing the diagnostics it classifies, the fix writer needing the engine that calls
it) forces function-level imports to break it and makes every module load the others; grimp reads the
import statements, lazy ones included, so a cycle hidden inside a function is found too.
"""

from __future__ import annotations

import grimp
import pytest

# (importer, imported): the lower module must never reach the higher one, directly or through others.
LOWER_NEVER_IMPORTS_HIGHER = [
    ("techcat_core.codes", "techcat_core.diagnostics"),
    ("techcat_core.diagnostics", "techcat_core.engine"),
    ("techcat_core.edits", "techcat_core.engine"),
    ("techcat_core.edits", "techcat_core.fix_writer"),
    ("techcat_core.fix_writer", "techcat_core.engine"),
    ("techcat_core.history", "techcat_core.engine"),
    ("techcat_core.tasklog.rules", "techcat_core.engine"),
    ("techcat_core.tasklog.recheck", "techcat_core.engine"),
    ("techcat_core.tasklog.recheck", "techcat_core.rule_registry"),
    ("techcat_core.rule_registry", "techcat_core.engine"),
    # the workspace loader reads techcat.toml and Codex CLI's agents; both find the repository below it
    ("techcat_core.config", "techcat_core.workspace"),
    ("techcat_core.codex_agents", "techcat_core.workspace"),
    ("techcat_core.repository_root", "techcat_core.workspace"),
    ("techcat_core.roster", "techcat_core.workspace"),
    ("techcat_core.confine", "techcat_core.workspace"),
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("techcat_core")


@pytest.mark.parametrize(("lower", "higher"), LOWER_NEVER_IMPORTS_HIGHER)
def test_the_lower_module_does_not_import_the_higher(graph: grimp.ImportGraph, lower: str, higher: str) -> None:
    chain = graph.find_shortest_chain(importer=lower, imported=higher)
    assert chain is None, f"{lower} imports {higher} through {' → '.join(chain or ())}"


def test_the_catalogue_imports_no_module_of_the_project(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_directly_imported_by("techcat_core.codes") == set()


def test_the_repository_root_needs_only_the_confinement_rule(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_directly_imported_by("techcat_core.repository_root") == {"techcat_core.confine"}


def test_the_core_has_no_import_cycle(graph: grimp.ImportGraph) -> None:
    """No two core modules reach each other, lazily or not (the config/codex_agents ↔ workspace pairs were)."""
    cycles = sorted({tuple(sorted((module, imported))) for module in graph.modules
                     for imported in graph.find_modules_directly_imported_by(module)
                     if graph.find_shortest_chain(importer=imported, imported=module)})
    assert cycles == []

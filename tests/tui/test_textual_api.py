"""The TUI uses Textual's public API only, so textual is required as a range (`>=8.2.8,<9`), not one exact version.

Private modules (`textual.widgets._tabbed_content`) and private methods (`_on_tabs_tab_activated`, `_on_click`)
change between minor releases without notice; handlers with public names plus `prevent_default()` do the same.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import tomllib
from pathlib import Path

import techcat_tui

ROOT = Path(__file__).resolve().parents[2]
GENERATED = {"_decorated_handlers", "_reactives", "_inherit_css", "_inherit_bindings", "_inherit_component_classes",
             "_css_type_name", "_merged_bindings", "_css_type_names", "_computes"}  # set by Textual's metaclass


def test_no_private_textual_module_is_imported() -> None:
    found = []
    for path in (ROOT / "techcat_tui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names
                      if name.startswith("textual") and any(part.startswith("_") for part in name.split("."))]
    assert found == []


def test_no_private_textual_method_is_overridden() -> None:
    overridden = []
    for module_info in pkgutil.walk_packages(techcat_tui.__path__, "techcat_tui."):
        module = importlib.import_module(module_info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            textual_bases = [base for base in cls.__mro__[1:] if base.__module__.startswith("textual")]
            for attribute in cls.__dict__:
                if (attribute.startswith("_") and not attribute.startswith("__") and attribute not in GENERATED
                        and any(attribute in base.__dict__ for base in textual_bases)):
                    overridden.append(f"{module.__name__}.{name}.{attribute}")
    assert overridden == []


def test_textual_is_required_as_a_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    textual = [req for req in project["dependencies"] if req.startswith("textual") and "serve" not in req]
    assert textual == ["textual>=8.2.8,<9"]

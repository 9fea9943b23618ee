"""No front end reaches into another package's private names (issue 15 acceptance: "no front end imports ... the
engine's private helpers"). import-linter sees modules, not names, so this test reads every front end's imports:
`from techcat_core.x import _helper`, `import techcat_core.x._private` and `module._helper` on a module imported
from another package are all refused; within one package, private names are that package's own business."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("techcat_core", "techcat_cli", "techcat_tui", "techcat_lsp", "techcat_mcp")
FRONT_ENDS = ("techcat_cli", "techcat_tui", "techcat_lsp", "techcat_mcp")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path, package: str) -> list[str]:
    """Each private name of another TechCat package that `path` (in `package`) imports or reads, as `line: what`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    modules: set[str] = set()  # local names bound to another package's modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in PACKAGES and top != package:
                parts = node.module.split(".")
                found += [f"{node.lineno}: {node.module}" for part in parts if _private(part)][:1]
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{node.lineno}: {node.module}.{alias.name}")
                    modules.add(alias.asname or alias.name)  # may be a module: its attributes are checked below
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in PACKAGES and top != package:
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: {alias.name}")
                    modules.add(alias.asname or top)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_front_end_uses_another_packages_private_names() -> None:
    problems = [f"{path.relative_to(ROOT)}:{use}" for package in FRONT_ENDS
                for path in sorted((ROOT / package).rglob("*.py")) for use in private_uses(path, package)]
    assert problems == [], "private names used across packages:\n" + "\n".join(problems)


def test_the_check_itself_finds_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from techcat_core.engine import _keep_harmless, check_path\n"
                      "import techcat_core._hidden\n"
                      "from techcat_core import engine\n"
                      "from techcat_cli import _mine\n"
                      "engine._fix_key(1)\n"
                      "x = _local = 1\n", encoding="utf-8")
    assert private_uses(sample, "techcat_cli") == ["1: techcat_core.engine._keep_harmless",
                                                    "2: techcat_core._hidden", "5: engine._fix_key"]


def test_the_import_contracts_hold() -> None:
    """`lint-imports`: the core imports no front end, the front ends are independent, and the CLI reaches the
    others only through their launchers (pyproject.toml, [tool.importlinter])."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "broken" in result.stdout and ", 0 broken." in result.stdout

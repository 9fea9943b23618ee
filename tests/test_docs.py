"""`docs/diagnostics.md` documents exactly the codes in the catalogue, and its examples do what they say."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from techcat_core.codes import CODES
from techcat_core.engine import check_path, fix_workspace

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"
_HEADING = re.compile(r"^## (TC\d{3})\b(.*)$")
_META = re.compile(r"^\*\*Severity:\*\* (\w+) · \*\*Fix:\*\* (.+?)$(?=\n\n)", re.MULTILINE | re.DOTALL)
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CODEX_PATH = re.compile(r"`\.codex/([^`\s]+)`")

# Examples that need more than files: a missing file, git history.
NOT_EXECUTABLE = {"TC002": "shows a folder listing", "TC004": "needs a FIFO or a symbolic link",
                  "TC403": "needs git history", "TC404": "needs git history",
                  "TC405": "needs a shallow or damaged git repository",
                  "TC005": "shows a folder without TechCat's files", "TC006": "shows a folder listing",
                  "TC406": "needs git history"}

BASE_FILES = {
    "AGENTS.md": """# Agents

## Agent: `planner`

- **Role:** Task Forecaster
- **Goal:** Propose the next tasks.

Once complete, invoke `task_logger`.

## Agent: `frontend_specialist`

- **Role:** UI engineer
- **Goal:** Build pages.

Once complete, invoke `task_logger`.
""",
    "TASK-LOG.json": """[
  {
    "task_id": "task-001",
    "agent": "planner",
    "date": "2025-06-30",
    "summary": "Proposed the first tasks.",
    "output_files": [".codex/PROPOSED-TASKS.md"]
  }
]
""",
    "PROPOSED-TASKS.md": "# Proposed tasks\n\n- [ ] @planner Plan the next milestone\n",
    "PRD.md": "# Product requirements\n\n## Vision\n\nA food-ordering app.\n",
    "ARCHITECTURE.md": "# Architecture\n\n## Components\n\nA web app and an API.\n",
}
REPO_FILES = ("apps/web/home.tsx", "apps/web/settings.tsx")
SETUP: dict[str, dict[str, str]] = {"TC204": {"prompts/planner.md": "# planner\n\nPlan the next tasks.\n"}}
ENCODING = {"TC001": "cp1252"}  # the bad example is saved in this encoding


def _sections() -> list[tuple[str, str, str]]:
    """(code, the rest of the heading, the section body) for every `## TCnnn …` heading, in order.

    Headings inside fenced code blocks (the roster examples have `## Agent:` lines) do not count.
    """
    sections: list[tuple[str, str, list[str]]] = []
    in_fence = False
    for line in DOC.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            match = _HEADING.match(line)
            sections.append((match.group(1), match.group(2).strip(), []) if match else ("", "", []))
            continue
        if sections:
            sections[-1][2].append(line)
    return [(code, name, "".join(body)) for code, name, body in sections if code]


def test_every_code_has_a_section() -> None:
    headings = {code: name for code, name, _ in _sections()}
    missing = [f"## {c.code} {c.name}" for c in CODES.values() if headings.get(c.code) != c.name]
    assert not missing, f"docs/diagnostics.md lacks (or misnames) these headings: {missing}"


def test_every_section_is_a_code() -> None:
    sections = _sections()
    codes = [code for code, _, _ in sections]
    assert len(codes) == len(set(codes)), "a code has two sections"
    unknown = [f"## {code} {name}" for code, name, _ in sections
               if code not in CODES or CODES[code].name != name]
    assert not unknown, f"docs/diagnostics.md documents codes that are not in techcat_core/codes.py: {unknown}"


def test_sections_follow_catalogue_order() -> None:
    assert [code for code, _, _ in _sections()] == list(CODES)


@dataclass
class Example:
    code: str
    severity: str
    fix: str  # the **Fix:** line
    file: str  # relative to .codex/
    bad: str
    fixed_file: str
    fixed: str


def _example(code: str, body: str) -> Example:
    meta = _META.search(body)
    assert meta, f"{code}: no '**Severity:** … · **Fix:** …' line"
    part = body[body.index("### Example"):body.index("### Fix")]
    blocks = list(_FENCE.finditer(part))
    assert len(blocks) >= 2, f"{code}: the example needs a bad and a fixed version"

    def caption(block: re.Match[str]) -> str:
        before = part[:block.start()].rstrip().splitlines()
        return before[-1] if before else ""

    bad_path = _CODEX_PATH.search(caption(blocks[0]))
    assert bad_path, f"{code}: the example's caption names no `.codex/…` file"
    fixed_path = _CODEX_PATH.search(caption(blocks[1]))
    return Example(code, meta.group(1), " ".join(meta.group(2).split()), bad_path.group(1), blocks[0].group(2),
                   fixed_path.group(1) if fixed_path else bad_path.group(1), blocks[1].group(2))


def _executable_codes() -> list[str]:
    return [code for code, _, _ in _sections() if code not in NOT_EXECUTABLE]


def _workspace(root: Path, example: Example, fixed: bool) -> Path:
    codex = root / ".codex"
    for name, text in {**BASE_FILES, **SETUP.get(example.code, {})}.items():
        (codex / name).parent.mkdir(parents=True, exist_ok=True)
        (codex / name).write_text(text, encoding="utf-8")
    for name in REPO_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("export {};\n", encoding="utf-8")
    bad = codex / example.file
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(example.bad.encode(ENCODING.get(example.code, "utf-8")))
    if fixed:
        (codex / example.fixed_file).parent.mkdir(parents=True, exist_ok=True)
        (codex / example.fixed_file).write_text(example.fixed, encoding="utf-8")
    return codex


def test_every_section_has_its_parts() -> None:
    for code, _, body in _sections():
        for part in ("**Severity:**", "### What it does", "### Why is this bad?", "### Example", "### Fix"):
            assert part in body, f"{code}: no {part}"
        meta = _META.search(body)
        assert meta and meta.group(1) == CODES[code].severity.label, f"{code}: severity differs from the catalogue"


@pytest.mark.parametrize("code", _executable_codes())
def test_example(tmp_path: Path, code: str) -> None:
    example = _example(code, next(body for c, _, body in _sections() if c == code))
    bad = check_path(_workspace(tmp_path / "bad", example, fixed=False), git=False)
    found = [d for d in bad.diagnostics if d.code == example.code]
    assert found, f"the bad example does not raise {example.code}: {[d.code for d in bad.diagnostics]}"
    assert all(d.severity.label == example.severity for d in found)
    fixed = check_path(_workspace(tmp_path / "fixed", example, fixed=True), git=False)
    assert [(d.code, d.message) for d in fixed.diagnostics] == [], "the fixed example is not clean"

    first_fix = found[0].fixes[0] if found[0].fixes else None
    if example.fix.startswith("none"):
        assert first_fix is None, f"documented without a fix, but offers {first_fix}"
    elif example.fix.startswith("unsafe"):
        assert first_fix is not None and not first_fix.safe, "documented as an unsafe fix"
    else:
        assert example.fix.startswith("safe"), example.fix
        assert first_fix is not None and first_fix.safe, "documented as a safe fix"
        codex = tmp_path / "bad" / ".codex"
        result, applied = fix_workspace(codex)
        assert applied >= 1
        assert (codex / example.file).read_text(encoding="utf-8") == example.fixed, \
            "`techcat check --fix` does not produce the documented fixed version"
        assert result.diagnostics == []

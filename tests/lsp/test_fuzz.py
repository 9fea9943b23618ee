"""Thousands of random edits (broken JSON, non-ASCII, huge lines, whole-text replacements): the server keeps
answering, and its final diagnostics equal `check_workspace` (what `techcat check` runs) on the same text, and
at the end those of the real `techcat check --format json --no-git` run on that text written to disk."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from techcat_core.engine import check_workspace
from techcat_core.positions import Position, Range
from techcat_core.workspace import TASK_LOG, load_workspace
from tests.gitutil import techcat
from tests.lsp.helpers import Session, units

FRAGMENTS = ['"', ",", "{", "}", "[", "]", ":", "\n", "\r\n", " ", "x", "7", "é", "—", "“", "🐾", "\\", '\\"',
             '"task_id": "task-001", ', '"agent": "ghost"', '"date": "2025/07/01"', '"task-7"', '"../x"',
             '"apps/web/home.tsx"', '"summery": "typo", ', '"output_files": ["/abs", "apps/web/settings.tsx"]',
             '{"task_id": "task-050", "agent": "planner", "date": "2025-07-05", "summary": "s", "output_files": []},',
             '{"task_id": "task-002", "agent": "nobody", "date": "2031-01-01", "summary": "", "output_files": [1]},\n']


SEVERITY_LABELS = {lsp.DiagnosticSeverity.Error: "error", lsp.DiagnosticSeverity.Warning: "warning",
                   lsp.DiagnosticSeverity.Information: "info", lsp.DiagnosticSeverity.Hint: "hint"}


def seed_log(count: int) -> str:
    entries = [{"task_id": f"task-{n:03d}", "agent": ["planner", "frontend_specialist", "ghost"][n % 3],
                "date": f"2025-07-{1 + n % 28:02d}", "summary": f"Entry “{n}” — done 🐾",
                "output_files": ["apps/web/home.tsx"] if n % 4 else ["apps/web/missing.tsx"]}
               for n in range(1, count + 1)]
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


def random_edit(rng: random.Random, text: str) -> tuple[int, int, str]:
    roll = rng.random()
    start = rng.randint(0, len(text))
    if roll < 0.003:
        return start, start, "y" * rng.randint(20_000, 120_000)  # a huge line
    if roll < 0.2 or len(text) > 400_000:
        end = min(len(text), start + rng.choice([1, 2, 8, 60, 200_000 if len(text) > 400_000 else 4]))
        return start, end, ""
    end = min(len(text), start + rng.choice([0, 0, 0, 1, 3]))
    return start, end, rng.choice(FRAGMENTS)


def client_range(text: str, rng_: object, encoding: str) -> tuple[int, int, int, int]:
    lines = text.split("\n")

    def convert(line: int, character: int) -> tuple[int, int]:
        source = lines[line] if line < len(lines) else ""
        return line, units(source[:character], encoding)

    start, end = rng_.start, rng_.end  # type: ignore[attr-defined]
    return (*convert(start.line, start.character), *convert(end.line, end.character))


@pytest.mark.parametrize(("profile", "steps"), [("vscode", 2000), ("neovim", 1200)])
async def test_random_edits_end_in_the_same_diagnostics_as_techcat_check(
        profile: str, steps: int, repo: Path, client: LanguageClient) -> None:
    session = Session(client, profile, repo)
    await session.start()
    try:
        rng = random.Random(f"fuzz-{profile}")
        log_path = session.codex / TASK_LOG
        text = seed_log(40)
        target = session.open(log_path, text)
        assert session.texts is not None and session.versions is not None
        for step in range(steps):
            if rng.random() < 0.01:  # the editor sends the whole text (a reload, a formatter)
                text = seed_log(rng.randint(0, 30)) if rng.random() < 0.8 else rng.choice([text[: len(text) // 2], "",
                                                                                           "{]"])
                session.texts[target] = text
                session.versions[target] += 1
                session.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(session.versions[target], target),
                    [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
                continue
            for _ in range(1 if rng.random() < 0.8 else 3):  # sometimes several changes in one notification
                start, end, insert = random_edit(rng, session.texts[target])
                session.edit(target, start, end, insert)
            if step % 150 == 0:  # it keeps answering requests as it goes
                hover = await session.client.text_document_hover_async(lsp.HoverParams(
                    lsp.TextDocumentIdentifier(target), lsp.Position(rng.randint(0, 50), rng.randint(0, 40))))
                assert hover is None or isinstance(hover, lsp.Hover)
                if session.pull:
                    await session.diagnostics(target)
            if step % 400 == 399 or step == steps - 1:
                await _same_as_check(session, target, log_path)
        await _same_as_the_techcat_check_command(session, target, log_path)
    finally:  # a failure must still end the server: pytest-lsp waits for it to exit
        await session.client.shutdown_session()


async def _same_as_check(session: Session, target: str, log_path: Path) -> None:
    assert session.texts is not None
    text = session.texts[target]
    found = await session.diagnostics(target, timeout=60)
    ws = load_workspace(session.codex, overrides={log_path.resolve(): text})
    expected = [d for d in check_workspace(ws, git=False).diagnostics if d.path == log_path.resolve()]
    got = sorted((str(d.code), d.message, (d.range.start.line, d.range.start.character, d.range.end.line,
                                           d.range.end.character)) for d in found)
    want = sorted((d.code, d.message, client_range(text, d.range, session.encoding)) for d in expected)
    assert got == want
    print(f"{session.profile}: {len(got)} diagnostics on {len(text)} characters: {sorted({g[0] for g in got})}")


async def _same_as_the_techcat_check_command(session: Session, target: str, log_path: Path) -> None:
    """The real command, as a user runs it, on the final text written to disk: the same diagnostics."""
    assert session.texts is not None
    text = session.texts[target]
    found = await session.diagnostics(target, timeout=60)
    log_path.write_bytes(text.encode("utf-8"))  # exactly the buffer: no newline translation
    result = techcat("check", "--format", "json", "--no-git", cwd=session.root)
    assert "Traceback" not in result.stderr, result.stderr
    payload = json.loads(result.stdout)
    rel = log_path.relative_to(session.root).as_posix()
    want = sorted((d["code"], d["severity"], d["message"], client_range(text, _core_range(d["range"]),
                                                                           session.encoding))
                  for d in payload["diagnostics"] if d["path"] == rel)
    got = sorted((str(d.code), SEVERITY_LABELS[d.severity] if d.severity else "", d.message,
                  (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character))
                 for d in found)
    assert got == want
    assert result.returncode == (1 if payload["summary"]["error"] else 0)
    print(f"{session.profile}: `techcat check` agrees on {len(want)} diagnostics")


def _core_range(data: dict[str, dict[str, int]]) -> Range:
    return Range(Position(data["start"]["line"], data["start"]["character"]),
                 Position(data["end"]["line"], data["end"]["character"]))

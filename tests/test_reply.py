"""Reading a reply as files (issue 12 §1): `<think>` dropped, prose around one block not written, CommonMark
fences, Markdown files with inner code blocks kept whole; end to end through the local test server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runtime import events as ev
from techcat_core.runtime.reply import fenced_files, single_file_content, strip_thinking
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import FakeOpenAI
from tests.wsbuilder import AGENTS_MD, make_workspace

FILE = "# Proposed\n\n- [ ] @planner Plan the beta\n"
DOC_WITH_CODE = "# Notes\n\nRun it:\n\n```sh\nmake test\n```\n\nThen ship.\n"


@pytest.mark.parametrize("reply, expected", [
    (FILE, FILE),
    (f"```markdown\n{FILE}```\n", FILE),
    (f"Here is the updated file:\n\n```markdown\n{FILE}```\n", FILE),
    (f"Here is the updated file:\n\n```\n{FILE}```\n\nLet me know if you want changes.\n", FILE),
    (f"```md\n{FILE}```\nI made these changes:\n- added the beta\n- kept the rest\n", FILE),
    (DOC_WITH_CODE, DOC_WITH_CODE),  # a Markdown file holding a code block is not cut to the block
    (f"Updated:\n\n```markdown\n{DOC_WITH_CODE}```\n", DOC_WITH_CODE),  # same-length inner fences balance
    (f"````markdown\n{DOC_WITH_CODE}````\n", DOC_WITH_CODE),
    ("Setup:\n\n```sh\nmake test\n```\n", "Setup:\n\n```sh\nmake test\n```\n"),  # a code block, not a wrapper
    ("# Title\n\n```\nx\n```\n", "# Title\n\n```\nx\n```\n"),
])
def test_single_markdown_file(reply: str, expected: str) -> None:
    assert single_file_content(reply, ".codex/PROPOSED-TASKS.md") == expected


def test_single_code_file() -> None:
    code = "def main() -> None:\n    print('hi')\n"
    assert single_file_content(f"Here is the script:\n\n```python\n{code}```\n\nRun it with python.\n",
                               "tools/run.py") == code
    assert single_file_content(f"```python\n{code}```", "tools/run.py") == code
    assert single_file_content(code, "tools/run.py") == code
    assert single_file_content(f"```python\n{code}", "tools/run.py") == code  # a fence never closed runs to the end


@pytest.mark.parametrize("reply, expected", [
    ("<think>The user wants a plan.\nLet me think.</think>\n\nPlanned.\n", "Planned.\n"),
    ("<think>a</think><think>b</think>Done.", "Done."),
    ("I should plan first.\n</think>\nPlanned.\n", "Planned.\n"),  # the template opened it in the prompt
    ("Planned.\n\nThe `<think>` tag is explained in the docs.\n", "Planned.\n\nThe `<think>` tag is explained in "
                                                                  "the docs.\n"),
])
def test_strip_thinking(reply: str, expected: str) -> None:
    assert strip_thinking(reply) == expected


def test_fenced_files_as_commonmark() -> None:
    reply = ("Built two files.\n\n"
             "```tsx path=apps/web/a.tsx\nconst a = '```'\n```\n\n"  # a fence in a string is not a closing fence
             "File: docs/guide.md\n```markdown\n# Guide\n\n```python\nprint(1)\n```\n\nEnd.\n```\n\n"
             "~~~ts apps/web/b.ts\nexport {}\n~~~\n")
    assert fenced_files(reply) == [
        ("apps/web/a.tsx", "const a = '```'\n"),
        ("docs/guide.md", "# Guide\n\n```python\nprint(1)\n```\n\nEnd.\n"),
        ("apps/web/b.ts", "export {}\n"),
    ]


async def _collect(codex: Path, request: RunRequest) -> list[Any]:
    return [event async for event in run_agent(codex, request)]


def _env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"}


async def test_a_reasoning_models_think_block_is_in_no_file_and_no_summary(tmp_path: Path,
                                                                          fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue("<think>\nThe plan needs a beta item; I will keep it short.\n</think>\n\n"
                      "Here is the updated file:\n\n```markdown\n" + FILE + "```\n")
    events = await _collect(codex, RunRequest("planner", "Plan the beta", env=_env(fake_openai), chain=False))
    assert (codex / "PROPOSED-TASKS.md").read_text() == FILE
    entry = next(e.entry for e in events if isinstance(e, ev.Logged))
    assert "think" not in json.dumps(entry).lower() and "beta item" not in entry["summary"]
    assert "<think>" not in next(e for e in events if isinstance(e, ev.RunFinished)).reply


async def test_a_markdown_file_with_an_inner_block_is_written_whole(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    agents = AGENTS_MD + "\n## Agent: `writer`\n\n- **Role:** Writes notes\n- **Output:** docs/notes.md\n"
    codex = make_workspace(tmp_path, agents=agents)
    fake_openai.queue(f"Updated the notes:\n\n```markdown\n{DOC_WITH_CODE}```\n\nShall I add more?\n")
    await _collect(codex, RunRequest("writer", "Write notes", env=_env(fake_openai), chain=False))
    assert (tmp_path / "docs/notes.md").read_text() == DOC_WITH_CODE

"""`techcat run` against the local OpenAI-compatible server when the model names a file no file system can hold:
a name too long, a NUL, a lone surrogate; never a traceback: what cannot be written is refused in one sentence, and a
NUL or an unpaired surrogate escape reads as U+FFFD."""

from __future__ import annotations

from pathlib import Path

import pytest

from techcat_core.confine import path_problem, write_problem
from tests.fake_openai import FakeOpenAI
from tests.gitutil import init_repo, techcat
from tests.wsbuilder import AGENTS_MD, make_workspace

ROSTER = AGENTS_MD + """
## Agent: `web`

- **Role:** Writes the web app
- **Output:** apps/web/**
"""


@pytest.mark.parametrize("path", ["apps/web/" + "x" * 5000 + ".tsx", "apps/web/" + "d/" * 3000 + "x.tsx",
                                  "apps/web/a\x00b.tsx", "apps/web/\ud800.tsx"])
def test_a_reply_naming_an_impossible_file_is_refused_in_one_sentence(tmp_path: Path, fake_openai: FakeOpenAI,
                                                                      path: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    init_repo(repo)
    codex = make_workspace(repo, agents=ROSTER)
    log_before = (codex / "TASK-LOG.json").read_bytes()
    fake_openai.queue(f"Wrote files.\n\n```tsx path=apps/web/ok.tsx\nok\n```\n\n```tsx path={path}\nbad\n```\n")
    result = techcat("run", "web", "Write", cwd=repo, env={
        "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test", "OPENAI_MODEL": "gpt-test"})
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    if "\x00" in path or "\ud800" in path:  # read as U+FFFD (CommonMark does so for NUL), an ordinary odd name
        written = repo / path.replace("\x00", "\ufffd").replace("\ud800", "\ufffd" * 3)
        assert result.returncode == 0 and written.read_text() == "bad\n", result.stderr
        return
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "nothing was written" in result.stderr and len(result.stderr) < 2_000
    assert (codex / "TASK-LOG.json").read_bytes() == log_before
    assert not (repo / "apps/web/ok.tsx").exists()


@pytest.mark.parametrize("path", ["apps/web/\ud800.tsx", "apps/web/caf\udce9.tsx", "\udfff"])
def test_the_confinement_rule_refuses_a_lone_surrogate(path: str) -> None:
    """No file name can hold one as UTF-8 (a byte that is not UTF-8 arrives as \\udcXX, PEP 383)."""
    assert path_problem(path) == "contains a lone surrogate (a `\\ud800`-style escape), which no file name can hold"
    assert write_problem(path) == path_problem(path)
    assert path_problem("apps/web/\U0001f600.tsx") is None  # a pair is an ordinary character

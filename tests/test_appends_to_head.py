"""`appends_to_head`: the append-only rule's shortcut never hides a finding, and takes the common cases.

Each case commits a HEAD version of the log in a real repository and asks about a current text; where the
shortcut says "only appends", the core's own `append_only_rule` on HEAD's whole text must find nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from techcat_core.appends_to_head import TAIL_LIMIT, appends_to_head
from techcat_core.gitops import file_at_head
from techcat_core.history import append_only_rule
from techcat_core.tasklog.parse import parse_task_log
from techcat_core.workspace import load_workspace
from tests.gitutil import commit_all, git, init_repo
from tests.wsbuilder import AGENTS_MD, PROPOSED_MD, make_workspace


def _entry(number: int, summary: str = "Did a thing") -> dict[str, object]:
    return {"task_id": f"task-{number:03d}", "agent": "planner", "date": "2025-07-01", "summary": summary,
            "output_files": []}


def _log(*entries: dict[str, object]) -> str:
    return json.dumps(list(entries), indent=2, ensure_ascii=False) + "\n"


HEAD_LOG = _log(_entry(1), _entry(2, "Café — “quoted” 🐾"))


def _repo(tmp_path: Path, head: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root)
    make_workspace(root, log=head, agents=AGENTS_MD, proposed=PROPOSED_MD)
    commit_all(root, "workspace")
    return root / ".codex" / "TASK-LOG.json"


def _rule_finds(log_path: Path, text: str) -> list[str]:
    """What the core's append-only rule says about `text`, reading HEAD's whole log as it always did."""
    head = file_at_head(log_path)
    assert head is not None
    ws = load_workspace(log_path.parent)
    return [d.code for d in append_only_rule(ws, parse_task_log(text, log_path), head)]


APPENDED = HEAD_LOG.rstrip()[:-1].rstrip() + ",\n  " + json.dumps(_entry(3)) + "\n]\n"


@pytest.mark.parametrize(("current", "expected"), [
    (HEAD_LOG, True),  # HEAD's own text
    (APPENDED, True),  # an entry appended
    (HEAD_LOG.rstrip("\n"), True),  # only the whitespace after the closing bracket differs
    (HEAD_LOG.rstrip()[:-1].rstrip() + "\n", True),  # the closing bracket removed (the log is invalid; TC100 says so)
    (HEAD_LOG.replace("task-002", "task-020"), False),  # a committed entry changed
    (HEAD_LOG.replace("🐾", "🐈"), False),  # a change inside a non-ASCII summary
    (_log(_entry(1)), False),  # the last committed entry removed
    (HEAD_LOG.replace("\n", "\r\n"), False),  # every line ending changed
    ("[\n]\n", False),  # everything removed
])
def test_only_appends_are_taken_and_the_rule_agrees(tmp_path: Path, current: str, expected: bool) -> None:
    log_path = _repo(tmp_path, HEAD_LOG)
    assert appends_to_head(log_path, current) is expected
    if expected:
        assert _rule_finds(log_path, current) == []


def test_an_empty_or_invalid_head_is_never_compared(tmp_path: Path) -> None:
    log_path = _repo(tmp_path, "[]\n")
    assert appends_to_head(log_path, _log(_entry(1)))
    assert _rule_finds(log_path, _log(_entry(1))) == []


def test_nothing_to_compare_with_answers_false(tmp_path: Path) -> None:
    plain = tmp_path / "plain" / ".codex" / "TASK-LOG.json"  # no repository at all
    plain.parent.mkdir(parents=True)
    plain.write_text(HEAD_LOG, encoding="utf-8")
    assert not appends_to_head(plain, HEAD_LOG)
    root = tmp_path / "fresh"
    root.mkdir()
    init_repo(root)  # a repository without commits
    make_workspace(root, log=HEAD_LOG, agents=AGENTS_MD, proposed=PROPOSED_MD)
    assert not appends_to_head(root / ".codex" / "TASK-LOG.json", HEAD_LOG)
    log_path = _repo(tmp_path, HEAD_LOG)
    other = log_path.with_name("OTHER.json")  # a file HEAD does not have
    assert not appends_to_head(other, HEAD_LOG)


def test_a_lone_surrogate_or_a_long_rest_of_head_answers_false(tmp_path: Path) -> None:
    log_path = _repo(tmp_path, HEAD_LOG)
    assert not appends_to_head(log_path, HEAD_LOG.replace("Café", "Caf\ud800"))
    padded = HEAD_LOG.rstrip()[:-1] + " " * (TAIL_LIMIT + 10) + "]\n"  # valid JSON, but too much to look at
    log_path.write_text(padded, encoding="utf-8")
    commit_all(log_path.parents[1], "padded")
    assert not appends_to_head(log_path, HEAD_LOG.rstrip()[:-1].rstrip() + "\n]\n")


def test_a_damaged_head_answers_false_so_the_rule_can_say_why(tmp_path: Path) -> None:
    log_path = _repo(tmp_path, HEAD_LOG)
    root = log_path.parents[1]
    sha = git(root, "rev-parse", "HEAD").strip()
    (root / ".git" / "objects" / sha[:2] / sha[2:]).unlink()
    assert not appends_to_head(log_path, HEAD_LOG)


def test_a_log_bigger_than_a_chunk_is_streamed(tmp_path: Path) -> None:
    head = _log(*(_entry(n, "x" * 200) for n in range(1, 12_000)))  # ~3.5 MB: several chunks
    log_path = _repo(tmp_path, head)
    appended = head.rstrip()[:-1].rstrip() + ",\n  " + json.dumps(_entry(12_000)) + "\n]\n"
    assert appends_to_head(log_path, head)
    assert appends_to_head(log_path, appended)
    assert not appends_to_head(log_path, head.replace('"task-6000"', '"task-6001"', 1))  # a change mid-log
    assert not appends_to_head(log_path, head[:-5])


def test_random_edits_never_hide_a_finding(tmp_path: Path) -> None:
    """Soundness on random edits of HEAD's text: whenever the shortcut answers True, the rule finds nothing."""
    log_path = _repo(tmp_path, HEAD_LOG)
    rng = random.Random(15)
    pieces = ["", " ", "\n", "]", ",", "}", "{", '"', "x", "é", "\r\n", "[", ' {"task_id": "task-009"}']
    taken = 0
    for _ in range(150):
        text = HEAD_LOG
        for _ in range(rng.randint(1, 3)):
            start = rng.randrange(len(text) + 1)
            end = min(len(text), start + rng.randint(0, 4))
            text = text[:start] + rng.choice(pieces) + text[end:]
        if appends_to_head(log_path, text):
            taken += 1
            assert _rule_finds(log_path, text) == [], repr(text)
    assert taken > 0  # edits after the last entry (or none) are taken

"""A property test of the merge driver over random branch histories in real git repositories.

Two or three branches append, edit and delete entries and merge each other in random order (fast-forwards,
criss-cross merges and all). A simple model says what each branch's log must hold: every entry the branch
has seen, once, in its latest version, minus the deleted ones. Each entry is changed at most once, by the
branch that created it, so no history here is a real conflict and every merge must succeed.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.tasklog.merge import register_merge_driver
from techcat_core.tasklog.store import append_entry
from tests.gitutil import GIT_ENV, commit_all, git, init_repo
from tests.wsbuilder import make_workspace

BRANCHES = ("main", "b1", "b2")
ORDER = {"new": 0, "edited": 1, "deleted": 1}  # the states of one entry; the two changes never meet


@dataclass
class Model:
    """What each branch must hold: entry number → "new", "edited" or "deleted"."""

    views: dict[str, dict[int, str]] = field(default_factory=dict)
    owner: dict[int, str] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)

    def merge(self, into: str, other: str) -> None:
        view, incoming = self.views[into], self.views[other]
        for uid, state in incoming.items():
            if uid not in view or ORDER[state] > ORDER[view[uid]]:
                view[uid] = state

    def expected(self, branch: str) -> list[str]:
        return sorted(f"e{uid}" + (" edited" if state == "edited" else "")
                      for uid, state in self.views[branch].items() if state != "deleted")

    def changeable(self, branch: str) -> list[int]:
        return sorted(uid for uid, state in self.views[branch].items()
                      if self.owner[uid] == branch and state == "new" and uid not in self.changed)


KINDS = ("append", "append", "append", "edit", "delete", "merge", "merge", "merge", "merge")


def _log_path(root: Path) -> Path:
    return root / ".codex" / "TASK-LOG.json"


def _summaries(root: Path) -> list[str]:
    entries = json.loads(_log_path(root).read_text())
    ids = [e["task_id"] for e in entries]
    assert len(ids) == len(set(ids)), ids
    return sorted(e["summary"] for e in entries if not e["summary"].startswith("Did task number"))


def _rewrite(root: Path, summary: str, new_summary: str | None) -> None:
    """An edit (new summary) or a deletion (None) of one entry, written as a person would."""
    path = _log_path(root)
    entries = json.loads(path.read_text())
    at = next(i for i, e in enumerate(entries) if e["summary"] == summary)
    if new_summary is None:
        entries.pop(at)
    else:
        entries[at]["summary"] = new_summary
    path.write_text(json.dumps(entries, indent=2) + "\n")


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 3), st.integers(0, 2**32))
def test_random_histories_keep_every_entry_exactly_once(branch_count: int, seed: int) -> None:
    rng = random.Random(seed)  # uniform histories: Hypothesis' own draws favour one branch and short lists
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        init_repo(root)
        make_workspace(root)
        register_merge_driver(root)
        commit_all(root, "start")
        branches = BRANCHES[:branch_count]
        for name in branches[1:]:
            git(root, "branch", name)
        model = Model({name: {} for name in branches})
        current = "main"
        for step in range(22):
            kind, pick = rng.choice(KINDS), rng.randrange(1000)
            branch, other = rng.sample(branches, 2)
            if branch != current:
                git(root, "checkout", "-q", branch)
                current = branch
            if kind == "append":
                uid = step
                append_entry(root / ".codex", "planner", f"e{uid}", date=f"2025-07-{10 + pick % 3}")
                model.views[branch][uid] = "new"
                model.owner[uid] = branch
                commit_all(root, f"append e{uid}")
            elif kind in ("edit", "delete"):
                candidates = model.changeable(branch)
                if not candidates:
                    continue
                uid = candidates[pick % len(candidates)]
                _rewrite(root, f"e{uid}", f"e{uid} edited" if kind == "edit" else None)
                model.views[branch][uid] = "edited" if kind == "edit" else "deleted"
                model.changed.add(uid)
                commit_all(root, f"{kind} e{uid}")
            else:
                merged = subprocess.run(["git", "merge", "--no-edit", other], cwd=root, env=GIT_ENV,
                                        capture_output=True, text=True, check=False)
                assert merged.returncode == 0, merged.stdout + merged.stderr
                model.merge(branch, other)
            assert _summaries(root) == model.expected(branch), (seed, step, kind, branch, other)
        for name in branches:
            git(root, "checkout", "-q", name)
            assert _summaries(root) == model.expected(name)

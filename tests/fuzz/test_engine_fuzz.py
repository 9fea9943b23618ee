"""5,000 mutated task logs, rosters, checklists and configs through the engine in-process, on a real
workspace in a real git repository: none may raise, take 10 s, or break the JSON, text or GitHub report,
and no log that `json.loads` refuses may pass without its TC100 (TC001 when it is not UTF-8)."""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from techcat_cli.render import render_github, render_json, render_text
from techcat_core.engine import check_workspace
from techcat_core.workspace import load_workspace
from tests.fuzz.mutations import FILE_OF, KINDS, REALWORLD, json_loads_rejects, mutate, realworld_seed_count, seeds
from tests.gitutil import commit_all, init_repo
from tests.wsbuilder import make_workspace

CASES = 5_000
WORKERS = 2
SEED = 20261204
GIT_EVERY = 100  # one case in a hundred also runs the checks that read git history
WEIGHTS = {"log": 5, "roster": 3, "checklist": 3, "config": 1}
MAX_SECONDS = 10.0
# What a refused log must be reported as, by why `json.loads` refused it (TC004: too big to read at all).
EXPECTED = {"json": {"TC100", "TC004"}, "utf-8": {"TC001", "TC100", "TC004"}}


def _workspace(root: Path) -> Path:
    root.mkdir()
    init_repo(root)
    codex = make_workspace(root, extra={"techcat.toml": seeds()["config"][0].decode()})
    commit_all(root, "a clean workspace")
    return codex


def run_shard(shard: int, cases: int, root: Path) -> tuple[list[str], tuple[float, str]]:
    """`cases` seeded cases on a workspace of their own; the failures (with what reproduces each) and the
    slowest check. Module-level, so that a worker process can run it."""
    codex = _workspace(root)
    pool = seeds()
    originals = {kind: (codex / FILE_OF[kind]).read_bytes() for kind in KINDS}
    rng = random.Random(f"engine-{SEED}-{shard}")
    failures: list[str] = []
    slowest = (0.0, "")
    for case in range(cases):
        kind = rng.choices(KINDS, weights=[WEIGHTS[k] for k in KINDS])[0]
        data, names = mutate(rng, rng.choice(pool[kind]))
        path = codex / FILE_OF[kind]
        path.write_bytes(data)
        where = f"shard {shard} case {case} ({kind}: {'+'.join(names)}, {len(data):,} bytes, starts {data[:60]!r})"
        started = time.perf_counter()
        try:
            result = check_workspace(load_workspace(codex), git=case % GIT_EVERY == 0)
            reports = (render_json(result, codex.parent), render_text(result, codex.parent),
                       render_github(result, codex.parent))
            for report in reports:
                report.encode("utf-8")  # strict: every report can be written as UTF-8
            json.loads(reports[0])
        except Exception as error:  # the finding: record it with what reproduces it, and go on
            failures.append(f"{where}: {type(error).__name__}: {str(error)[:200]}")
            path.write_bytes(originals[kind])
            continue
        elapsed = time.perf_counter() - started
        slowest = max(slowest, (elapsed, where))
        if elapsed > MAX_SECONDS:
            failures.append(f"{where}: took {elapsed:.1f} s")
        if kind == "log" and (why := json_loads_rejects(data)) is not None:
            found = {d.code for d in result.diagnostics if d.path.name == FILE_OF["log"]}
            if not found & EXPECTED[why]:
                failures.append(f"{where}: json.loads refuses it ({why}) but the check reported {sorted(found)}")
        path.write_bytes(originals[kind])
    return failures, slowest


def test_the_engine_survives_thousands_of_mutated_files(tmp_path: Path) -> None:
    """Two worker processes (the CI machine has two cores), each with a workspace and a seed of its own."""
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork")) as workers:
        shards = list(workers.map(run_shard, range(WORKERS), [CASES // WORKERS] * WORKERS,
                                  [tmp_path / f"repo-{n}" for n in range(WORKERS)]))
    failures = [failure for found, _ in shards for failure in found]
    seconds, slowest = max(s for _, s in shards)
    print(f"{CASES} cases, {realworld_seed_count()} real-world seeds; the slowest took {seconds:.2f} s: {slowest}")
    assert not failures, f"{len(failures)} of {CASES} cases failed:\n" + "\n".join(failures[:15])


def test_the_real_world_seeds_are_used() -> None:
    if not REALWORLD.is_dir():
        pytest.skip(f"{REALWORLD} is absent on this machine: the fuzz cases use the built-in seeds only")
    assert realworld_seed_count() >= 5

"""200 mutated workspaces through the real `techcat check --format json` (subprocesses, two at a time):
stdout is always one valid UTF-8 JSON document, the exit code is 0, 1 or 2 and agrees with the report,
nothing is a traceback, nothing takes 10 s, and a log `json.loads` refuses is never passed. Some cases
also mangle the command line itself (bytes that are not UTF-8, unknown flags)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.fuzz.mutations import FILE_OF, KINDS, json_loads_rejects, mutate, seeds
from tests.gitutil import GIT_ENV, commit_all, init_repo
from tests.wsbuilder import make_workspace

CASES = 200
WORKERS = 2
MAX_SECONDS = 10.0
EXPECTED = {"json": {"TC100", "TC004"}, "utf-8": {"TC001", "TC100", "TC004"}}
ODD_ARGS: list[list[bytes]] = [[b"--no-git"], [b"--no-git", b"--strict"], [b"--no-git", b"--no-such-flag"],
                               [b"--no-git", b"-w", b"caf\xe9"], [b"--no-git", b"-w", b"\xff\xfe"],
                               [b"--no-git", b"--format", b"yaml"], [b"--no-git", b"extra-argument"]]


def _case(shard_root: Path, rng: random.Random, pool: dict[str, list[bytes]], number: int) -> str | None:
    """One case in its worker's workspace; the failure, if any, with what reproduces it."""
    codex = shard_root / ".codex"
    kind = rng.choice(KINDS)
    data, names = mutate(rng, rng.choice(pool[kind]))
    path = codex / FILE_OF[kind]
    original = path.read_bytes()
    path.write_bytes(data)
    extra = rng.choice(ODD_ARGS) if rng.random() < 0.15 else [b"--no-git"]
    where = f"case {number} ({kind}: {'+'.join(names)}, args {extra}, {len(data):,} bytes, starts {data[:50]!r})"
    try:
        result = subprocess.run([os.fsencode(sys.executable), b"-m", b"techcat_cli.main", b"check", b"--format",
                                 b"json", *extra], cwd=shard_root, env=GIT_ENV, capture_output=True,
                                timeout=MAX_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return f"{where}: no answer within {MAX_SECONDS} s"
    finally:
        path.write_bytes(original)
    if result.returncode not in (0, 1, 2) or b"Traceback" in result.stderr:
        return f"{where}: exit {result.returncode}, stderr {result.stderr[-300:]!r}"
    try:
        payload = json.loads(result.stdout.decode("utf-8"))
    except ValueError as error:
        return f"{where}: stdout is not UTF-8 JSON ({error}): {result.stdout[:200]!r}"
    if "error" in payload:
        return None if result.returncode == 2 and payload["error"]["exitCode"] == 2 else f"{where}: {payload}"
    errors = payload["summary"]["error"]
    strict = b"--strict" in extra and (payload["summary"]["warning"] or payload["summary"]["info"])
    if result.returncode != (1 if errors or strict else 0):
        return f"{where}: exit {result.returncode} but the report counts {payload['summary']}"
    if kind == "log" and (why := json_loads_rejects(data)) is not None:
        found = {d["code"] for d in payload["diagnostics"] if d["path"].endswith(FILE_OF["log"])}
        if not found & EXPECTED[why]:
            return f"{where}: json.loads refuses it ({why}) but the check reported {sorted(found)}"
    return None


def _shard(root: Path, shard: int) -> list[str]:
    init_repo(root)
    make_workspace(root, extra={"techcat.toml": seeds()["config"][0].decode()})
    commit_all(root, "a clean workspace")
    rng = random.Random(f"cli-20261204-{shard}")
    pool = seeds()
    found = [_case(root, rng, pool, number) for number in range(CASES // WORKERS)]
    return [f"shard {shard} {failure}" for failure in found if failure]


def test_the_cli_always_answers_in_json_with_a_meaningful_exit_code(tmp_path: Path) -> None:
    roots = [tmp_path / f"repo-{n}" for n in range(WORKERS)]
    for root in roots:
        root.mkdir()
    with ThreadPoolExecutor(WORKERS) as workers:
        failures = [failure for found in workers.map(_shard, roots, range(WORKERS)) for failure in found]
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
    assert not failures, f"{len(failures)} of {CASES} cases failed:\n" + "\n".join(failures[:10])

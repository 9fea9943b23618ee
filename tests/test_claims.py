"""Each queued item runs once, however many runners there are (issue 12 §2): claims, real processes, real daemons."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict, replace
from pathlib import Path

from techcat_core.runtime.claims import LocalClaims, item_open
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import GIT_ENV
from tests.wsbuilder import make_workspace

ITEM = "@frontend_specialist Build the settings page"


def test_one_claim_at_a_time_and_free_again_after_release(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    mine, theirs = LocalClaims(codex, owner="me"), LocalClaims(codex, owner="them")
    claim = mine.claim(ITEM)
    assert claim is not None and claim.owner == "me" and claim.item == ITEM
    assert theirs.claim(ITEM) is None
    assert theirs.holder(ITEM) == claim
    assert theirs.claim("@planner Another item") is not None  # claims are per item
    renewed = mine.renew(claim)
    assert renewed is not None and renewed.lease_until >= claim.lease_until and renewed.claimed_at == claim.claimed_at
    theirs.release(claim)  # only the owner's release counts
    assert theirs.claim(ITEM) is None
    mine.release(claim)
    assert theirs.claim(ITEM) is not None


def test_an_expired_lease_or_a_dead_owner_frees_the_claim(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    mine, theirs = LocalClaims(codex, owner="me"), LocalClaims(codex, owner="them")
    claim = mine.claim(ITEM)
    assert claim is not None
    record = mine._path(ITEM)
    elsewhere = replace(claim, host="another-machine", lease_until=time.time() + 60)
    record.write_text(json.dumps(asdict(elsewhere)))
    assert theirs.claim(ITEM) is None  # another machine's live lease holds
    record.write_text(json.dumps(asdict(replace(elsewhere, lease_until=time.time() - 1))))
    assert theirs.claim(ITEM) is not None  # its lease ran out: free
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record.write_text(json.dumps(asdict(replace(claim, pid=int(gone.stdout), lease_until=time.time() + 60))))
    assert theirs.claim(ITEM) is not None  # its owner on this host is no longer running
    lost = mine.renew(claim)
    assert lost is None  # someone else holds it now: the heartbeat says the claim was lost
    record.write_text("{not json")
    assert mine.claim(ITEM) is not None  # a broken record holds nothing


def test_racing_processes_get_one_claim(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from techcat_core.runtime.claims import LocalClaims
        claims = LocalClaims(Path({str(codex)!r}))
        print("ready", flush=True)
        while not Path({str(go)!r}).exists():  # one file tells every racer at once
            time.sleep(0.001)
        print("won" if claims.claim({ITEM!r}) else "lost", flush=True)
        sys.stdin.read()  # stay alive, so the claim stays held, until every racer has tried
    """)
    racers = [subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=Path.cwd()) for _ in range(6)]
    streams = [racer.stdout for racer in racers if racer.stdout is not None]
    assert len(streams) == 6
    assert [stream.readline().strip() for stream in streams] == ["ready"] * 6  # all started: a real race
    go.write_text("")
    results = [stream.readline().strip() for stream in streams]
    for racer in racers:
        racer.communicate(timeout=60)  # closes its stdin: it may go
    assert sorted(results) == ["lost"] * 5 + ["won"]


def test_item_open(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path)
    assert item_open(codex, ITEM) and not item_open(codex, ITEM, queued_only=True)
    assert item_open(codex, "@planner Plan the next milestone", queued_only=True)
    assert not item_open(codex, "@frontend_specialist Build the home page (task-001)")  # done
    assert not item_open(codex, "no such item")


QUEUE = "# Proposed\n\n" + "".join(f"- [>] @frontend_specialist Build page {n}\n" for n in ("one", "two", "three"))


def test_two_daemons_and_run_proposed_run_each_item_exactly_once(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, proposed=QUEUE)
    fake_openai.default = Behaviour(reply="Built the page.\n\n```tsx path=apps/web/page.tsx\nexport {}\n```\n",
                                    chunk_delay=0.1)  # each run takes a while, so the runners overlap
    env = {**GIT_ENV, "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "techcat_cli.main"]
    daemons = [subprocess.Popen([*command, "watch"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    direct = subprocess.Popen([*command, "run", "--proposed", "1"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        _out, direct_err = direct.communicate(timeout=120)
        deadline = time.monotonic() + 120
        checklist = codex / "PROPOSED-TASKS.md"
        while time.monotonic() < deadline and checklist.read_text().count("- [x]") < 3:
            time.sleep(0.05)
        assert checklist.read_text().count("- [x]") == 3, checklist.read_text()
    finally:
        outputs = []
        for daemon in daemons:
            daemon.terminate()
            outputs.append(daemon.communicate(timeout=30)[1])
    assert all(d.returncode is not None for d in daemons)
    asked = [json.dumps(r.body["messages"]) for r in fake_openai.requests]
    for title in ("Build page one", "Build page two", "Build page three"):
        assert sum(title in body for body in asked) == 1, (title, asked)
    assert len(fake_openai.requests) == 3
    log = json.loads((codex / "TASK-LOG.json").read_text())
    assert len(log) == 5 and len({e["task_id"] for e in log}) == 5  # two before, one per item
    if direct.returncode != 0:  # a daemon got item 1 first: the direct run did not start and said why
        assert "is being run by pid" in direct_err or "is done or changed meanwhile" in direct_err, direct_err
    assert not any("Traceback" in text for text in [*outputs, direct_err]), outputs
    assert (codex / ".techcat" / "claims").is_dir() and not list((codex / ".techcat" / "claims").glob("*.json"))


def test_run_proposed_and_watch_leave_an_item_another_runner_holds(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, proposed="# Proposed\n\n- [>] @frontend_specialist Build page one\n")
    other = LocalClaims(codex, owner="another-runner")  # this test's process: alive, so its claim holds
    held = other.claim("@frontend_specialist Build page one")
    assert held is not None
    env = {**GIT_ENV, "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-test", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "techcat_cli.main"]
    direct = subprocess.run([*command, "run", "--proposed", "1"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert direct.returncode == 1
    assert f"item 1 of PROPOSED-TASKS.md is being run by pid {held.pid} on {held.host}; an item runs once" \
        in direct.stderr
    daemon = subprocess.Popen([*command, "watch"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert daemon.stderr is not None
        said = [daemon.stderr.readline() for _ in range(2)]  # the skip, then "watching" once idle
    finally:
        daemon.terminate()
        daemon.communicate(timeout=30)
    assert said[0] == f"· item 1 is being run by pid {held.pid} on {held.host}\n", said
    assert said[1].startswith("watching "), said
    assert fake_openai.requests == []
    assert "- [>] @frontend_specialist Build page one" in (codex / "PROPOSED-TASKS.md").read_text()  # untouched

"""Benchmark the agent runtime's overhead against a bare `openai` client call, same server, same reply.

    .venv/bin/python benchmarks/bench_runtime.py [--runs 15] [--entries 10000 100000] [--model-ms 1000]

Both sides stream the same scripted reply from the same local OpenAI-compatible server (the test
server in tests/fake_openai.py), which sends it in pieces over `--model-ms` milliseconds, as a
small local model does (the 1.43–1.56× of issue 12 was measured against SmolLM2 under llama.cpp,
about a second a reply). The bare side streams and collects the text on a client it made once; the
runtime side runs a real agent on a workspace whose task log has `--entries` entries: reads the
workspace and the newest entries, assembles the prompt, streams, writes the output file
atomically, appends the task-log entry under the lock, and chains to the built-in `task_logger`.
The target is under 10 % over the bare call at each size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openai import AsyncOpenAI

from techcat_core.runtime.events import Logged, RunFailed
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, serve_fake_openai
from tests.wsbuilder import entry, make_workspace

REPLY = "Planned the next milestone.\n\n" + "".join(f"- [ ] @frontend_specialist Item {i}\n" for i in range(20))
TARGET = 0.10  # at most 10 % over the bare call


async def bare(client: AsyncOpenAI) -> float:
    """One streamed call on a client made once, as a well-written script would (the runtime keeps one too)."""
    start = time.perf_counter()
    stream = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Plan"}],
                                                  stream=True)
    text = []
    async for chunk in stream:
        for choice in chunk.choices:
            if choice.delta is not None and choice.delta.content:
                text.append(choice.delta.content)
    assert "".join(text) == REPLY
    return time.perf_counter() - start


async def runtime(codex: Path, base_url: str) -> float:
    start = time.perf_counter()
    logged = False
    request = RunRequest("planner", "Plan the next milestone", env={"OPENAI_BASE_URL": base_url})
    async for event in run_agent(codex, request):
        if isinstance(event, RunFailed):
            raise SystemExit(f"the run failed: {event.message}")
        logged = logged or isinstance(event, Logged)
    assert logged
    return time.perf_counter() - start


def workspace(root: Path, entries: int) -> Path:
    log = [entry(n, date="2025-07-01", summary=f"Did task number {n}: built and tested one more part of the app.")
           for n in range(1, entries + 1)]
    return make_workspace(root, log=log,
                          extra={"techcat.toml": '[provider]\nkind = "openai-compatible"\ncontext_window = 32768\n'})


def store_append_ms(codex: Path, times: int = 5) -> float:
    """The task-log append alone on the same log: the store rewrites the whole file atomically (and fsyncs it)."""
    from techcat_core.tasklog.store import append_entry

    spent = []
    for n in range(times):
        start = time.perf_counter()
        append_entry(codex, "planner", f"Bench append {n}", [])
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1000


async def measure(entries: int, runs: int, model_ms: float) -> tuple[float, float, float]:
    chunks = max(1, len(REPLY) // 12)
    with serve_fake_openai() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.default = Behaviour(reply=REPLY, chunk_delay=model_ms / 1000 / chunks)
        codex = workspace(Path(tmp), entries)
        client = AsyncOpenAI(api_key="bench", base_url=fake.base_url, max_retries=0)
        for _ in range(2):  # warm-up: imports, the clients' TLS contexts and connection pools
            await bare(client)
            await runtime(codex, fake.base_url)
        bare_times, run_times = [], []
        for _ in range(runs):  # interleaved, so background load hits both alike
            bare_times.append(await bare(client))
            run_times.append(await runtime(codex, fake.base_url))
        await client.close()
        append = await asyncio.to_thread(store_append_ms, codex)
    return statistics.median(bare_times) * 1000, statistics.median(run_times) * 1000, append


async def main_async(runs: int, sizes: list[int], model_ms: float) -> int:
    missed = 0
    for entries in sizes:
        b, r, append = await measure(entries, runs, model_ms)
        over = r / b - 1
        ok = over < TARGET
        missed += not ok
        print(f"{entries:>7} entries, {runs} runs each, median: bare openai call {b:.0f} ms, techcat run {r:.0f} ms, "
              f"overhead {r - b:.0f} ms ({over:+.1%}), of which the task-log append alone takes {append:.0f} ms; "
              f"target < {TARGET:.0%} {'✓' if ok else '✗ missed'}")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--entries", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--model-ms", type=float, default=1000.0, help="how long the server takes to stream a reply")
    args = parser.parse_args()
    return asyncio.run(main_async(args.runs, args.entries, args.model_ms))


if __name__ == "__main__":
    sys.exit(main())

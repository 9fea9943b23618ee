"""Benchmark the agent runtime's overhead against a bare `openai` client call, same server, same reply.

    .venv/bin/python benchmarks/bench_runtime.py [--runs 30]

Both sides stream the same scripted reply from the same local OpenAI-compatible server (the test
server in tests/fake_openai.py). The bare side streams and collects the text on a client it made
once (the runtime reuses its client too, per provider settings and event loop); the runtime side
runs a real agent on a small workspace: loads and parses the workspace, assembles the prompt,
streams, writes the output file atomically, appends the task-log entry under the lock.
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

from techcat_core.runtime.events import Logged
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, serve_fake_openai
from tests.wsbuilder import make_workspace

REPLY = "Planned the next milestone.\n\n" + "".join(f"- [ ] @frontend_specialist Item {i}\n" for i in range(20))
TARGET_MS = 20.0


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
    request = RunRequest("planner", "Plan the next milestone", env={"OPENAI_BASE_URL": base_url}, chain=False)
    async for event in run_agent(codex, request):
        logged = logged or isinstance(event, Logged)
    assert logged
    return time.perf_counter() - start


async def main_async(runs: int) -> int:
    with serve_fake_openai() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.default = Behaviour(reply=REPLY)
        codex = make_workspace(Path(tmp))
        client = AsyncOpenAI(api_key="bench", base_url=fake.base_url, max_retries=0)
        for _ in range(3):  # warm-up: imports, the clients' TLS contexts and connection pools
            await bare(client)
            await runtime(codex, fake.base_url)
        bare_times, run_times = [], []
        for _ in range(runs):  # interleaved, so background load hits both alike
            bare_times.append(await bare(client))
            run_times.append(await runtime(codex, fake.base_url))
        await client.close()
    b, r = statistics.median(bare_times) * 1000, statistics.median(run_times) * 1000
    overhead = r - b
    print(f"{runs} runs each, median: bare openai call {b:.1f} ms, techcat run {r:.1f} ms, "
          f"overhead {overhead:.1f} ms per run (ratio {r / b:.2f}×); target < {TARGET_MS:.0f} ms "
          f"{'✓' if overhead < TARGET_MS else '✗ missed'}")
    return 0 if overhead < TARGET_MS else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30)
    return asyncio.run(main_async(parser.parse_args().runs))


if __name__ == "__main__":
    sys.exit(main())

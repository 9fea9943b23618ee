"""Benchmark `techcat check` on generated task logs of 1k, 10k and 100k entries.

    .venv/bin/python benchmarks/bench_check.py [--sizes 1000,10000,100000] [--repeat 5] [--keep]

Each workspace is a clean, realistic `.codex/` (a roster in AGENTS.md, a pretty-printed TASK-LOG.json
with sequential ids, valid dates and output files drawn from ~2000 repository paths that exist on disk,
so the files-exist check runs for real) in a temp dir without git. `techcat check` is timed as a
subprocess, process start included, next to `python -c 'json.load(...)'` on the same file: the floor
any checker in Python pays. Medians of `--repeat` runs after one warm-up run each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ("techcat_core", "techcat_cli")  # what `techcat check` imports of ours
TARGETS = {10_000: 0.4, 100_000: 2.0}  # seconds, `techcat check` wall time
RATIO_TARGET = 2.0  # `techcat check` ÷ `json.load` of the same log, both whole processes, at 100k (issue 15)
TODAY = dt.date.today()
FIRST_DATE = dt.date(2019, 1, 7)
LAST_DATE = min(dt.date(2026, 11, 20), TODAY)

AGENTS = {
    "planner": ("Task Forecaster", "Propose the next tasks from the log, the PRD and the architecture."),
    "frontend_specialist": ("UI Engineer", "Build pages and components for the web app."),
    "backend_specialist": ("API Engineer", "Build the API routes, models and migrations."),
    "qa_engineer": ("Test Engineer", "Write and maintain the test suites."),
    "devops_engineer": ("Infrastructure Engineer", "Keep CI, containers and deployment scripts working."),
    "doc_writer": ("Documentation Writer", "Keep the README, guides and `.codex/` documents current."),
}
AGENT_WEIGHTS = [2, 9, 8, 5, 2, 3]

VERBS = ["Implemented", "Added", "Refactored", "Fixed", "Scaffolded", "Extended", "Documented", "Tested",
         "Replaced", "Simplified", "Integrated", "Migrated"]
THINGS = ["the project settings page", "pagination for the documents list", "the feedback API route",
          "validation on the new project form", "a retry wrapper around the OpenAI client",
          "the sidebar navigation", "role-based access checks", "the markdown preview component",
          "database migrations for the feedback table", "the CI workflow for pull requests",
          "search over generated documents", "the dashboard summary cards", "error boundaries in the layout",
          "caching for project lookups", "the export-to-zip endpoint", "unit tests for the date helpers"]
DETAILS = ["with loading and empty states", "and updated the API client to match",
           "so the page works without JavaScript", "behind a feature flag", "and covered it with tests",
           "following the architecture notes in ARCHITECTURE.md", "including keyboard navigation",
           "and removed the old implementation", "with structured logging of failures",
           "and wired it into the project dashboard"]


def repository_paths(count: int, rng: random.Random) -> list[str]:
    """~`count` distinct, plausible paths of a web app + API monorepo."""
    web_dirs = ["components/common", "components/projects", "components/documents", "components/feedback",
                "app/dashboard", "app/projects", "app/projects/new", "app/documents", "app/settings", "lib", "hooks"]
    api_dirs = ["routes", "models", "services", "schemas", "core"]
    nouns = ["Project", "Document", "Feedback", "Sidebar", "Header", "Layout", "Settings", "Export", "Search",
             "Dashboard", "Prompt", "Template", "User", "Session", "Upload", "Preview", "Card", "Table", "Form",
             "Modal", "Toast", "Agent", "Task", "Log", "Report"]
    suffixes = ["", "List", "View", "Editor", "Panel", "Section", "Provider", "Item", "Dialog", "Badge"]
    paths: set[str] = set()
    while len(paths) < count:
        kind = rng.random()
        noun = rng.choice(nouns)
        if kind < 0.5:
            paths.add(f"apps/web/src/{rng.choice(web_dirs)}/{noun}{rng.choice(suffixes)}.tsx")
        elif kind < 0.8:
            paths.add(f"apps/api/{rng.choice(api_dirs)}/{noun.lower()}_{rng.choice(suffixes).lower() or 'base'}.py")
        elif kind < 0.92:
            paths.add(f"tests/{rng.choice(['unit', 'integration', 'e2e'])}/test_{noun.lower()}_"
                      f"{rng.choice(suffixes).lower() or 'core'}.py")
        else:
            paths.add(f"docs/{rng.choice(['guides', 'adr', 'api'])}/{noun.lower()}-{rng.randint(1, 40)}.md")
    return sorted(paths)


def task_log(n: int, paths: list[str], rng: random.Random) -> list[dict[str, object]]:
    width = max(3, len(str(n)))
    span = (LAST_DATE - FIRST_DATE).days
    names = list(AGENTS)
    entries: list[dict[str, object]] = []
    for i in range(n):
        date = FIRST_DATE + dt.timedelta(days=span * i // n)
        summary = f"{rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(DETAILS)}."
        if rng.random() < 0.5:
            summary += f" {rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(DETAILS)}."
        entries.append({
            "task_id": f"task-{i + 1:0{width}d}",
            "agent": rng.choices(names, AGENT_WEIGHTS)[0],
            "date": date.isoformat(),
            "summary": summary,
            "output_files": rng.sample(paths, rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6, 7])),
        })
    return entries


def agents_md() -> str:
    parts = ["# Agents\n\nThe agents that work on this project; `techcat check` validates this roster.\n"]
    for name, (role, goal) in AGENTS.items():
        parts.append(f"\n## Agent: `{name}`\n\n- **Role:** {role}\n- **Goal:** {goal}\n\n"
                     "Once complete, invoke `task_logger`.\n")
    parts.append("\n## Agent: `task_logger`\n\n- **Role:** Task Tracker\n"
                 "- **Goal:** Append each completed task to `.codex/TASK-LOG.json`.\n")
    return "".join(parts)


def proposed_md(n: int) -> str:
    width = max(3, len(str(n)))
    done = [f"- [x] @planner Plan milestone {k} (task-{k:0{width}d})" for k in range(1, min(n, 5) + 1)]
    return ("# Proposed tasks\n\n- [ ] @frontend_specialist Add dark mode to the settings page\n"
            "- [>] @backend_specialist Rate-limit the feedback API\n- [ ] @qa_engineer Cover the export endpoint\n"
            + "\n".join(done) + "\n")


def build_workspace(root: Path, n: int, seed: int = 7) -> Path:
    """A clean workspace with an `n`-entry log under `root`; returns the task log's path."""
    rng = random.Random(seed)
    paths = repository_paths(2000, rng)
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    codex = root / ".codex"
    codex.mkdir(parents=True)
    (codex / "AGENTS.md").write_text(agents_md(), encoding="utf-8")
    (codex / "PRD.md").write_text("# Product requirements\n\n## Vision\n\nA studio for project documents.\n",
                                  encoding="utf-8")
    (codex / "ARCHITECTURE.md").write_text("# Architecture\n\n## Components\n\nA Next.js app and a FastAPI API.\n",
                                           encoding="utf-8")
    (codex / "PROPOSED-TASKS.md").write_text(proposed_md(n), encoding="utf-8")
    log = codex / "TASK-LOG.json"
    log.write_text(json.dumps(task_log(n, paths, rng), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return log


def techcat_command() -> list[str]:
    script = Path(sys.executable).parent / "techcat"
    return [str(script)] if script.exists() else [sys.executable, "-m", "techcat_cli.main"]


def run_timed(command: list[str], cwd: Path) -> tuple[float, int, int, bytes, float]:
    """Wall seconds (process start included), exit code, peak RSS in KiB of that process, its stdout, and its
    CPU seconds (user + system: what the process itself spent, which other work on the machine does not
    inflate as it does the wall time)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of this child alone
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return elapsed, process.returncode, usage.ru_maxrss, out.read(), usage.ru_utime + usage.ru_stime


def median_run(command: list[str], cwd: Path, repeat: int) -> tuple[float, int, int, bytes, float]:
    run_timed(command, cwd)  # warm-up: page cache, .pyc files
    runs = [run_timed(command, cwd) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), runs[-1][1], max(r[2] for r in runs), runs[-1][3],
            statistics.median(r[4] for r in runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated entry counts")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspaces and print where")
    parser.add_argument("--generate", nargs=2, metavar=("ROOT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        build_workspace(Path(args.generate[0]), int(args.generate[1]))
        return 0
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s.strip()]

    base = Path(tempfile.mkdtemp(prefix="techcat-bench-"))
    check = techcat_command()
    # Our modules' bytecode first, as an install compiles it: where PYTHONDONTWRITEBYTECODE is set (this
    # project's dev shells), every run would otherwise compile each module edited since the last compile, a
    # cost the json.load reference (the standard library, compiled) never pays.
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(repo / package) for package in PACKAGES)],
                   check=True, stdout=subprocess.DEVNULL)
    rows = []
    print(f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs; {args.repeat} runs per figure, median; workspaces in {base}", file=sys.stderr)
    try:
        for n in sizes:
            root = base / f"log-{n}"
            # Generated in a child process: a vfork()ed child inherits its parent's peak RSS until exec, so
            # the parent has to stay small for the children's ru_maxrss to be their own.
            subprocess.run([sys.executable, __file__, "--generate", str(root), str(n)], check=True)
            log = root / ".codex" / "TASK-LOG.json"
            megabytes = log.stat().st_size / 1e6
            check_s, rc, rss_kib, output, check_cpu = median_run([*check, "check", "--workspace", str(root)], root,
                                                                 args.repeat)
            tail = output.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            assert rc == 0, f"techcat check exited {rc} on the {n}-entry workspace: {output.decode()[-2000:]}"
            assert tail[0] == "All checks passed.", f"the generated workspace is not clean: {tail[0]}"
            load_s, load_rc, load_rss, _, load_cpu = median_run(
                [sys.executable, "-c", f"import json; json.load(open({str(log)!r}, encoding='utf-8'))"], root,
                args.repeat)
            assert load_rc == 0
            rows.append((n, megabytes, check_s, load_s, rss_kib / 1024, load_rss / 1024, check_cpu, load_cpu))
            print(f"  {n:>7} entries done", file=sys.stderr)
    finally:
        if args.keep:
            print(f"workspaces kept in {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)

    header = ("| entries | log MB | `techcat check` s | `json.load` s | ratio | target | CPU s check / json.load "
              "| CPU ratio | ratio target | peak RSS check MB | peak RSS json.load MB |")
    print(header)
    print("|" + "|".join("---:" for _ in range(header.count("|") - 1)) + "|")
    missed = []
    for n, megabytes, check_s, load_s, check_mb, load_mb, check_cpu, load_cpu in rows:
        target = TARGETS.get(n)
        verdict = "—" if target is None else f"< {target:g} s {'✓' if check_s < target else '✗ missed'}"
        if target is not None and check_s >= target:
            missed.append(n)
        ratio = check_s / load_s
        # Judged on CPU seconds: other work on a shared machine inflates wall times, and json.load's short process
        # proportionally more, so a wall ratio can pass on a busy machine while the CPU ratio misses.
        cpu_ratio = check_cpu / load_cpu
        met = "✓" if cpu_ratio <= RATIO_TARGET else "✗ missed"
        ratio_verdict = "—" if n < 100_000 else f"≤ {RATIO_TARGET:g}× (CPU) {met}"
        print(f"| {n:,} | {megabytes:.1f} | {check_s:.3f} | {load_s:.3f} | {ratio:.2f}× | {verdict} "
              f"| {check_cpu:.3f} / {load_cpu:.3f} | {cpu_ratio:.2f}× | {ratio_verdict} "
              f"| {check_mb:.0f} | {load_mb:.0f} |")
    if missed:
        print(f"\ntarget missed for {', '.join(f'{n:,}' for n in missed)} entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

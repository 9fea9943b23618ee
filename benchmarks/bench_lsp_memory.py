"""The language server's peak memory and edit → diagnostics latency on a big log, beside their references.

    .venv/bin/python benchmarks/bench_lsp_memory.py [--entries 100000] [--edits 20] [--git [--save-edited]] [--keep]

One run, on bench_lsp's workspace (bench_check's clean 100k-entry log, 42.7 MB, plus four problems only
TechCat sees), measures:

- the reference: a Python process that does nothing but `json.load` the same log (its peak RSS is the
  floor for holding that log in Python at all), and the log's size;
- `techcat lsp` over stdio, driven by pytest-lsp's client (pygls) as VS Code drives it (pull
  diagnostics, UTF-16): `didOpen` of the log, then `--edits` edits spread over the file (each breaks one
  entry's date or mends it again, after two warm-ups), each followed by `textDocument/diagnostic`, timed
  from sending the edit to the answer; then the server's peak RSS (`VmHWM` from /proc) after the session.

Targets (issue 15): peak RSS under 400 MiB and edit → diagnostics under 60 ms at 100k entries, for the
median and the 95th percentile (nearest rank) alike; the last line prints both. With `--git` the history
checks (TC403/TC404) also run, in the background once the buffer has been quiet for a moment (see
techcat_lsp/history.py); this session's edits begin right after the open, as a hurried user's would.
`--save-edited` (with `--git`) then changes the summary of a committed entry in the middle of the log,
writes the file and sends `didSave`: the append-only rule must read HEAD's log to report it (TC403);
the peak is read again once TC403 is there.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_lsp  # noqa: E402  (a sibling script, not a package)

RSS_TARGET_MIB = 400
LATENCY_TARGET_MS = 60.0


def percentile(ordered: list[float], pct: float) -> float:
    """The nearest-rank percentile of sorted values: the smallest value with `pct` % of them at or below it."""
    return ordered[max(0, math.ceil(len(ordered) * pct / 100) - 1)]


def json_load_peak_mib(log: Path) -> float:
    """Peak RSS of a process that only `json.load`s the log (the reference), from its rusage."""
    process = subprocess.Popen([sys.executable, "-c", f"import json; json.load(open({str(log)!r}, encoding='utf-8'))"])
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def capabilities() -> lsp.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.diagnostic = lsp.DiagnosticClientCapabilities(dynamic_registration=False)
    caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=False)
    return caps


def summary_site(text: str) -> int:
    """Offset of the first letter of the summary of the entry in the middle of the log."""
    return text.index('"summary": "', len(text) // 2) + len('"summary": "')


async def wait_for_code(client: LanguageClient, document: lsp.TextDocumentIdentifier, code: str,
                        timeout: float = 120.0) -> int:
    """Pull the document's diagnostics until one has `code` (the history checks run in the background
    and a pull client without refresh support only learns of them by pulling again); their count."""
    deadline = time.perf_counter() + timeout
    while True:
        report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(document))
        items = report.items if isinstance(report, lsp.RelatedFullDocumentDiagnosticReport) else []
        if any(item.code == code for item in items):
            return len(items)
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no {code} within {timeout:.0f} s")
        await asyncio.sleep(0.05)  # a poll interval, not a synchronisation: the condition is checked above


async def save_edited(client: LanguageClient, log: Path, text: Any, version: int) -> dict[str, Any]:
    """Change a committed entry's summary, write it to disk and save, then wait for TC403 (append-only)."""
    site = summary_site(text.text)
    start, end = text.position(site), text.position(site + 1)
    uri = log.as_uri()
    document = lsp.TextDocumentIdentifier(uri)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
        [lsp.TextDocumentContentChangePartial(range=lsp.Range(lsp.Position(**start), lsp.Position(**end)),
                                              text="#")]))
    text.text = text.text[:site] + "#" + text.text[site + 1:]
    await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(document))
    log.write_text(text.text, encoding="utf-8")
    started = time.perf_counter()
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(document))
    found = await wait_for_code(client, document, "TC403")
    return {"save_s": time.perf_counter() - started, "save_found": found}


async def session(root: Path, log: Path, edits: int, save: bool = False) -> dict[str, Any]:
    client = LanguageClient()
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, lsp.CLIENT_REGISTER_CAPABILITY: lambda *_: None})
    env = {**os.environ, "TECHCAT_LSP_LOG": "WARNING"}
    await client.start_io(sys.executable, "-m", "techcat_cli.main", "lsp", cwd=str(root), env=env)
    server = client._server  # the asyncio subprocess pygls started
    assert server is not None
    try:
        await client.initialize_session(lsp.InitializeParams(
            capabilities=capabilities(), process_id=os.getpid(), root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        text = bench_lsp.Text(log.read_text(encoding="utf-8"))
        uri = log.as_uri()
        document = lsp.TextDocumentIdentifier(uri)
        started = time.perf_counter()
        item = lsp.TextDocumentItem(uri=uri, language_id="json", version=1, text=text.text)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
        report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(document))
        open_s = time.perf_counter() - started
        found = len(report.items) if isinstance(report, lsp.RelatedFullDocumentDiagnosticReport) else -1
        sites = bench_lsp.edit_sites(text.text, edits // 2 + 2)
        plan = [(site, "/") for site in sites] + [(site, "-") for site in sites]
        times: list[float] = []
        for number, (site, char) in enumerate(plan):
            start, end = text.position(site), text.position(site + 1)
            change = lsp.TextDocumentContentChangePartial(
                range=lsp.Range(lsp.Position(**start), lsp.Position(**end)), text=char)
            started = time.perf_counter()
            client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=number + 2, uri=uri), [change]))
            await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(document))
            if number >= 2:  # two warm-up edits
                times.append(time.perf_counter() - started)
            text.text = text.text[:site] + char + text.text[site + 1:]
        peak = peak_rss_mib(server.pid)
        saved = await save_edited(client, log, text, len(plan) + 2) if save else {}
        if save:
            saved["save_peak"] = peak_rss_mib(server.pid)
    finally:
        await client.shutdown_session()
    return {"open_s": open_s, "found": found, "times": times, "peak": peak, **saved}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=20,
                        help="measured edits (after 2 warm-ups); 60 or more for a steady p95")
    parser.add_argument("--keep", action="store_true", help="keep the generated workspace and print where")
    parser.add_argument("--git", action="store_true",
                        help="commit the workspace to a git repository first, so the history rules (TC403, TC404) "
                             "also parse the committed log")
    parser.add_argument("--save-edited", action="store_true",
                        help="with --git: after the edits, change a committed entry's summary and save, wait for "
                             "TC403 (the append-only rule, which then reads HEAD's log) and measure the peak again")
    args = parser.parse_args()
    if args.save_edited and not args.git:
        parser.error("--save-edited needs --git (the append-only rule compares with the last commit)")
    base = Path(tempfile.mkdtemp(prefix="techcat-bench-lsp-memory-"))
    print(f"python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}; workspace in {base}", file=sys.stderr)
    try:
        root = base / "ws"
        root.mkdir()
        log = bench_lsp.build_workspace(root, args.entries)
        if args.git:
            env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
                   "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
            for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "workspace"]):
                subprocess.run(command, cwd=root, env=env, check=True)
        log_mib = log.stat().st_size / 2**20
        reference = json_load_peak_mib(log)
        result = asyncio.run(session(root, log, args.edits, args.save_edited))
    finally:
        if args.keep:
            print(f"workspace kept in {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    times = sorted(result["times"])
    median = statistics.median(times) * 1000
    p95 = percentile(times, 95) * 1000
    peak = result["peak"]
    met = median < LATENCY_TARGET_MS and p95 < LATENCY_TARGET_MS
    print("| entries | log MiB | `json.load` peak RSS MiB | server peak RSS MiB | ÷ json.load | ÷ log size "
          "| target RSS | edit → diagnostics ms (p95) | target | open → diagnostics s | problems |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|")
    print(f"| {args.entries:,} | {log_mib:.1f} | {reference:.0f} | {peak:.0f} | {peak / reference:.1f}× "
          f"| {peak / log_mib:.1f}× | < {RSS_TARGET_MIB} {'✓' if peak < RSS_TARGET_MIB else '✗ missed'} "
          f"| {median:.1f} ({p95:.1f}) | < {LATENCY_TARGET_MS:.0f} {'✓' if met else '✗ missed'} "
          f"| {result['open_s']:.2f} | {result['found']} |")
    print(f"\nedit → diagnostics over {len(times)} edits: median {median:.1f} ms, p95 {p95:.1f} ms "
          f"(nearest rank), min {times[0] * 1000:.1f}, max {times[-1] * 1000:.1f}; server peak RSS {peak:.0f} MiB"
          f"{' (git)' if args.git else ''}")
    if args.save_edited:
        save_peak = result["save_peak"]
        print(f"\nsave after changing a committed entry: TC403 after {result['save_s']:.2f} s "
              f"({result['save_found']} problems); server peak RSS then {save_peak:.0f} MiB, target < "
              f"{RSS_TARGET_MIB} {'✓' if save_peak < RSS_TARGET_MIB else '✗ missed'}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(this client's own peak RSS: {own:.0f} MiB, not counted)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

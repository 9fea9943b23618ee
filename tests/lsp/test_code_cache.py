"""The start-up cache of attrs' and cattrs' generated code (techcat_lsp/code_cache.py): a started server
writes it, the next start reads its code from it instead of compiling, and a broken file is ignored and
rewritten; the server answers the same either way."""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path

from techcat_lsp.code_cache import CodeCache

PROBE = """
import sys
from techcat_lsp import code_cache
cache = code_cache.install()
import lsprotocol.types as t
assert t.Position(1, 2) == t.Position(1, 2) and t.Position(1, 2) != t.Position(2, 1)
assert t.Range(t.Position(0, 0), t.Position(1, 2)).end.character == 2
print(len(cache.known), len(cache.new))
import asyncio
asyncio.run(code_cache.save())
"""


def _probe(cache_home: Path) -> tuple[int, int]:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True,
                          env={"XDG_CACHE_HOME": str(cache_home), "PATH": "/usr/bin:/bin"})
    known, new = proc.stdout.split()
    return int(known), int(new)


def test_a_start_writes_the_cache_and_the_next_reads_it(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first[0] == 0 and first[1] > 500  # lsprotocol's ~570 classes, compiled and kept
    [written] = (tmp_path / "techcat").glob("generated-code-*.marshal")
    second = _probe(tmp_path)
    assert second[0] >= first[1] - 2 and second[1] <= 2, second  # from the cache, (almost) nothing compiled
    size = written.stat().st_size
    assert _probe(tmp_path)[1] <= 2 and written.stat().st_size <= size * 1.01  # it does not grow start by start
    written.write_bytes(b"\x00not marshal")
    broken = _probe(tmp_path)
    assert broken[0] == 0 and broken[1] >= first[1] - 2  # a broken file is ignored, and rewritten
    assert len(marshal.loads(written.read_bytes())) == broken[1]


def test_the_cache_keys_on_the_exact_input(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "c.marshal")
    one = cache.compile("x = 1", "<gen a>", "exec")
    assert cache.compile("x = 1", "<gen a>", "exec") is one
    assert cache.compile("x = 2", "<gen a>", "exec") is not one
    assert cache.compile("x = 1", "<gen b>", "exec").co_filename == "<gen b>"
    namespace: dict[str, int] = {}
    exec(cache.compile("x = 2", "<gen a>", "exec"), namespace)
    assert namespace["x"] == 2
    data = cache.snapshot()
    assert data is not None and cache.snapshot() is None  # nothing new the second time

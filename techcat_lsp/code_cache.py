"""A disk cache for the code attrs and cattrs generate, so the server starts in about half the time.

Importing `lsprotocol.types` defines some 570 attrs classes, and attrs writes and `compile`s the source of each
one's `__init__`, `__repr__`, `__eq__`… on every start: a third or more of the server's start-up (measured with
`benchmarks/bench_lsp_start.py`). Python caches module bytecode in .pyc files, but not this. Here the
modules' `compile` is wrapped: a code object is looked up by its exact source, file name and mode (the same
input compiles to the same code), else compiled and kept; new ones are written back once the server is up.

The cache is one `marshal` file per interpreter version under the user's cache folder, like .pyc files in
their own folder; a file that cannot be read or is too large is ignored (and rewritten), never trusted over
the compiler's own output for another input.
"""

from __future__ import annotations

import builtins
import logging
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

logger = logging.getLogger("techcat_lsp")
MAX_BYTES = 32 * 1024 * 1024
MODULES = ("attr._make", "cattrs.gen", "cattrs.gen.typeddicts")
Key = tuple[str, str, str]


def cache_path(env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "techcat" / f"generated-code-{sys.implementation.cache_tag}.marshal"


class CodeCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[Key, CodeType] = {}
        self.new: dict[Key, CodeType] = {}
        self.used: set[Key] = set()

    def load(self) -> None:
        try:
            if self.path.stat().st_size > MAX_BYTES:
                return
            with self.path.open("rb") as handle:
                data = marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            return
        if isinstance(data, dict):
            self.known = {k: v for k, v in data.items() if isinstance(k, tuple) and isinstance(v, CodeType)}

    def compile(self, source: Any, filename: Any, mode: Any, *args: Any, **kwargs: Any) -> Any:
        """`compile`, from the cache when the call is a plain one of text (the only kind attrs and cattrs make)."""
        if args or kwargs or not (isinstance(source, str) and isinstance(filename, str) and isinstance(mode, str)):
            return builtins.compile(source, filename, mode, *args, **kwargs)
        key = (source, filename, mode)
        code = self.known.get(key) or self.new.get(key)
        if code is not None:
            self.used.add(key)
        else:
            code = self.new[key] = builtins.compile(source, filename, mode)
        return code

    def snapshot(self) -> bytes | None:
        """The cache with the new code objects, to write (None: nothing new); call it where `compile` runs."""
        if not self.new:
            return None
        # what this start used and what it compiled: a source that differs on every start (a counter in a
        # generated name) is not kept, so the file does not grow from start to start
        self.known = {**{k: v for k, v in self.known.items() if k in self.used}, **self.new}
        self.used |= set(self.new)
        self.new = {}
        return marshal.dumps(self.known)

    def write(self, data: bytes) -> None:
        """Atomically, from any thread; a failure only costs the next start its time."""
        try:
            from techcat_core.atomic import write_atomic

            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data, durable=False)
        except (OSError, ValueError) as error:
            logger.info("could not write the start-up cache %s: %s", self.path, error)


_installed: CodeCache | None = None


def install(path: Path | None = None) -> CodeCache | None:
    """Wrap attrs' and cattrs' `compile` before they are used (call it before importing pygls or lsprotocol);
    TECHCAT_LSP_CODE_CACHE=0 turns it off."""
    global _installed
    if _installed is not None or os.environ.get("TECHCAT_LSP_CODE_CACHE") == "0":
        return _installed
    cache = CodeCache(path or cache_path())
    cache.load()
    import importlib

    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        module.compile = cache.compile  # type: ignore[attr-defined]  # the module's global, not builtins
    _installed = cache
    return cache


async def save() -> None:
    """Write what this start compiled anew (in a worker thread: the server keeps answering)."""
    import asyncio

    data = _installed.snapshot() if _installed is not None else None
    if _installed is not None and data is not None:
        await asyncio.to_thread(_installed.write, data)

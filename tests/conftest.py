"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAI, serve_fake_openai


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 with a scriptable behaviour queue."""
    with serve_fake_openai() as server:
        yield server


def _shared_temp_folders() -> set[Path]:
    """Folders every test's temp dir lies under: a `.git` or `.codex` there would become every later test's parent
    repository or workspace (how a run once wrote to /tmp/.codex)."""
    return {Path(tempfile.gettempdir()).resolve(), Path("/tmp").resolve()}


def _strays() -> set[Path]:
    return {folder / name for folder in _shared_temp_folders() for name in (".git", ".codex")
            if os.path.lexists(folder / name)}


@pytest.fixture(autouse=True)
def _nothing_left_in_the_shared_temp_folder(request: pytest.FixtureRequest) -> Iterator[None]:
    """Name the test after which a `.git` or `.codex` appeared in the shared temp folder, and remove what appeared
    (only that: what was there before the test is left alone), so one stray cannot poison the rest of the run."""
    before = _strays()
    yield
    for stray in sorted(_strays() - before):
        warnings.warn(f"{stray} appeared during {request.node.nodeid}; removed", stacklevel=1)
        if stray.is_dir() and not stray.is_symlink():
            shutil.rmtree(stray, ignore_errors=True)
        else:
            stray.unlink(missing_ok=True)

"""A fresh copy of the bundled sample workspace (for `techcat serve --demo` and the welcome screen).

The CLI has the same helper, but importing the CLI would pull the other front ends in with it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import techcat_core


def copy_sample_workspace() -> Path:
    """Copy the sample repository to a new temp folder; returns its `.codex/`."""
    source = Path(techcat_core.__file__).resolve().parent / "sample"
    target = Path(tempfile.mkdtemp(prefix="techcat-demo-"))
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("MISTAKES.md", "__pycache__"))
    return target / ".codex"

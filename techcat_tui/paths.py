"""Showing paths to people: `~/projects/pawprint` rather than the full home path."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path) -> str:
    """Shorter, and the same on every machine for the same place under home (snapshots rely on it)."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)

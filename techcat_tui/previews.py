"""Reading the start of each output file an entry names, for the detail pane (in a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from techcat_core.tasklog.rules import path_escape_problem

MAX_BYTES = 32_000
MAX_LINES = 40


@dataclass(frozen=True, slots=True)
class FilePreview:
    name: str
    text: str | None  # None when there is nothing to show; `note` says why
    note: str
    truncated: bool = False


def read_preview(root: Path, name: str) -> FilePreview:
    """The first lines of `name` under `root`; never reads outside the repository."""
    problem = path_escape_problem(name)
    if problem:
        return FilePreview(name, None, f"not shown: the path {problem}")
    path = root / name
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return FilePreview(name, None, "does not exist (moved or never written?)")
    except IsADirectoryError:
        return FilePreview(name, None, "is a folder")
    except OSError as error:
        return FilePreview(name, None, f"cannot be read: {error.strerror or error}")
    if b"\x00" in data[:4096]:
        return FilePreview(name, None, "binary file")
    text = data[:MAX_BYTES].decode("utf-8", errors="replace")
    lines = text.splitlines()
    truncated = len(data) > MAX_BYTES or len(lines) > MAX_LINES
    return FilePreview(name, "\n".join(lines[:MAX_LINES]), f"{len(lines)}{'+' if len(data) > MAX_BYTES else ''} lines",
                       truncated)


def read_previews(root: Path, names: tuple[str, ...], limit: int = 8) -> list[FilePreview]:
    return [read_preview(root, name) for name in names[:limit]]

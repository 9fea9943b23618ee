"""Reading the start of each output file an entry names, for the detail pane (in a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from techcat_core.confine import DEFAULT_MAX_READ_BYTES, Refused, read_bounded

MAX_BYTES = 32_000
MAX_LINES = 40


@dataclass(frozen=True, slots=True)
class FilePreview:
    name: str
    text: str | None  # None when there is nothing to show; `note` says why
    note: str
    truncated: bool = False


def read_preview(root: Path, name: str, limit: int = DEFAULT_MAX_READ_BYTES) -> FilePreview:
    """The first lines of `name` under `root`, read through the core's confinement rule (techcat_core.confine):
    never outside the repository or in `.git/`, never a FIFO or device, at most `limit` bytes."""
    cap = min(MAX_BYTES, limit)
    try:
        read = read_bounded(root, name, cap)
    except Refused as error:
        return FilePreview(name, None, f"not shown: the path {error.reason}")
    except FileNotFoundError:
        return FilePreview(name, None, "does not exist (moved or never written?)")
    except IsADirectoryError:
        return FilePreview(name, None, "is a folder")
    except OSError as error:
        return FilePreview(name, None, f"cannot be read: {error.strerror or error}")
    data = read.data
    if b"\x00" in data[:4096]:
        return FilePreview(name, None, "binary file")
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    truncated = read.truncated or len(lines) > MAX_LINES
    return FilePreview(name, "\n".join(lines[:MAX_LINES]), f"{len(lines)}{'+' if read.truncated else ''} lines",
                       truncated)


def read_previews(root: Path, names: tuple[str, ...], limit: int = 8) -> list[FilePreview]:
    return [read_preview(root, name) for name in names[:limit]]

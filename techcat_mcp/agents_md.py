"""The TechCat paragraph in the repository's top-level AGENTS.md, kept between marker comments.

People edit AGENTS.md too, so only the text between the markers is ever TechCat's: everything
outside them is written back byte for byte, and a file with broken markers is left alone.
"""

from __future__ import annotations

from pathlib import Path

from techcat_core.atomic import write_atomic
from techcat_core.confine import DEFAULT_MAX_FILE_BYTES, Refused, read_bounded

START = "<!-- TECHCAT START -->"
END = "<!-- TECHCAT END -->"
FILE_NAME = "AGENTS.md"

PARAGRAPH = """\
## Task log (TechCat)

This repository keeps its agent memory in `.codex/`. When you finish a task, record it with the
TechCat MCP tool `log_task` (or `techcat log --agent NAME --summary "..." --files PATH...` in a shell),
using an agent name from `.codex/AGENTS.md` (`read_roster`). Never edit `.codex/TASK-LOG.json` by
hand: the tool allocates the task id and writes under a lock. Run `check_workspace` before you finish."""


class AgentsMdError(Exception):
    """The markers are broken or the file cannot be read; the message says where."""


def _block(newline: str) -> str:
    return newline.join([START, *PARAGRAPH.splitlines(), END])


def _marker_lines(text: str, marker: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), 1) if line.strip() == marker]


def _updated(text: str, path: Path) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    starts, ends = _marker_lines(text, START), _marker_lines(text, END)
    if not starts and not ends:
        if not text.strip():
            return _block(newline) + newline
        separator = "" if text.endswith(newline * 2) else newline if text.endswith(newline) else newline * 2
        return text + separator + _block(newline) + newline
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        where = (starts or ends)[0]
        raise AgentsMdError(f"{path}:{where}: expected one {START} line followed by one {END} line "
                            f"(found {len(starts)} and {len(ends)}); fix the markers by hand, TechCat will not "
                            "guess which text is its own")
    start = text.index(START)
    end = text.index(END, start) + len(END)
    return text[:start] + _block(newline) + text[end:]


def ensure_agents_paragraph(repo_root: Path) -> bool:
    """Create or refresh the TechCat paragraph in `repo_root/AGENTS.md`; True when the file changed."""
    path = repo_root / FILE_NAME
    try:  # confined: a FIFO, a link out of the repository or a huge file is refused, never read or written
        read = read_bounded(repo_root, FILE_NAME, DEFAULT_MAX_FILE_BYTES)
    except FileNotFoundError:
        read = None
    except Refused as error:
        raise AgentsMdError(f"{path}: {error.reason}; {error.hint}, so TechCat leaves it alone") from None
    except OSError as error:
        raise AgentsMdError(f"{path}: {error.strerror or error}") from None
    if read is not None and read.truncated:
        raise AgentsMdError(f"{path}: over {DEFAULT_MAX_FILE_BYTES:,} bytes; TechCat leaves it alone")
    data = read.data if read is not None else b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise AgentsMdError(f"{path}:{line}: byte 0x{data[error.start]:02x} is not valid UTF-8; "
                            "save the file as UTF-8") from None
    new_text = _updated(text, path)
    if new_text == text:
        return False
    write_atomic(path, new_text)
    return True

"""The task log as a safe store: locked, re-read-inside-the-lock, atomic appends.

Several agents append at once in real repositories; the lock plus the re-read make id allocation
race-free, and the atomic replace means a reader (or a crash) never sees half an entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from techcat_core.atomic import TEMP_PREFIX, WriteRefused, temp_prefix, write_atomic
from techcat_core.confine import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_READ_BYTES, Refused, read_bounded
from techcat_core.tasklog.ids import TASK_ID, format_task_id, id_width, task_number
from techcat_core.tasklog.parse import TaskLog, parse_task_log
from techcat_core.tasklog.render import LogStyle, after_last_entry, detect_style, insertion, render_entry
from techcat_core.workspace import CONFIG, TASK_LOG, decode_text, locate_workspace, read_text

STATE_DIR = ".techcat"
LOCK_TIMEOUT = 30.0


class StoreError(Exception):
    """The log cannot be appended to; the message says where and what to do."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What a caller wants logged; the store fills in the id (and the date when none is given)."""

    agent: str
    summary: str
    output_files: tuple[str, ...] = ()
    date: str | None = None
    task_id: str | None = None  # kept when free (imports, merges); else a fresh id is allocated


def state_dir(codex_dir: Path) -> Path:
    """`.codex/.techcat/`: lock and cache files, ignored by git through its own `.gitignore`."""
    directory = codex_dir / STATE_DIR
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
    return directory


def log_lock(codex_dir: Path, timeout: float = LOCK_TIMEOUT) -> FileLock:
    return FileLock(str(state_dir(codex_dir) / "task-log.lock"), timeout=timeout)


def _cache_path(codex_dir: Path) -> Path:
    return state_dir(codex_dir) / "task-log.state.json"


def _stat_key(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _describe(log: TaskLog) -> str:
    problem = log.problems[0] if log.problems else None
    if problem is not None:
        pos = log.lines.position(problem.start)
        return (f"{log.path}:{pos.line + 1}:{pos.character + 1}: {problem.message}; fix the JSON "
                "(`techcat check` shows every problem) and append again")
    start = log.lines.position(log.top_level_span[0])
    return f"{log.path}:{start.line + 1}:{start.character + 1}: the task log is {log.top_level}, not a JSON array"


def _not_yet_a_log(path: Path, data: bytes) -> str:
    """An existing file with nothing in it is an editor's save in progress far more often than a real empty
    log: appending to it as if empty would replace every entry the editor is about to write back."""
    what = "0 bytes" if not data else f"{len(data)} byte{'s' if len(data) != 1 else ''} of whitespace"
    return (f"{path}:1:1: the task log is {what}, not a JSON array; if an editor is saving it, let the save finish "
            "and append again (an empty log is `[]`)")


@dataclass(slots=True)
class _Snapshot:
    """What an append needs to know about the log, from a full parse or from the trusted cache."""

    text: str
    max_number: int
    width: int
    numbers: set[int] | None  # None when read from the cache (only max and width are kept)
    log: TaskLog | None
    style: LogStyle | None = None
    data: bytes | None = None  # from the cache: the file's bytes, never decoded
    last_end_byte: int | None = None  # from the cache: where the last entry's closing brace ends, in bytes


def _file_limit(codex_dir: Path, root: Path) -> int:
    """`[limits] max_file_bytes` of the workspace's techcat.toml: the store reads the log whole, up to that."""
    from techcat_core.config import parse_config

    text = read_text(codex_dir / CONFIG, root=root, limit=DEFAULT_MAX_READ_BYTES)
    return parse_config(text)[0].limits.max_file_bytes if text is not None else DEFAULT_MAX_FILE_BYTES


def _log_bytes(path: Path, root: Path, limit: int) -> bytes | None:
    """The log's bytes through the confinement rule (a FIFO, a device or a link out is refused at once, nothing is
    read past `limit`); None when there is no log yet."""
    try:
        read = read_bounded(root, path, limit)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StoreError(f"{path} is a folder, not the task log; move it aside and append again") from None
    except Refused as error:
        raise StoreError(f"{error}; nothing was appended") from None
    if read.truncated:
        raise StoreError(f"{path} is over the {limit:,}-byte limit ([limits] max_file_bytes in techcat.toml); "
                         "nothing was appended: raise the limit or archive old entries")
    return read.data


def _read_for_append(codex_dir: Path, path: Path, trust_cache: bool = True, root: Path | None = None,
                     limit: int = DEFAULT_MAX_FILE_BYTES) -> _Snapshot:
    root = root or codex_dir.parent
    data = _log_bytes(path, root, limit)
    if data is None:
        return _Snapshot("", 0, 3, set(), parse_task_log("", path))
    key = _stat_key(path)
    cache = _cache_path(codex_dir)
    try:
        cached = json.loads(read_bounded(root, cache, DEFAULT_MAX_READ_BYTES).data)  # a FIFO here must not block
        if (trust_cache and cached.get("stat") == key and cached.get("bytes") == len(data)
                and isinstance(cached.get("last_end_byte"), int)):
            # The file is exactly as our last locked append left it, so it is valid: skip the parse, and even
            # the decoding; the new entries are spliced in as bytes after the last one.
            style = LogStyle(cached["style"][0], cached["style"][1], tuple(cached["style"][2]), cached["style"][3],
                             cached["style"][4])
            return _Snapshot("", int(cached["max"]), int(cached["width"]), None, None, style, data,
                             int(cached["last_end_byte"]))
    except (OSError, Refused, ValueError, KeyError, TypeError):
        pass
    text = decode_text(data, path)
    log = parse_task_log(text, path)
    if log.top_level == "empty":
        raise StoreError(_not_yet_a_log(path, data))
    if not log.valid:
        raise StoreError(_describe(log))
    ids = [e.task_id for e in log.entries]
    numbers = {n for t in ids if (n := task_number(t)) is not None}
    return _Snapshot(text, max(numbers, default=0), id_width(ids), numbers, log)


def validate_new_entries(entries: list[dict[str, Any]], root: Path) -> None:
    """Refuse entries that `techcat check` would report as errors, with the same rules and messages.

    The rules run on a small log of just these entries, so there is no second definition of a valid
    entry (nor pydantic's import). A path outside the repository (TC113) is reported by the check but
    not refused here: imported legacy logs and git listings may name such paths, and losing the whole
    import over one of them would be worse; `techcat log` refuses them before they get here.
    """
    from techcat_core.diagnostics import Severity
    from techcat_core.tasklog.rules import check_task_log

    log = parse_task_log(json.dumps(entries, indent=2, ensure_ascii=False))
    problems = []
    for diagnostic in check_task_log(log, root):
        if diagnostic.severity is not Severity.ERROR or diagnostic.code in _NOT_REFUSED:
            continue
        entry = log.entry_at(log.lines.offset(diagnostic.range.start))
        label = f"{entry.task_id} ({entries[entry.index]['agent']!r}): " if entry is not None and entry.task_id else ""
        problems.append(f"{label}{diagnostic.message} ({diagnostic.code})")
    if problems:
        raise StoreError("invalid entry: " + "; ".join(problems))


_NOT_REFUSED = frozenset({"TC113"})


def allocate(new: Sequence[NewEntry], taken: set[int], width: int, max_number: int,
             today: dt.date | None = None) -> list[dict[str, Any]]:
    """Entries with ids: a requested id is kept when free, otherwise the next free number is used."""
    taken = set(taken)
    next_number = max_number + 1
    result = []
    for item in new:
        wanted = task_number(item.task_id) if item.task_id and TASK_ID.match(item.task_id) else None
        if wanted is not None and wanted not in taken:
            task_id = item.task_id
            taken.add(wanted)
            next_number = max(next_number, wanted + 1)
        else:
            task_id = format_task_id(next_number, width)
            taken.add(next_number)
            next_number += 1
        result.append({
            "task_id": task_id,
            "agent": item.agent,
            "date": item.date or (today or dt.date.today()).isoformat(),
            "summary": item.summary,
            "output_files": list(item.output_files),
        })
    return result


def append_entries(codex_dir: Path, new: Sequence[NewEntry], today: dt.date | None = None,
                   timeout: float = LOCK_TIMEOUT) -> list[dict[str, Any]]:
    """Append under the lock, re-reading inside it; returns the entries as written (with their ids)."""
    if not new:
        return []
    try:
        place = locate_workspace(codex_dir)  # before anything is created: a .codex linked out is refused
    except Refused as error:
        raise StoreError(f"{error}; nothing was appended") from None
    codex_dir = place.codex_dir
    path = codex_dir / TASK_LOG
    limit = _file_limit(codex_dir, place.root)
    try:
        with log_lock(codex_dir, timeout):
            wants_ids = any(item.task_id for item in new)
            snapshot = _read_for_append(codex_dir, path, not wants_ids, place.root, limit)
            entries = allocate(new, snapshot.numbers or set(), snapshot.width, snapshot.max_number, today)
            validate_new_entries(entries, codex_dir.parent)
            new_max = max([snapshot.max_number, *(task_number(e["task_id"]) or 0 for e in entries)])
            if snapshot.data is not None and snapshot.last_end_byte is not None and snapshot.style is not None:
                style = snapshot.style
                insert = after_last_entry([render_entry(entry, style) for entry in entries], style).encode("utf-8")
                at = snapshot.last_end_byte
                old = memoryview(snapshot.data)  # written around the new entry as views: no 2x-size copy
                write_atomic(path, (old[:at], insert, old[at:]))
                _write_cache(codex_dir, path, len(snapshot.data) + len(insert), at + insert.rindex(b"}") + 1,
                             new_max, snapshot.width, style)
            else:
                log = snapshot.log
                assert log is not None  # a full read always parses
                style = snapshot.style or detect_style(log)
                start, end, insert_text = insertion(log, [render_entry(entry, style) for entry in entries], style)
                text = snapshot.text[:start] + insert_text + snapshot.text[end:]
                data = text.encode("utf-8")
                write_atomic(path, data)
                last_end = text.rfind("}", 0, start + len(insert_text)) + 1
                last_end_byte = len(data) - len(text[last_end:].encode("utf-8"))  # only the short tail again
                _write_cache(codex_dir, path, len(data), last_end_byte, new_max, snapshot.width, style)
            _clean_stale_temps(codex_dir)
            return entries
    except WriteRefused as error:
        raise StoreError(str(error)) from None
    except Timeout:
        raise StoreError(f"{path}: another process has held the task-log lock for {timeout:.0f} s; "
                         f"if none is running, delete {state_dir(codex_dir) / 'task-log.lock'}") from None


def _write_cache(codex_dir: Path, path: Path, size: int, last_end_byte: int, max_number: int, width: int,
                 style: LogStyle) -> None:
    payload = {"stat": _stat_key(path), "bytes": size, "last_end_byte": last_end_byte, "max": max_number,
               "width": width, "style": [style.entry_indent, style.unit, list(style.key_order), style.ensure_ascii,
                                         style.newline]}
    with contextlib.suppress(OSError):
        write_atomic(_cache_path(codex_dir), json.dumps(payload), durable=False)


def _clean_stale_temps(codex_dir: Path, older_than: float = 600.0) -> None:
    """Remove temp files left by writers killed mid-write; call with the task-log lock held.

    A temp file of the task log is stale at once (only the lock holder writes one); any other is
    removed only when old, since its writer may still be at work.
    """
    now = time.time()
    log_temps = temp_prefix(codex_dir / TASK_LOG)
    for directory in (codex_dir, state_dir(codex_dir)):
        with contextlib.suppress(OSError):
            for name in os.listdir(directory):
                if name.startswith(TEMP_PREFIX):
                    candidate = directory / name
                    with contextlib.suppress(OSError):
                        if (directory == codex_dir and name.startswith(log_temps)) or \
                                now - candidate.stat().st_mtime > older_than:
                            candidate.unlink()


def append_entry(codex_dir: Path, agent: str, summary: str, output_files: Iterable[str] = (),
                 date: str | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """Append one entry; the store allocates its id."""
    return append_entries(codex_dir, [NewEntry(agent, summary, tuple(output_files), date)], today)[0]

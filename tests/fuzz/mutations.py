"""Seeded mutations of real workspace files: what a careless editor, a broken tool or an attacker writes.

Every mutation is a function of a `random.Random` and the bytes of one file, so a failing case is
reproduced from its seed and number alone. The seeds are the real files in ../shared/realworld/ (read
in place) when that folder exists, and always the built-in samples below.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.wsbuilder import AGENTS_MD, PROPOSED_MD

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld"
KINDS = ("log", "roster", "checklist", "config")
FILE_OF = {"log": "TASK-LOG.json", "roster": "AGENTS.md", "checklist": "PROPOSED-TASKS.md", "config": "techcat.toml"}

HUGE_DIGITS = "9" * 5000
FRAGMENTS = [
    b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\\u", b"\\ud800", b"\\udfff\"", b"\\ud83d\\ude00",
    b"\\u0000", b"\x00", b"\x01", b"\x1b[31m", b"\x7f", "\u2028".encode(), "\u0085".encode(), b"\r", b"\r\n",
    b"\t", "\ufeff".encode(), "é—“🐾”".encode(), b"\xed\xa0\x80", b"\xff\xfe", b"\xc3", b"NaN", b"Infinity", b"-0",
    b"1e999999", b"-" + HUGE_DIGITS.encode(), HUGE_DIGITS.encode(), b'"task-' + HUGE_DIGITS.encode() + b'"',
    b'"task-0"', b'"task-7"', b'"task-001"', b"null", b"true", b"[]", b"{}", b'"agent": 5, ', b'"summery": "x", ',
    b'"output_files": ["../../etc/passwd", "/abs", ".git/config", "C:\\\\x", "~/x", "a\\u0000b"], ',
    b'{"task_id": "task-900", "agent": "planner", "date": "2025-02-30", "summary": "s", "output_files": []},',
    b"## Agent: `", b"## Agent: `ghost`\n", b"- **Output:** ", b"- **Output:** /etc/passwd\n", b"- **Role:** ",
    b"Once complete, invoke `", b"- [ ] @", b"- [x] @planner done (task-" + HUGE_DIGITS.encode() + b")\n",
    b"- [>] ", b"- [?] ", b"```", b"\n```json\n", b"<!-- ", b" -->", b"**", b"`", b"#", b"\n\n",
    b"[limits]\n", b"max_file_bytes = -1\n", b"max_file_bytes = " + HUGE_DIGITS.encode() + b"\n", b"= ", b"[[",
    b'"""', b"[check]\nfuture_date_tolerance_days = 1e999\n", b"a.b.c = 1\n",
]


def builtin_log() -> bytes:
    entries = [{"task_id": f"task-{n:03d}", "agent": ["planner", "frontend_specialist", "task_logger"][n % 3],
                "date": f"2025-07-{1 + n % 28:02d}", "summary": f"Entry “{n}” — done 🐾",
                "output_files": ["apps/web/home.tsx"] if n % 2 else [".codex/PROPOSED-TASKS.md"]}
               for n in range(1, 13)]
    return (json.dumps(entries, indent=2, ensure_ascii=False) + "\n").encode()


BUILTIN_CONFIG = (b'[check]\nfuture_date_tolerance_days = 1\n\n[limits]\nmax_file_bytes = 1048576\n\n'
                  b'[mcp]\ntools = "all"\n')


def seeds() -> dict[str, list[bytes]]:
    """The seed files of each kind: built-in samples, and the real ones when ../shared/realworld exists."""
    found: dict[str, list[bytes]] = {"log": [builtin_log()], "roster": [AGENTS_MD.encode()],
                                     "checklist": [PROPOSED_MD.encode()], "config": [BUILTIN_CONFIG]}
    if REALWORLD.is_dir():
        for kind, name in FILE_OF.items():
            found[kind] += [path.read_bytes() for path in sorted(REALWORLD.rglob(name)) if path.is_file()]
        found["checklist"] += [path.read_bytes() for path in sorted(REALWORLD.rglob("legacy-TASK-LOG.md"))]
    return found


def realworld_seed_count() -> int:
    return sum(len(texts) for texts in seeds().values()) - len(KINDS)


# -- the mutations -----------------------------------------------------------------------------------------


def _at(rng: random.Random, data: bytes) -> int:
    return rng.randint(0, len(data))


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:_at(rng, data)]


def delete_span(rng: random.Random, data: bytes) -> bytes:
    start = _at(rng, data)
    return data[:start] + data[start + rng.choice([1, 2, 5, 40, 400]):]


def duplicate_span(rng: random.Random, data: bytes) -> bytes:
    start = _at(rng, data)
    end = min(len(data), start + rng.choice([1, 10, 80, 300]))
    return data[:end] + data[start:end] + data[end:]


def insert_fragment(rng: random.Random, data: bytes) -> bytes:
    at = _at(rng, data)
    return data[:at] + rng.choice(FRAGMENTS) + data[at:]


def deep_nesting(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([100, 1_000, 10_000, 100_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}"), (b"- ", b""), (b"> ", b""), (b"a = [", b"]")])
    at = _at(rng, data)
    return data[:at] + opener * depth + closer * depth + data[at:]


def huge_number(rng: random.Random, data: bytes) -> bytes:
    digits = list(re.finditer(rb"\d+", data))
    if not digits:
        return insert_fragment(rng, data)
    match = rng.choice(digits)
    return data[:match.start()] + HUGE_DIGITS.encode() + data[match.end():]


def huge_id(rng: random.Random, data: bytes) -> bytes:
    ids = list(re.finditer(rb"task-\d+", data))
    if not ids:
        return data + b"\n- [ ] @planner task-" + HUGE_DIGITS.encode() + b"\n"
    match = rng.choice(ids)
    return data[:match.start()] + b"task-" + HUGE_DIGITS.encode() + data[match.end():]


def surrogate(rng: random.Random, data: bytes) -> bytes:
    """A lone surrogate: a JSON escape inside a string, or its (invalid) UTF-8 bytes anywhere."""
    strings = list(re.finditer(rb'"[^"\\\n]*"', data))
    if strings and rng.random() < 0.7:
        match = rng.choice(strings)
        at = rng.randint(match.start() + 1, match.end() - 1)
        return data[:at] + rng.choice([b"\\ud800", b"\\udfff", b"\\udc80x", b"\\ud83d"]) + data[at:]
    at = _at(rng, data)
    return data[:at] + b"\xed\xa0\x80" + data[at:]


def nul(rng: random.Random, data: bytes) -> bytes:
    at = _at(rng, data)
    return data[:at] + rng.choice([b"\x00", b"\\u0000", b"\x00" * 64]) + data[at:]


def control(rng: random.Random, data: bytes) -> bytes:
    at = _at(rng, data)
    chars = [bytes([code]) for code in (*range(1, 32), 127)] + ["\u2028".encode(), "\u0085".encode()]
    return data[:at] + b"".join(rng.choice(chars) for _ in range(rng.randint(1, 4))) + data[at:]


def bom(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]) + data


def utf16(rng: random.Random, data: bytes) -> bytes:
    return data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))


def line_endings(rng: random.Random, data: bytes) -> bytes:
    return data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n\r", b"\r\r\n"]))


def duplicate_key(rng: random.Random, data: bytes) -> bytes:
    pairs = list(re.finditer(rb'"[a-z_]+":\s*("[^"\n]*"|\d+|\[[^\]\n]*\])', data))
    if not pairs:
        return duplicate_span(rng, data)
    match = rng.choice(pairs)
    return data[:match.end()] + b", " + match.group(0) + data[match.end():]


def wrong_type(rng: random.Random, data: bytes) -> bytes:
    values = list(re.finditer(rb':\s*("[^"\n]*"|\d+|\[[^\]\n]*\]|true|false|null)', data))
    if not values:
        return insert_fragment(rng, data)
    match = rng.choice(values)
    new = rng.choice([b"123", b"null", b"[]", b"{}", b"true", b"1.5e308", b'""', b'["a", 1]', b'{"a": [1]}',
                      b"-1", HUGE_DIGITS.encode()])
    return data[:match.start(1)] + new + data[match.end(1):]


def wrap(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([b'{"tasks": ' + data + b"}", b"[" + data + b"]", data + data, b'"' + data + b'"'])


def whitespace_only(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([b"", b" ", b"\n\n\n", b"\xef\xbb\xbf", b"\x00", b"[", b"]", b"[]", b"null"])


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[random.Random, bytes], bytes]
    weight: int = 1


MUTATIONS = [Mutation(fn.__name__, fn, weight) for fn, weight in (
    (flip_bytes, 4), (truncate, 3), (delete_span, 3), (duplicate_span, 2), (insert_fragment, 8), (deep_nesting, 1),
    (huge_number, 2), (huge_id, 2), (surrogate, 3), (nul, 2), (control, 2), (bom, 1), (utf16, 1), (line_endings, 1),
    (duplicate_key, 2), (wrong_type, 3), (wrap, 1), (whitespace_only, 1))]


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """One to three mutations of `data`, and their names (for the failure report)."""
    names = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        mutation = rng.choices(MUTATIONS, weights=[m.weight for m in MUTATIONS])[0]
        data = mutation.apply(rng, data)
        names.append(mutation.name)
    return data, names


def json_loads_rejects(data: bytes) -> str | None:
    """Why Python's `json.loads` refuses the log — "utf-8" (after an optional BOM, which RFC 8259 lets a
    parser ignore) or "json" — or None when it reads it. A number too long for Python's int is not a
    syntax error, so it does not count."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "utf-8"
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return "json"
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return None
    return None

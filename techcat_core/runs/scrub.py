"""What a record may keep of a run's texts: never a key, and no more than `[history] max_record_bytes` each.

The runtime never puts a key in a prompt, but a task, a file or a reply can still hold one (a user
pasting a `.env`); whatever looks like a configured secret is replaced before anything is stored.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping

REDACTED = "[redacted]"
MIN_SECRET = 8  # shorter values ("1", "true") would blank ordinary words
_SECRET_NAME = re.compile(r"(API_KEY|_KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")  # an OpenAI-style key, configured or not


def configured_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The values of the environment's key-like variables and of the user's credentials file."""
    from techcat_core.runtime.settings import user_config_dir

    env = os.environ if env is None else env
    found = {value for name, value in env.items() if _SECRET_NAME.search(name) and len(value) >= MIN_SECRET}
    try:
        data = tomllib.loads((user_config_dir(env) / "credentials.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    found |= {value for value in data.values() if isinstance(value, str) and len(value) >= MIN_SECRET}
    return sorted(found, key=len, reverse=True)  # a longer secret containing a shorter one goes first


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced, and NUL characters too (PostgreSQL's text cannot hold them)."""
    text = text.replace("\x00", "\ufffd")
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _KEY_SHAPE.sub(REDACTED, text)


def trim(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to `limit` UTF-8 bytes (at a character boundary) with a marker saying how much went."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    kept = data[:limit].decode("utf-8", errors="ignore")
    return f"{kept}\n[… trimmed by TechCat: {len(data) - len(kept.encode('utf-8'))} more bytes]", True

"""Text handed to an executor: valid UTF-8 in files and the environment, and the few TOML strings a generated
config needs (no TOML writer dependency for that)."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with each lone surrogate (which UTF-8 cannot hold) as U+FFFD, so the executor reads valid UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def env_safe(text: str) -> str:
    """An environment value cannot hold NUL or a lone surrogate: both become U+FFFD."""
    return valid_text(text).replace("\x00", "\ufffd")


def toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped; a lone surrogate,
    which TOML cannot hold, becomes U+FFFD."""
    value = valid_text(value)
    out = ['"']
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)

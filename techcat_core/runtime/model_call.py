"""Calling the model through the `openai` client: streaming, bounded retries with backoff, clear failures.

The client's own retries are off so that every retry is visible as a `Retrying` event. A stream
that ends without a finish reason (a dropped connection) counts as a failure, not a short reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from techcat_core.runtime.settings import ProviderSettings

MAX_BACKOFF = 8.0


class ModelError(Exception):
    """The model call failed for good; the message is safe to show (it never contains the key)."""


@dataclass(frozen=True, slots=True)
class RetryNotice:
    attempt: int
    delay: float
    reason: str


class _Dropped(Exception):
    pass


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ProviderSettings, Any]] = \
    weakref.WeakKeyDictionary()


def shared_client(settings: ProviderSettings) -> Any:
    """One client per provider settings and event loop, reused by every run in it.

    A new client builds a TLS context (about 45 ms here, loading the system's certificates) and a new
    connection pool; a TUI, an editor or `techcat watch` that runs agent after agent should pay that once.
    Clients are tied to their event loop, so `asyncio.run` (one CLI run) gets its own.
    """
    by_settings = _clients.setdefault(asyncio.get_running_loop(), {})
    key = dataclasses.replace(settings, model="")  # the model is per request: agents on other models share one
    client = by_settings.get(key)
    if client is None:
        client = by_settings[key] = make_client(settings)
    return client


def make_client(settings: ProviderSettings) -> Any:
    from openai import AsyncAzureOpenAI, AsyncOpenAI

    if settings.kind == "azure":
        return AsyncAzureOpenAI(azure_endpoint=settings.azure_endpoint or "", api_key=settings.api_key,
                                api_version=settings.api_version, azure_deployment=settings.azure_deployment,
                                timeout=settings.timeout, max_retries=0)
    return AsyncOpenAI(api_key=settings.api_key, base_url=settings.base_url, timeout=settings.timeout, max_retries=0)


def _retry_after(error: Any) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return max(0.0, min(float(value), 60.0)) if value is not None else None
    except ValueError:
        return None


def _describe(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    if status:
        return f"HTTP {status}"
    name = type(error).__name__
    return {"APITimeoutError": "timed out", "APIConnectionError": "could not connect",
            "_Dropped": "the connection closed mid-reply"}.get(name, name)


_END = object()


async def _or_cancel(awaitable: Any, cancel: asyncio.Event | None) -> Any:
    """Await `awaitable`, or raise CancelledError as soon as `cancel` is set (abandoning it).

    A cancel must take effect while the client waits for the first byte or sleeps before a retry,
    not only when the next chunk arrives.
    """
    if cancel is None:
        return await awaitable
    if cancel.is_set():
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise asyncio.CancelledError
    work = asyncio.ensure_future(awaitable)
    waiter = asyncio.ensure_future(cancel.wait())
    abandoned = False
    try:
        await asyncio.wait({work, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not work.done():
            abandoned = True
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await work
    if abandoned or work.cancelled():
        raise asyncio.CancelledError
    return work.result()


async def _next_chunk(iterator: Any) -> Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END


async def stream_reply(settings: ProviderSettings, model: str, messages: list[dict[str, str]],
                       cancel: asyncio.Event | None = None) -> AsyncIterator[str | RetryNotice]:
    """Yield text deltas (and retry notices) of one reply; raise ModelError when it cannot be had."""
    import openai

    retryable = (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError,
                 openai.InternalServerError, _Dropped)
    client = shared_client(settings)
    attempt = 0
    while True:
        try:
            if not settings.stream:
                completion = await _or_cancel(client.chat.completions.create(model=model, messages=messages),
                                              cancel)
                content = completion.choices[0].message.content if completion.choices else None
                if content:
                    yield content
                return
            stream = await _or_cancel(client.chat.completions.create(model=model, messages=messages,
                                                                     stream=True), cancel)
            finished = False
            iterator = stream.__aiter__()
            while True:
                try:
                    chunk = await _or_cancel(_next_chunk(iterator), cancel)
                except asyncio.CancelledError:
                    with contextlib.suppress(Exception):
                        await stream.close()
                    raise
                if chunk is _END:
                    break
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        yield choice.delta.content
                    if choice.finish_reason:
                        finished = True
            if not finished:
                raise _Dropped
            return
        except retryable as error:
            attempt += 1
            if attempt > settings.max_retries:
                where = settings.where or "the provider"
                raise ModelError(f"{where} failed {attempt} time(s), last: {_describe(error)}; "
                                 "try again later or check the server") from None
            delay = _retry_after(error)
            if delay is None:
                delay = min(MAX_BACKOFF, 0.25 * 2 ** (attempt - 1))
            yield RetryNotice(attempt, delay, _describe(error))
            await _or_cancel(asyncio.sleep(delay), cancel)
        except openai.AuthenticationError:
            raise ModelError("the provider rejected the API key (HTTP 401); check the key in your environment"
                             ) from None
        except openai.NotFoundError:
            raise ModelError(f"the provider does not know model {model!r} (HTTP 404); check --model or the "
                             "deployment name") from None
        except openai.APIStatusError as error:
            raise ModelError(f"the provider refused the request: {_describe(error)}") from None

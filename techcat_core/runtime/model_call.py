"""Calling the model through the `openai` client: streaming, bounded retries with backoff, clear failures.

The client's own retries are off so that every retry is visible as a `Retrying` event. A reply
counts only when it is complete: a stream that ends without a finish reason (a dropped connection)
is retried, and one cut off by the length limit or a content filter fails, so nothing is written.
Each attempt has a deadline (a server trickling `: keep-alive` must not hold a run open forever).
Every failure is one sentence that never contains the key; the server's own reason is kept.
`call_with_tools` is the same call with function-calling tools (issue 13 §1): it ends with the `Turn`,
the reply's text and the tool calls it asked for, and a 400 about `tools` is `ToolsRefused`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from techcat_core.runtime.provider_replies import (
    ModelError,
    cut_off,
    error_code,
    fatal_stream_error,
    learn_refusal,
    not_found,
    provider_key,
    refused_fields,
    retry_after,
    server_reason,
)
from techcat_core.runtime.settings import ProviderSettings
from techcat_core.runtime.tokens import estimate_messages, estimate_tokens

__all__ = ["CallUsage", "ModelError", "OutOfTime", "RetryNotice", "ToolCallRequest", "ToolsRefused", "Turn",
           "call_with_tools", "retry_after", "shared_client", "stream_reply", "tools_refused"]

MAX_BACKOFF = 8.0


@dataclass(frozen=True, slots=True)
class RetryNotice:
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class CallUsage:
    """The tokens of one call: the server's count, or (`estimated`) ours when it sent none."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """One function call the model asked for; `arguments` is its JSON text, unparsed and untrusted."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Turn:
    """The end of a call made with tools: the reply's whole text and the calls it asked for (none: it is done)."""

    text: str
    calls: tuple[ToolCallRequest, ...]


class ToolsRefused(ModelError):
    """The server answered 400 to the request's `tools`: it has no function calling (or it is switched off)."""


class OutOfTime(ModelError):
    """The caller's overall time (`until`) ran out during the call; the caller says which budget that was."""


class _Transient(Exception):
    """A fault worth another attempt; the message says what happened."""


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ProviderSettings, Any]] = \
    weakref.WeakKeyDictionary()


def shared_client(settings: ProviderSettings) -> Any:
    """One client per provider settings and event loop, reused by every run in it.

    A new client builds a TLS context (about 45 ms here, loading the system's certificates) and a new
    connection pool; a TUI, an editor or `techcat watch` that runs agent after agent should pay that once.
    Clients are tied to their event loop, so `asyncio.run` (one CLI run) gets its own.
    """
    by_settings = _clients.setdefault(asyncio.get_running_loop(), {})
    key = dataclasses.replace(settings, model="", tool_commands=())  # per request: agents on other models share one
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


def _describe(error: BaseException) -> str:
    if isinstance(error, _Transient):
        return str(error)
    status = getattr(error, "status_code", None)
    if status:
        return f"HTTP {status}"
    name = type(error).__name__
    return {"APITimeoutError": "timed out", "APIConnectionError": "could not connect"}.get(name, name)


_END = object()


async def _bounded(awaitable: Any, cancel: asyncio.Event | None, deadline: float | None) -> Any:
    """Await `awaitable`, abandoning it when `cancel` is set (CancelledError) or at `deadline` (loop time).

    A cancel must take effect while the client waits for the first byte or sleeps before a retry,
    not only when the next chunk arrives; a deadline must hold however often the server sends bytes.
    """
    if cancel is None and deadline is None:
        return await awaitable
    if cancel is not None and cancel.is_set():
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise asyncio.CancelledError
    loop = asyncio.get_running_loop()
    timeout = None if deadline is None else max(0.0, deadline - loop.time())
    work = asyncio.ensure_future(awaitable)
    waiter = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    abandoned = False
    try:
        await asyncio.wait({work} | ({waiter} if waiter else set()), timeout=timeout,
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        if waiter is not None:
            waiter.cancel()
        if not work.done():
            abandoned = True
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await work
    if cancel is not None and cancel.is_set():
        raise asyncio.CancelledError
    if abandoned:
        raise _Transient("passed the deadline for one attempt")
    if work.cancelled():
        raise asyncio.CancelledError
    return work.result()


async def _or_cancel(awaitable: Any, cancel: asyncio.Event | None) -> Any:
    return await _bounded(awaitable, cancel, None)


async def _next_chunk(iterator: Any) -> Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END


def _fields(settings: ProviderSettings, model: str, messages: Sequence[Mapping[str, Any]], max_tokens: int | None,
            tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    refused = refused_fields(settings)
    fields: dict[str, Any] = {"model": model, "messages": messages}
    if tools:
        fields["tools"] = tools
    if settings.stream:
        fields["stream"] = True
        if "stream_options" not in refused:
            fields["stream_options"] = {"include_usage": True}
    if max_tokens and "max_tokens" not in refused:
        fields["max_completion_tokens" if "max_completion_tokens" in refused else "max_tokens"] = max_tokens
    return fields


def _chunk_parts(chunk: Any, calls: _Calls | None = None) -> tuple[list[str], str | None, Any]:
    """The text pieces, the finish reason and the usage of one streamed chunk; `_Transient` if malformed.

    Tool-call fragments go into `calls` (when given) and count as bytes of the reply."""
    choices = getattr(chunk, "choices", None)
    if choices is None:
        choices = []
    if not isinstance(choices, list):
        raise _Transient("the server sent a malformed stream chunk (`choices` is not a list)")
    texts: list[str] = []
    finish: str | None = None
    for choice in choices:
        delta = getattr(choice, "delta", None)
        content = getattr(delta, "content", None) if delta is not None else None
        if content is not None and not isinstance(content, str):
            raise _Transient("the server sent a malformed stream chunk (its content is not text)")
        if content:
            texts.append(content)
        if calls is not None and delta is not None:
            calls.add_deltas(getattr(delta, "tool_calls", None))
        reason = getattr(choice, "finish_reason", None)
        if reason:
            finish = str(reason)
    return texts, finish, getattr(chunk, "usage", None)


def _usage_of(usage: Any, messages: Sequence[Mapping[str, Any]], reply: str) -> CallUsage:
    prompt = getattr(usage, "prompt_tokens", None) if usage is not None else None
    completion = getattr(usage, "completion_tokens", None) if usage is not None else None
    if isinstance(prompt, int) and isinstance(completion, int):
        return CallUsage(prompt, completion, estimated=False)
    return CallUsage(estimate_messages(messages), estimate_tokens(reply), estimated=True)


class _Attempt:
    """One request: its text so far, its finish reason and usage, bounded by the cap and the deadline."""

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self.parts: list[str] = []
        self.size = 0
        self.finish: str | None = None
        self.usage: Any = None
        self.responded = False
        self.calls: _Calls | None = None

    def add(self, text: str, keep: bool = True) -> None:
        self.size += len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))  # (a lone \ud800)
        if self.size > self.settings.max_reply_bytes:
            raise ModelError(f"the reply passed {self.settings.max_reply_bytes:,} bytes, the cap "
                             "(`max_reply_bytes` in .codex/techcat.toml); nothing was written")
        if keep:
            self.parts.append(text)


class _Calls:
    """The tool calls of one reply, put together from streamed fragments (by `index`) or a whole message."""

    def __init__(self, attempt: _Attempt) -> None:
        self.attempt = attempt
        self.parts: dict[int, tuple[list[str], list[str], list[str]]] = {}  # index -> id, name, argument pieces

    def add_deltas(self, deltas: Any) -> None:
        if not deltas:
            return
        if not isinstance(deltas, list):
            raise _Transient("the server sent a malformed stream chunk (`tool_calls` is not a list)")
        for position, delta in enumerate(deltas):
            index = getattr(delta, "index", None)
            index = index if isinstance(index, int) else len(self.parts) + position
            ids, names, arguments = self.parts.setdefault(index, ([], [], []))
            function = getattr(delta, "function", None)
            raw_arguments = getattr(function, "arguments", None)
            if isinstance(raw_arguments, dict):  # some servers send the arguments as a JSON object, not its text
                raw_arguments = json.dumps(raw_arguments)
            for target, value in ((ids, getattr(delta, "id", None)), (names, getattr(function, "name", None)),
                                  (arguments, raw_arguments)):
                if value is None:
                    continue
                if not isinstance(value, str):
                    raise _Transient("the server sent a malformed tool call (a part of it is not text)")
                self.attempt.add(value, keep=False)
                if target is not ids or not ids or ids[-1] != value:  # some servers repeat the id in every piece
                    target.append(value)

    def text(self) -> str:
        """The names and arguments, for a token estimate when the server reports no usage."""
        return "".join("".join(names) + "".join(arguments) for _, names, arguments in self.parts.values())

    def requests(self) -> tuple[ToolCallRequest, ...]:
        calls = []
        for number, index in enumerate(sorted(self.parts)):
            ids, names, arguments = self.parts[index]
            calls.append(ToolCallRequest("".join(ids[:1]) or f"call_{number + 1}", "".join(names),
                                         "".join(arguments)))
        return tuple(calls)


async def stream_reply(settings: ProviderSettings, model: str, messages: list[dict[str, str]],
                       cancel: asyncio.Event | None = None, max_tokens: int | None = None
                       ) -> AsyncIterator[str | RetryNotice | CallUsage]:
    """Yield the text deltas (and retry notices) of one complete reply, then its `CallUsage`.

    Raises ModelError when no complete reply can be had; a `CallUsage` comes first when the server
    did answer (a cut-off reply still spent tokens).
    """
    async with contextlib.aclosing(_reply(settings, model, messages, cancel, max_tokens, None, None)) as pieces:
        async for piece in pieces:
            if not isinstance(piece, Turn):
                yield piece


async def call_with_tools(settings: ProviderSettings, model: str, messages: Sequence[Mapping[str, Any]],
                          tools: list[dict[str, Any]], cancel: asyncio.Event | None = None,
                          max_tokens: int | None = None, until: float | None = None
                          ) -> AsyncIterator[str | RetryNotice | CallUsage | Turn]:
    """`stream_reply` with `tools` offered: the text deltas, retry notices and `CallUsage`, then the `Turn`.

    `until` (event-loop time) ends the call, retries included, with `OutOfTime`; a 400 that is about the
    tools is `ToolsRefused` (remembered for this provider in this process, so the next run does not ask).
    """
    if provider_key(settings) in _no_tools:
        raise ToolsRefused(_no_tools[provider_key(settings)])
    async with contextlib.aclosing(_reply(settings, model, messages, cancel, max_tokens, tools, until)) as pieces:
        async for piece in pieces:
            yield piece


_no_tools: dict[str, str] = {}  # provider -> the reason its server gave for refusing `tools`


def tools_refused(settings: ProviderSettings) -> bool:
    """Whether this provider's server refused `tools` earlier in this process."""
    return provider_key(settings) in _no_tools


def _about_tools(error: Any, settings: ProviderSettings) -> str | None:
    """The server's reason when a 400 is about the request's tools (vLLM, Ollama, strict servers), else None."""
    reason = server_reason(error, settings)
    text = (reason + " " + json.dumps(getattr(error, "body", None), default=str)).lower()
    return reason or "no reason given" if ("tool" in text or "function" in text) else None


async def _reply(settings: ProviderSettings, model: str, messages: Sequence[Mapping[str, Any]],
                 cancel: asyncio.Event | None, max_tokens: int | None, tools: list[dict[str, Any]] | None,
                 until: float | None) -> AsyncGenerator[str | RetryNotice | CallUsage | Turn, None]:
    """The one retry loop behind `stream_reply` and `call_with_tools`."""
    import openai

    client = shared_client(settings)
    loop = asyncio.get_running_loop()
    attempt = 0
    fell_back = False
    while True:
        fields = _fields(settings, model, messages, max_tokens, tools)
        current = _Attempt(settings)
        if tools is not None:
            current.calls = _Calls(current)
        deadline = loop.time() + settings.deadline
        if until is not None:
            if loop.time() >= until:
                raise OutOfTime("the time ran out")
            deadline = min(deadline, until)
        try:
            async for piece in _one_attempt(client, fields, current, cancel, deadline):
                yield piece
            calls_text = current.calls.text() if current.calls is not None else ""
            usage = _usage_of(current.usage, messages, "".join(current.parts) + calls_text)
            if current.finish in ("length", "content_filter"):
                yield usage
                raise cut_off(current.finish, max_tokens, any(k in fields for k in ("max_tokens",
                                                                                      "max_completion_tokens")))
            yield usage
            if current.calls is not None:
                yield Turn("".join(current.parts), current.calls.requests())
            return
        except openai.RateLimitError as error:
            if error_code(error) == "insufficient_quota" or "insufficient_quota" in server_reason(error, settings):
                raise ModelError(f"{settings.where or 'the provider'} says the account has no quota or credit left "
                                 f"(HTTP 429 insufficient_quota: {server_reason(error, settings)}); check its billing "
                                 "— retrying would not help") from None
            failure: BaseException = error
        except (openai.APITimeoutError, openai.InternalServerError, _Transient) as error:
            failure = error
        except openai.APIConnectionError as error:
            failure = _Transient("the connection closed mid-reply") if current.responded else error
        except openai.AuthenticationError:
            raise ModelError("the provider rejected the API key (HTTP 401); check the key in your environment"
                             ) from None
        except openai.PermissionDeniedError as error:
            raise ModelError(f"the provider refused access (HTTP 403): {server_reason(error, settings)}") from None
        except openai.NotFoundError as error:
            raise not_found(settings, model, error) from None
        except openai.BadRequestError as error:
            refused_tools = _about_tools(error, settings) if "tools" in fields else None
            if refused_tools is not None:
                _no_tools[provider_key(settings)] = refused_tools
                raise ToolsRefused(refused_tools) from None
            if not fell_back and learn_refusal(settings, error, fields):
                fell_back = True  # once, without what it refused; remembered for this provider
                continue
            raise ModelError(f"the provider refused the request (HTTP 400): {server_reason(error, settings)}"
                             ) from None
        except openai.APIStatusError as error:
            raise ModelError(f"the provider refused the request (HTTP {error.status_code}): "
                             f"{server_reason(error, settings)}") from None
        except openai.APIError as error:  # an error event inside a 200 stream
            reason = server_reason(error, settings) or "no reason given"
            if fatal_stream_error(error):
                raise ModelError(f"the server stopped the reply with an error: {reason}") from None
            failure = _Transient(f"the server sent an error mid-reply: {reason}")
        if until is not None and loop.time() >= until:  # the caller's budget, not this attempt's deadline, ended it
            raise OutOfTime(f"the time ran out (last: {_describe(failure)})")
        attempt += 1
        if attempt > settings.max_retries:
            where = settings.where or "the provider"
            raise ModelError(f"{where} failed {attempt} time(s), last: {_describe(failure)}; "
                             "try again later or check the server")
        delay = retry_after(getattr(getattr(failure, "response", None), "headers", None))
        if delay is None:
            delay = min(MAX_BACKOFF, 0.25 * 2 ** (attempt - 1))
        if until is not None and loop.time() + delay >= until:
            raise OutOfTime(f"the time ran out (last: {_describe(failure)})")
        yield RetryNotice(attempt, delay, _describe(failure))
        await _or_cancel(asyncio.sleep(delay), cancel)


async def _one_attempt(client: Any, fields: dict[str, Any], current: _Attempt, cancel: asyncio.Event | None,
                       deadline: float) -> AsyncIterator[str]:
    """Send one request and yield its text; fills `current`. Raises the client's errors or `_Transient`."""
    if not fields.get("stream"):
        completion = await _bounded(client.chat.completions.create(**fields), cancel, deadline)
        current.responded = True
        choices = getattr(completion, "choices", None) or []
        if not isinstance(choices, list):
            raise _Transient("the server sent a malformed reply (`choices` is not a list)")
        message = getattr(choices[0], "message", None) if choices else None
        content = getattr(message, "content", None)
        current.finish = str(getattr(choices[0], "finish_reason", None) or "stop") if choices else "stop"
        current.usage = getattr(completion, "usage", None)
        if current.calls is not None:
            current.calls.add_deltas(getattr(message, "tool_calls", None))
        if content:
            current.add(str(content))
            yield str(content)
        return
    stream = await _bounded(client.chat.completions.create(**fields), cancel, deadline)
    current.responded = True
    iterator = stream.__aiter__()
    try:
        while True:
            try:
                chunk = await _bounded(_next_chunk(iterator), cancel, deadline)
            except ValueError as error:  # a `data:` line that is not JSON
                raise _Transient("the server sent a malformed stream chunk (not JSON)") from error
            if chunk is _END:
                break
            texts, finish, usage = _chunk_parts(chunk, current.calls)
            for text in texts:
                current.add(text)
                yield text
            current.finish = finish or current.finish
            current.usage = usage or current.usage
    except BaseException:
        with contextlib.suppress(Exception):
            await stream.close()
        with contextlib.suppress(Exception):  # the chunk generator too, or it is finalised mid-step later
            await iterator.aclose()
        raise
    if current.finish is None:
        raise _Transient("the connection closed mid-reply")

"""The stdio transport's input, screened, so that a line the SDK cannot read still gets an answer.

The SDK reads each line with pydantic's JSON parser, which refuses a lone surrogate escape (`"\\ud800"`),
an integer thousands of digits long and a raw control character in a string; it then drops the line,
and the client waits for ever for the answer to its request. Here such a line is read again with
Python's more lenient parser, only to find its id and say what is wrong: a `tools/call` gets a tool
error naming the argument (what a model reads), any other request a JSON-RPC error, and a line whose
id cannot be made out a parse error with a null id, as JSON-RPC asks.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import anyio
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from mcp_types import ErrorData, JSONRPCError, JSONRPCResponse
from pydantic import ValidationError

from techcat_mcp.arguments import shorten, text_problem
from techcat_mcp.shallow import Unreadable, read_shallow

logger = logging.getLogger("techcat_mcp")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


class _HugeNumber:
    """An integer too long for Python to read (over 4,300 digits), kept as its length."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = len(digits.lstrip("-"))


def _integer(digits: str) -> int | _HugeNumber:
    return int(digits) if len(digits) <= 4000 else _HugeNumber(digits)


_DECODER = json.JSONDecoder(parse_int=_integer, strict=False)  # strict=False: control characters in strings


def _problems(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            yield where, problem
    elif isinstance(value, Unreadable):
        yield where, value.reason
    elif isinstance(value, _HugeNumber):
        yield where, f"is a number of {value.digits:,} digits, too long to read"
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else key
            problem = text_problem(key)
            if problem is not None:
                yield inner, f"has a name that {problem}"
            yield from _problems(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, f"{where}[{index}]")


def answer_unreadable(error: Exception) -> SessionMessage | None:
    """The answer to a line the SDK could not read, or None when nothing can be answered (it is logged)."""
    data: Any = None
    if isinstance(error, ValidationError) and error.errors():
        first = error.errors()[0]
        data = first.get("input")
        if first.get("type") == "json_invalid" and isinstance(data, str):
            raw = data
            try:
                data = _DECODER.decode(raw)
            except (ValueError, RecursionError) as bad:
                data, complete = read_shallow(raw, _DECODER)  # the id and method, at least, if they are readable
                if not complete:
                    reason = f"the message is not JSON ({getattr(bad, 'msg', 'nested too deeply')})"
                    return _error(_request_id(data), PARSE_ERROR, reason)
    if not isinstance(data, dict):
        return _error(None, INVALID_REQUEST, f"the message could not be read: {shorten(str(error), 300)}")
    msg_id = data.get("id")
    method = data.get("method")
    if isinstance(msg_id, bool) or not isinstance(msg_id, int | str) or not isinstance(method, str):
        if "id" in data:
            return _error(None, INVALID_REQUEST, "the message's id or method is not valid")
        logger.warning("a notification from the client could not be read: %s", shorten(str(error), 300))
        return None
    found = next(_problems(data.get("params"), "params"), None)
    if found is None:
        return _error(msg_id, INVALID_REQUEST, f"{shorten(method, 80)} could not be read: {_pydantic_reason(error)}")
    where, problem = found
    params = data.get("params")
    if method == "tools/call" and isinstance(params, dict) and where.startswith("params.arguments."):
        name = params.get("name")
        tool = shorten(name, 80) if isinstance(name, str) else "?"
        argument = shorten(where.removeprefix("params.arguments."), 80)
        text = f"Error executing tool {tool}: argument `{argument}` {problem}"
        return SessionMessage(JSONRPCResponse(jsonrpc="2.0", id=msg_id, result={
            "content": [{"type": "text", "text": text}], "isError": True}))
    return _error(msg_id, INVALID_PARAMS, f"{shorten(method, 80)}: `{shorten(where, 80)}` {problem}")


def _request_id(data: dict[str, Any] | None) -> int | str | None:
    """The id of a request whose id (and method) could be read, else None (JSON-RPC's null id)."""
    if data is None or not isinstance(data.get("method"), str):
        return None
    msg_id = data.get("id")
    return msg_id if isinstance(msg_id, int | str) and not isinstance(msg_id, bool) else None


def _pydantic_reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in error.errors()[:3]]
        return shorten("; ".join(parts), 300)
    return shorten(str(error), 300)


def _error(msg_id: int | str | None, code: int, reason: str) -> SessionMessage:
    logger.warning("answered %s with an error: %s", "a message" if msg_id is None else f"request {msg_id!r}", reason)
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=msg_id, error=ErrorData(code=code, message=reason)))


class ScreenedReadStream:
    """The SDK's read stream, with the lines it could not read answered on the write stream instead."""

    def __init__(self, inner: ReadStream[SessionMessage | Exception], replies: WriteStream[SessionMessage]) -> None:
        self._inner = inner
        self._replies = replies

    @property
    def last_context(self) -> contextvars.Context | None:
        context = getattr(self._inner, "last_context", None)
        return context if isinstance(context, contextvars.Context) else None

    async def receive(self) -> SessionMessage | Exception:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            try:
                answer = answer_unreadable(item)
            except Exception:  # screening must never be what stops the server
                logger.exception("could not answer an unreadable message")
                continue
            if answer is not None:
                await self._replies.send(answer)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None,
                        exc_tb: TracebackType | None) -> bool | None:
        await self.aclose()
        return None

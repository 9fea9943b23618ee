"""The server's message loop: bytes from stdin or a socket, through `FrameParser`, to pygls.

pygls's own loop (`pygls.io_.run_async`) loses its place after one bad frame and never answers a
request whose parameters do not fit (a negative position: the client waits for ever). This loop
recovers what a bad frame can give (see `framing.py`), logs what it cannot, and answers every
request that reaches it: with pygls's result, or with a JSON-RPC error that says what was wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.protocol import JsonRPCProtocol
from pygls.server import JsonRPCServer

from techcat_lsp.framing import FrameParser, HugeNumber, Message, Skipped, read_value
from techcat_lsp.params import shorten

logger = logging.getLogger("techcat_lsp")

STALL_SECONDS = 0.5  # silence after which a frame that stopped short is taken as it is
CHUNK = 1 << 16
MsgId = int | str | None


async def serve(read: Callable[[], Awaitable[bytes]], protocol: JsonRPCProtocol, stop: threading.Event) -> None:
    """Read and dispatch until end of input or `stop`; `exit` ends it by raising SystemExit, as in pygls."""
    parser = FrameParser()
    while not stop.is_set():
        if parser.pending:
            try:
                chunk = await asyncio.wait_for(read(), STALL_SECONDS)
            except TimeoutError:
                for event in parser.stalled():
                    deliver(protocol, event)
                continue
        else:
            chunk = await read()
        if not chunk:
            if parser.pending:
                logger.warning("the client closed its end in the middle of a frame (%d bytes unread)", parser.pending)
            return
        for event in parser.feed(chunk):
            deliver(protocol, event)


def deliver(protocol: JsonRPCProtocol, event: Message | Skipped) -> None:
    """One message to pygls, or the loss of one logged (and answered, if it was a request)."""
    if isinstance(event, Skipped):
        logger.warning("unreadable input from the client: %s", event.problem)
        _answer_lost(protocol, event)
        return
    if event.problem:
        logger.warning("a malformed frame was read anyway: %s", event.problem)
    receive(protocol, event.value)


def receive(protocol: JsonRPCProtocol, data: Any) -> None:
    """Dispatch one JSON value the way pygls does, but answer the requests pygls would drop."""
    if not isinstance(data, dict):
        kind = "a batch (a JSON array), which LSP does not use" if isinstance(data, list) else shorten(data)
        _error(protocol, None, JsonRpcInvalidRequest, f"a message must be a JSON object, not {kind}")
        return
    method = data.get("method")
    msg_id = data.get("id")
    is_request = "id" in data and "method" in data
    if "id" in data and (isinstance(msg_id, bool) or not isinstance(msg_id, int | str | None)):
        _error(protocol, None, JsonRpcInvalidRequest, f"the message's id must be a number or a string, not "
                                                      f"{shorten(msg_id)}")
        return
    if data.get("jsonrpc") != JsonRPCProtocol.VERSION:
        _refuse(protocol, is_request, msg_id, JsonRpcInvalidRequest,
                f"the message must say \"jsonrpc\": \"2.0\", not {shorten(data.get('jsonrpc'))}")
        return
    if "method" in data and not isinstance(method, str):
        _refuse(protocol, is_request, msg_id, JsonRpcInvalidRequest, f"method must be a string, not {shorten(method)}")
        return
    if _shut_down(protocol) and method != lsp.EXIT:
        _refuse(protocol, is_request, msg_id, JsonRpcInvalidRequest,
                f"{method or 'a message'} came after shutdown; only exit is accepted now")
        return
    try:
        message = protocol.structure_message(data)
    except JsonRpcException as error:
        _refuse(protocol, is_request, msg_id, type(error), error.message)
        return
    try:
        protocol.handle_message(message)
    except Exception as error:  # pygls answers a failing handler itself; this is a failure around it
        logger.exception("%s could not be handled", method or "a response")
        _refuse(protocol, is_request, msg_id, JsonRpcInternalError, f"{method} failed: {type(error).__name__}")


def _shut_down(protocol: JsonRPCProtocol) -> bool:
    return bool(getattr(protocol, "_shutdown", False))


def _refuse(protocol: JsonRPCProtocol, is_request: bool, msg_id: MsgId, kind: type[JsonRpcException],
            reason: str) -> None:
    """A request gets the error; a notification or response cannot be answered, so it is logged."""
    if is_request:
        _error(protocol, msg_id, kind, reason)
    else:
        logger.warning("ignored a message from the client: %s", reason)


def _error(protocol: JsonRPCProtocol, msg_id: MsgId, kind: type[JsonRpcException], reason: str) -> None:
    code = kind.CODE
    logger.warning("answered %s with an error: %s", "a message" if msg_id is None else f"request {msg_id!r}", reason)
    protocol._send_response(msg_id, None, lsp.ResponseError(code=code, message=reason))  # type: ignore[arg-type]


def _answer_lost(protocol: JsonRPCProtocol, event: Skipped) -> None:
    """A request in an unreadable frame still gets an answer when its id can be made out."""
    try:
        text = event.data.decode("utf-8", "replace")
        data = read_value(text)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and "method" in data and "id" in data:
        msg_id = data["id"]
        if isinstance(msg_id, int | str) and not isinstance(msg_id, bool | HugeNumber):
            _error(protocol, msg_id, JsonRpcParseError, event.problem)
            return
    _error(protocol, None, JsonRpcParseError, event.problem)


# -- where the bytes come from -------------------------------------------------------------------------


def stdin_reader(stdin: BinaryIO) -> Callable[[], Awaitable[bytes]]:
    """Chunks of stdin as they arrive, read by a daemon thread (which never holds the process open)."""
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()
    fd = stdin.fileno()

    def pump() -> None:
        while True:
            try:
                chunk = os.read(fd, CHUNK)
            except OSError:
                chunk = b""
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody is listening
                loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            if not chunk:
                return

    threading.Thread(target=pump, name="techcat-lsp-stdin", daemon=True).start()
    return chunks.get


def serve_stdio(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """pygls's `start_io`, with this module's loop."""
    server._stop_event = stop = threading.Event()  # pygls's shutdown() sets it
    server.protocol.set_writer(StdoutWriter(stdout))

    async def main() -> None:
        await serve(stdin_reader(stdin), server.protocol, stop)

    try:
        asyncio.run(main())
    except BrokenPipeError:
        logger.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]


def serve_tcp(server: JsonRPCServer, host: str, port: int) -> None:
    """pygls's `start_tcp`, with this module's loop."""
    server._stop_event = stop = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.protocol.set_writer(writer)  # type: ignore[arg-type]  # its write() is the one pygls needs
        await serve(lambda: reader.read(CHUNK), server.protocol, stop)
        server.shutdown()  # type: ignore[no-untyped-call]

    async def main() -> None:
        listener = await asyncio.start_server(connection, host, port)
        server._server = listener  # so that pygls's shutdown() closes it
        async with listener:
            await listener.serve_forever()

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(main())

"""1,000 edits and requests to the real language server over stdio (pytest-lsp), in both editor profiles:
mutated whole texts (lone surrogates, NULs, control characters, huge ids), small edits, malformed change
ranges, and every request the server offers at valid and invalid positions. Every request is answered
within 10 s — a result where the params are valid, an `InvalidParams` error where they are not."""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.fuzz.mutations import FILE_OF, FRAGMENTS, mutate, seeds
from tests.lsp.helpers import Session, uri

MAX_SECONDS = 10.0
INVALID_PARAMS = -32602
BAD_NUMBERS: list[Any] = [-1, -(2**40), 2**31, 10**30, 1.5, "3", None, True, [], {}]
POSITION_REQUESTS = {"hoverProvider": lsp.TEXT_DOCUMENT_HOVER, "completionProvider": lsp.TEXT_DOCUMENT_COMPLETION,
                     "definitionProvider": lsp.TEXT_DOCUMENT_DEFINITION,
                     "referencesProvider": lsp.TEXT_DOCUMENT_REFERENCES}
DOCUMENT_REQUESTS = {"documentSymbolProvider": lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
                     "codeLensProvider": lsp.TEXT_DOCUMENT_CODE_LENS,
                     "foldingRangeProvider": lsp.TEXT_DOCUMENT_FOLDING_RANGE,
                     "diagnosticProvider": lsp.TEXT_DOCUMENT_DIAGNOSTIC}
SAFE_COMMANDS = ("techcat.queueItem", "techcat.fixAll", "techcat.logFromGit", "techcat.openFiles")
JUNK_ARGUMENTS: list[list[Any]] = [[], [None], [1e300], ["\ud800"], [{"uri": "file:///\x00"}], ["x" * 100_000],
                                   [{"number": 10**40}], [[[[[]]]]]]


def _units(text: str, encoding: str) -> int:
    """Length in the client's position units; a lone surrogate counts as one code unit (as the server counts it)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


def _position(text: str, offset: int, encoding: str) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": _units(text[start:offset], encoding)}


def send_raw(protocol: Any, method: str, params: Any, msg_id: str | None = None) -> Future[Any] | None:
    """A message exactly as given: the client's typed classes would refuse to write invalid params at all."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    future: Future[Any] | None = None
    if msg_id is not None:
        message["id"] = msg_id
        future = protocol._request_futures[msg_id] = Future()
    protocol._send_data(message)
    return future


class Fuzzer:
    def __init__(self, session: Session, rng: random.Random, texts: dict[str, str]) -> None:
        self.session = session
        self.client = session.client
        self.rng = rng
        self.texts = texts
        self.versions = dict.fromkeys(texts, 1)
        self.failures: list[str] = []
        self.answered = 0

    def change(self, target: str, changes: list[dict[str, Any]], text: str) -> None:
        self.versions[target] += 1
        self.texts[target] = text
        send_raw(self.client.protocol, lsp.TEXT_DOCUMENT_DID_CHANGE, {
            "textDocument": {"uri": target, "version": self.versions[target]}, "contentChanges": changes})

    def small_edit(self, target: str) -> None:
        text = self.texts[target]
        start = self.rng.randint(0, len(text))
        end = min(len(text), start + self.rng.choice([0, 0, 1, 3, 20]))
        insert = self.rng.choice(FRAGMENTS).decode("utf-8", "surrogateescape") if self.rng.random() < 0.8 else ""
        encoding = self.session.encoding
        self.change(target, [{"range": {"start": _position(text, start, encoding), "end": _position(text, end,
                                                                                                   encoding)},
                              "text": insert}], text[:start] + insert + text[end:])

    def replace_all(self, target: str, kind: str, pool: dict[str, list[bytes]]) -> None:
        data, _ = mutate(self.rng, self.rng.choice(pool[kind]))
        text = data.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8 arrive as lone surrogates
        self.change(target, [{"text": text}], text)

    def bad_change(self, target: str) -> None:
        """A change the server must refuse (logged) and not apply: the text is unchanged."""
        self.versions[target] += 1
        bad = {"line": self.rng.choice(BAD_NUMBERS), "character": 0}
        send_raw(self.client.protocol, lsp.TEXT_DOCUMENT_DID_CHANGE, {
            "textDocument": {"uri": target, "version": self.versions[target]},
            "contentChanges": [{"range": {"start": bad, "end": bad}, "text": "junk"}]})

    async def request(self, method: str, params: dict[str, Any], invalid: bool, step: int) -> None:
        where = f"step {step}: {method} {str(params)[:160]}"
        future = send_raw(self.client.protocol, method, params, f"fuzz-{step}")
        assert future is not None
        try:
            await asyncio.wait_for(asyncio.wrap_future(future), MAX_SECONDS)
        except TimeoutError:
            self.failures.append(f"{where}: no answer within {MAX_SECONDS} s")
            return
        except JsonRpcException as error:
            self.answered += 1
            if not invalid or error.code != INVALID_PARAMS:
                self.failures.append(f"{where}: error {error.code} {error.message[:200]}")
            return
        self.answered += 1
        if invalid:
            self.failures.append(f"{where}: answered as if the params were valid")

    def position(self, target: str) -> tuple[Any, bool]:
        if self.rng.random() < 0.3:
            field = self.rng.choice(["line", "character"])
            good = {"line": 0, "character": 0}
            good[field] = self.rng.choice(BAD_NUMBERS)
            return self.rng.choice([good, None, "x", [1, 2]]), True
        lines = self.texts[target].count("\n")
        return {"line": self.rng.randint(0, lines + 2), "character": self.rng.choice([0, 1, 7, 40, 2**31 - 1])}, False


@pytest.mark.parametrize(("profile", "steps"), [("vscode", 550), ("neovim", 450)])
async def test_the_server_answers_every_request_while_being_fed_garbage(profile: str, steps: int, repo: Path,
                                                                        client: LanguageClient) -> None:
    session = Session(client, profile, repo)
    result = await session.start()
    try:
        caps = session.client.protocol._converter.unstructure(result.capabilities)
        position_methods = [method for key, method in POSITION_REQUESTS.items() if caps.get(key)]
        document_methods = [method for key, method in DOCUMENT_REQUESTS.items() if caps.get(key)]
        commands = [name for name in (caps.get("executeCommandProvider") or {}).get("commands", [])
                    if name in SAFE_COMMANDS]
        assert position_methods and document_methods and commands
        rng = random.Random(f"lsp-20261204-{profile}")
        pool = seeds()
        kinds = {uri(session.codex / FILE_OF[kind]): kind for kind in ("log", "roster", "checklist")}
        texts = {target: rng.choice(pool[kind]).decode("utf-8", "replace") for target, kind in kinds.items()}
        for target, text in texts.items():
            session.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
                target, "json" if target.endswith(".json") else "markdown", 1, text)))
        fuzz = Fuzzer(session, rng, texts)
        for step in range(steps):
            target = rng.choice(list(kinds))
            roll = rng.random()
            if roll < 0.4:
                fuzz.small_edit(target)
            elif roll < 0.47:
                fuzz.replace_all(target, kinds[target], pool)
            elif roll < 0.5:
                fuzz.bad_change(target)
            elif roll < 0.8:
                method = rng.choice(position_methods)
                position, invalid = fuzz.position(target)
                params: dict[str, Any] = {"textDocument": {"uri": target}, "position": position}
                if method == lsp.TEXT_DOCUMENT_REFERENCES:
                    params["context"] = {"includeDeclaration": rng.random() < 0.5}
                await fuzz.request(method, params, invalid, step)
            elif roll < 0.9:
                position, invalid = fuzz.position(target)
                await fuzz.request(lsp.TEXT_DOCUMENT_CODE_ACTION, {
                    "textDocument": {"uri": target}, "range": {"start": position, "end": position},
                    "context": {"diagnostics": []}}, invalid, step)
            elif roll < 0.97:
                await fuzz.request(rng.choice(document_methods), {"textDocument": {"uri": target}}, False, step)
            else:
                command, junk = rng.choice(commands), rng.choice(JUNK_ARGUMENTS)
                # a command takes one object with its required fields (techcat_lsp/command_args.py), else InvalidParams
                needs = {"techcat.runAgent": "agent", "techcat.queueItem": "number", "techcat.fixAll": "uri",
                         "techcat.openFiles": "files", "techcat.addAgent": "name"}.get(command)
                first = junk[0] if junk else None
                fits = len(junk) <= 1 and (first is None or isinstance(first, dict)) and (
                    needs is None or (isinstance(first, dict) and needs in first
                                      and not (needs == "number" and first[needs] >= 2**31)))  # LSP's integer
                await fuzz.request(lsp.WORKSPACE_EXECUTE_COMMAND, {"command": command, "arguments": junk},
                                   not fits, step)
        # Still in step at the end: the log's diagnostics come for its last text.
        log = uri(session.codex / FILE_OF["log"])
        await fuzz.request(lsp.TEXT_DOCUMENT_HOVER, {"textDocument": {"uri": log},
                                                     "position": {"line": 0, "character": 0}}, False, steps)
        print(f"{profile}: {steps} steps, {fuzz.answered} requests answered")
        assert not fuzz.failures, f"{len(fuzz.failures)} failures:\n" + "\n".join(fuzz.failures[:15])
    finally:
        await session.client.shutdown_session()

"""A run is done only when the reply is complete and usable (issue 12 §1), against the real local test server.

Each test drives the real `openai` client against tests/fake_openai.py; nothing is patched.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from pathlib import Path
from typing import Any

import pytest

from techcat_core.runtime import events as ev
from techcat_core.runtime.provider_replies import retry_after
from techcat_core.runtime.runner import RunRequest, run_agent
from tests.fake_openai import Behaviour, FakeOpenAI
from tests.gitutil import techcat
from tests.wsbuilder import make_workspace


def _env(fake: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-SECRET-123456", **extra}


async def _collect(codex: Path, request: RunRequest) -> list[Any]:
    return [event async for event in run_agent(codex, request)]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".techcat" not in p.parts and ".git" not in p.parts}


def _toml(**settings: object) -> dict[str, str | bytes]:
    lines = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    return {"techcat.toml": "[provider]\n" + lines}


def _failed(events: list[Any]) -> str:
    failed = [e for e in events if isinstance(e, ev.RunFailed)]
    assert len(failed) == 1, events
    assert isinstance(events[-1], ev.RunFailed)
    return str(failed[0].message)


@pytest.mark.parametrize("reason, words", [
    ("length", ["cut off", "1024-token reply limit", "context_window"]),  # a local server: a 4k window
    ("content_filter", ["content filter", "rephrase"]),
])
async def test_a_cut_off_reply_fails_and_writes_nothing(tmp_path: Path, fake_openai: FakeOpenAI, reason: str,
                                                        words: list[str]) -> None:
    codex = make_workspace(tmp_path)
    before = _snapshot(tmp_path)
    fake_openai.queue(Behaviour(reply="# Proposed\n\n- [ ] @planner half a li", finish_reason=reason))
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    message = _failed(events)
    assert all(word in message for word in words), message
    assert "nothing was written" in message
    assert not any(isinstance(e, (ev.Logged, ev.FileWritten)) for e in events)
    assert _snapshot(tmp_path) == before
    assert len(fake_openai.requests) == 1  # not retried: the same request would be cut off again
    usage = [e for e in events if isinstance(e, ev.Usage)]
    assert [(u.prompt_tokens, u.completion_tokens, u.estimated) for u in usage] == [(11, 7, False)]


async def test_requests_send_the_reply_reserve_and_ask_for_usage(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra=_toml(context_window=8192))
    fake_openai.queue(Behaviour(reply="Planned.\n", usage=(321, 45)))
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), model="m1", chain=False))
    body = fake_openai.requests[0].body
    assert body["max_tokens"] == 2048  # a quarter of an 8k window
    assert body["stream_options"] == {"include_usage": True}
    usage = [e for e in events if isinstance(e, ev.Usage)]
    assert len(usage) == 1 and usage[0] == ev.Usage(usage[0].run_id, 321, 45, False, "m1")
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Usage") < kinds.index("FileWritten")  # after the reply, before anything is written


async def test_a_server_that_refuses_unknown_fields_is_asked_again_without_them(tmp_path: Path,
                                                                               fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.strict_fields = frozenset({"stream_options"})
    fake_openai.default = Behaviour(reply="Planned.\n")
    first = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert any(isinstance(e, ev.Logged) for e in first), first
    assert not any(isinstance(e, ev.Retrying) for e in first)  # not a retry of a fault: the same work, once more
    assert ["stream_options" in r.body for r in fake_openai.requests] == [True, False]
    assert all(r.body["max_tokens"] == 1024 for r in fake_openai.requests)  # only what it refused is left out
    usage = next(e for e in first if isinstance(e, ev.Usage))
    assert usage.estimated and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    second = await _collect(codex, RunRequest("planner", "Plan again", env=_env(fake_openai), chain=False))
    assert any(isinstance(e, ev.Logged) for e in second)
    assert len(fake_openai.requests) == 3  # remembered for this provider: no second 400


async def test_a_real_bad_request_keeps_the_servers_reason(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(status=400, error_body={"error": {
        "message": "This model's maximum context length is 2048 tokens. However, you requested 4596 tokens.",
        "type": "invalid_request_error", "code": "context_length_exceeded"}}))
    message = _failed(await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai))))
    assert message == ("the provider refused the request (HTTP 400): This model's maximum context length is 2048 "
                       "tokens. However, you requested 4596 tokens.")
    assert len(fake_openai.requests) == 1


async def test_a_403_keeps_its_reason_without_the_key(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(status=403, error_body={"error": {
        "message": "Key sk-test-SECRET-123456 may not use model gpt-4o in this project", "type": "permission"}}))
    message = _failed(await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai))))
    assert message == "the provider refused access (HTTP 403): Key *** may not use model gpt-4o in this project"


async def test_a_base_url_without_v1_is_named(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    bare = fake_openai.base_url.removesuffix("/v1")
    message = _failed(await _collect(codex, RunRequest("planner", "Plan", env={"OPENAI_BASE_URL": bare})))
    assert message == (f"{bare} has no /chat/completions (HTTP 404): OpenAI-compatible servers serve under /v1, so "
                       f"the base URL is probably {bare}/v1")


async def test_an_out_of_quota_429_is_not_retried(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.default = Behaviour(status=429, error_body={"error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota", "code": "insufficient_quota"}})
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    message = _failed(events)
    assert "no quota or credit left" in message and "exceeded your current quota" in message
    assert not any(isinstance(e, ev.Retrying) for e in events)
    assert len(fake_openai.requests) == 1


async def test_retry_after_as_an_http_date_is_honoured(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    when = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3), usegmt=True)
    fake_openai.queue(Behaviour(status=429, retry_after=when), "Planned later.\n")
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    retry = next(e for e in events if isinstance(e, ev.Retrying))
    assert 1.0 < retry.delay <= 3.0, retry  # the date's whole seconds, not the 0.25 s backoff
    assert any(isinstance(e, ev.Logged) for e in events)


def test_retry_after_forms() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after({"retry-after": "Thu, 01 Jan 2026 12:00:07 GMT"}, now) == 7.0
    assert retry_after({"retry-after": "Thu, 01 Jan 2026 11:00:00 GMT"}, now) == 0.0  # in the past: at once
    assert retry_after({"retry-after": "2.5"}, now) == 2.5
    assert retry_after({"retry-after": "3600"}, now) == 60.0  # capped
    assert retry_after({"retry-after-ms": "150", "retry-after": "9"}, now) == 0.15
    assert retry_after({"retry-after": "soon"}, now) is None


@pytest.mark.parametrize("raw, said", [
    (["data: {not json"], "the server sent a malformed stream chunk (not JSON)"),
    (['data: {"choices": 5}'], "the server sent a malformed stream chunk (`choices` is not a list)"),
    (['data: {"error": {"message": "the engine is overloaded", "type": "server_error"}}'],
     "the server sent an error mid-reply: the engine is overloaded"),
])
async def test_a_broken_stream_is_one_sentence_and_retried(tmp_path: Path, fake_openai: FakeOpenAI,
                                                          raw: list[str], said: str) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(reply="Planned half", raw_after=raw), "Planned in full.\n")
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert [e.reason for e in events if isinstance(e, ev.Retrying)] == [said]
    assert (codex / "PROPOSED-TASKS.md").read_text() == "Planned in full.\n"
    before = _snapshot(tmp_path)
    fake_openai.default = Behaviour(reply="Planned half", raw_after=raw)
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert _failed(events).endswith(f"failed 4 time(s), last: {said}; try again later or check the server")
    assert _snapshot(tmp_path) == before


async def test_a_fatal_error_event_is_not_retried(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(reply="Plan", raw_after=['data: {"error": {"message": "prompt too long", '
                                                         '"code": "context_length_exceeded"}}']))
    message = _failed(await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai))))
    assert message == "the server stopped the reply with an error: prompt too long"
    assert len(fake_openai.requests) == 1


async def test_a_stream_aborted_mid_body_is_said_so(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra=_toml(max_retries=1))
    fake_openai.default = Behaviour(reply="x" * 400, abort_after=3)
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    assert [e.reason for e in events if isinstance(e, ev.Retrying)] == ["the connection closed mid-reply"]
    assert "last: the connection closed mid-reply" in _failed(events)


async def test_a_keep_alive_trickle_meets_the_deadline(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra=_toml(deadline=1.0, max_retries=0, timeout=30))
    before = _snapshot(tmp_path)
    fake_openai.default = Behaviour(reply="never", keep_alive=(0.1, 300))
    started = time.monotonic()
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    took = time.monotonic() - started
    assert "last: passed the deadline for one attempt" in _failed(events)
    assert took < 10, took  # the per-read timeout (30 s) never fired: the server kept sending comments
    assert _snapshot(tmp_path) == before


def test_the_cli_deadline_flag(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    make_workspace(tmp_path, extra=_toml(max_retries=0))
    fake_openai.default = Behaviour(reply="never", keep_alive=(0.1, 300))
    result = techcat("run", "planner", "Plan", "--deadline", "1", cwd=tmp_path, env=_env(fake_openai))
    assert result.returncode == 1, result.stderr
    assert "last: passed the deadline for one attempt" in result.stderr and "Traceback" not in result.stderr
    bad = techcat("run", "planner", "Plan", "--deadline", "-3", cwd=tmp_path, env=_env(fake_openai))
    assert bad.returncode != 0 and "deadline" in bad.stderr and "Traceback" not in bad.stderr


async def test_a_reply_past_the_size_cap_fails(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra=_toml(max_reply_bytes=2048))
    before = _snapshot(tmp_path)
    fake_openai.queue(Behaviour(reply="- [ ] @planner a line of the plan\n" * 200))
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai)))
    assert _failed(events) == ("the reply passed 2,048 bytes, the cap (`max_reply_bytes` in .codex/techcat.toml); "
                               "nothing was written")
    assert _snapshot(tmp_path) == before
    assert len(fake_openai.requests) == 1


def _explain(codex: Path, env: dict[str, str]) -> tuple[int, str]:
    from techcat_core.runtime.runner import explain_run

    _, settings, _ = explain_run(codex, RunRequest("planner", "Plan", env=env))
    return settings.context_window, settings.context_window_source


def test_the_window_comes_from_vllm(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.max_model_len = 2048
    window, source = _explain(make_workspace(tmp_path), _env(fake_openai))
    assert window == 2048 and "max_model_len" in source


def test_the_window_comes_from_llamacpp(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.llamacpp_n_ctx = 2048
    window, source = _explain(make_workspace(tmp_path), _env(fake_openai))
    assert window == 2048 and "llama.cpp's per-slot n_ctx" in source
    assert [r.path for r in fake_openai.discovery] == ["/v1/models", "/props"]


@pytest.mark.parametrize("trained, num_ctx, window, said", [
    (131072, 8192, 8192, "num_ctx"),
    (131072, None, 4096, "trained for 131072 tokens but Ollama serves 4096"),
    (2048, None, 2048, "context_length"),
])
def test_the_window_comes_from_ollama(tmp_path: Path, fake_openai: FakeOpenAI, trained: int, num_ctx: int | None,
                                      window: int, said: str) -> None:
    fake_openai.ollama_context, fake_openai.ollama_num_ctx = trained, num_ctx
    assert fake_openai.requests == []
    found = _explain(make_workspace(tmp_path), _env(fake_openai))
    assert found[0] == window and said in found[1], found
    assert [r.path for r in fake_openai.discovery] == ["/v1/models", "/props", "/api/show"]
    assert fake_openai.discovery[2].body == {"model": "gpt-4o-mini"}


def test_a_silent_local_server_gets_a_small_safe_window(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    window, source = _explain(make_workspace(tmp_path), _env(fake_openai))
    assert window == 4096 and "local server" in source
    toml = make_workspace(tmp_path / "set", extra=_toml(context_window=32768))
    assert _explain(toml, _env(fake_openai)) == (32768, "techcat.toml")


def test_explain_says_where_the_window_came_from(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.max_model_len = 2048
    make_workspace(tmp_path)
    result = techcat("run", "planner", "Plan", "--explain", cwd=tmp_path, env=_env(fake_openai))
    assert result.returncode == 0, result.stderr
    assert "context window: 2048 tokens, from the server (max_model_len" in result.stdout
    assert "tokens: estimated at one token per 2.5 bytes" in result.stdout
    assert fake_openai.requests == []  # the prompt was not sent


async def test_at_a_2k_window_the_prompt_and_its_reply_fit(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.max_model_len = 2048
    log = [{"task_id": f"task-{n:03d}", "agent": "planner", "date": "2025-07-01",
            "summary": "Refactored the {settings} page: 12 files, 3 tests; ümlauts & “quotes”. " * 3,
            "output_files": ["apps/web/settings.tsx"]} for n in range(1, 200)]
    codex = make_workspace(tmp_path, log=log)
    fake_openai.queue("Planned.\n")
    await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    body = fake_openai.requests[0].body
    sent = sum(len(m["content"].encode()) for m in body["messages"]) + len(json.dumps(body["tools"]).encode())
    assert body["max_tokens"] == 512
    # even a tokenizer at 2.5 bytes a token (denser than the 2.7–3 issue 12 measured) leaves the reply its room,
    # the tools' definitions and guidance counted (they go with every request)
    assert sent / 2.5 + body["max_tokens"] <= 2048, sent
    assert "task-199" in body["messages"][-1]["content"]  # the newest memory still went in


async def test_a_reasoning_model_gets_max_completion_tokens(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(status=400, error_body={"error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                   "'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens",
        "code": "unsupported_parameter"}}), "Planned.\n")
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert any(isinstance(e, ev.Logged) for e in events), events
    first, second = (r.body for r in fake_openai.requests)
    assert first["max_tokens"] == 1024 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 1024 and "max_tokens" not in second
    assert second["stream_options"] == {"include_usage": True}  # only the field it refused changed


async def test_a_server_that_cannot_stream_reports_usage_and_cut_offs(tmp_path: Path,
                                                                      fake_openai: FakeOpenAI) -> None:
    codex = make_workspace(tmp_path, extra=_toml(stream=False))
    fake_openai.queue(Behaviour(reply="Planned.\n", usage=(40, 3)), Behaviour(reply="Plan", finish_reason="length"))
    events = await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), chain=False))
    assert [(e.prompt_tokens, e.completion_tokens, e.estimated) for e in events if isinstance(e, ev.Usage)] == \
        [(40, 3, False)]
    assert "stream_options" not in fake_openai.requests[0].body
    assert "cut off" in _failed(await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai))))


@pytest.mark.parametrize("body, said", [
    ({"error": {"code": "model_not_found", "message": "The model `gpt-5-nano` does not exist"}}, "does not know model"),
    ({"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}},
     "does not know model"),
])
async def test_an_unknown_model_or_deployment_is_named(tmp_path: Path, fake_openai: FakeOpenAI,
                                                       body: dict[str, Any], said: str) -> None:
    codex = make_workspace(tmp_path)
    fake_openai.queue(Behaviour(status=404, error_body=body))
    message = _failed(await _collect(codex, RunRequest("planner", "Plan", env=_env(fake_openai), model="gpt-5-nano")))
    assert said in message and "gpt-5-nano" in message and "/v1" not in message

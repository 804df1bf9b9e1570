"""Faults a demanding user meets, against the real model files: deadlines that
hold, answers that are too big or too deep, a store that fails right after the
provider accepted the task, and inputs or keys that must be refused before
anything is sent. Each ends in a typed error or a resumable record, never a
traceback and never a lost task id.

The provider is a scripted loopback server (see test_provider_states); the store
is a real MemoryStore or SQLiteStore, wrapped where a test needs it to fail.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_provider_states import (
    KIE_POLL,
    KIE_SUBMIT,
    OUT,
    REPLICATE_POLL,
    REPLICATE_SUBMIT,
    Reply,
    ScriptedServer,
    VirtualClock,
    execute,
    kie_ok,
    kie_record,
    kie_success,
    load,
    prediction,
    record,
)

import modelvault
from modelvault import MemoryStore, SQLiteStore

KEY = "sk-provider-states-0123456789"
TTS = "elevenlabs-tts-multilingual-v2"
TTS_INPUTS: dict[str, Any] = {"text": "Hello there"}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as started:
        yield started


# --- one deadline per exchange ------------------------------------------------------


def _trickle_case(aio: bool, results: dict[str, Any], store: Any) -> None:
    """Submit, then a poll answer that trickles 1 byte/s, with timeout_s=8 and the
    real clock (sleeps are skipped: only the exchange itself takes time)."""
    with ScriptedServer() as server:
        server.script(KIE_SUBMIT, kie_ok())
        slow = json.dumps(kie_success().body).encode()
        server.default(KIE_POLL, Reply(200, slow, trickle_s=1.0))
        module = load(TTS)
        started = time.monotonic()
        try:
            if aio:

                async def no_wait(seconds: float) -> None:
                    return None

                async def main() -> None:
                    async with httpx.AsyncClient() as client:
                        await module.execute_async(
                            TTS_INPUTS,
                            api_key=KEY,
                            store=store,
                            client=client,
                            generation_id="gen-1",
                            base_url=server.url,
                            sleep=no_wait,
                            timeout_s=8,
                        )

                asyncio.run(main())
            else:
                with httpx.Client() as client:
                    module.execute(
                        TTS_INPUTS,
                        api_key=KEY,
                        store=store,
                        client=client,
                        generation_id="gen-1",
                        base_url=server.url,
                        sleep=lambda seconds: None,
                        timeout_s=8,
                    )
        except BaseException as exc:
            results["error"] = exc
        results["elapsed"] = time.monotonic() - started


def test_a_trickling_answer_cannot_outlast_the_deadline(tmp_path: Path) -> None:
    # Sync and async side by side, so the file stays fast; each must return in
    # about 8 s although the answer would take a minute to arrive.
    cases: dict[str, dict[str, Any]] = {"sync": {}, "async": {}}
    stores: dict[str, Any] = {
        "sync": SQLiteStore(tmp_path / "db.sqlite3"),
        "async": MemoryStore(),
    }
    threads = [
        threading.Thread(
            target=_trickle_case,
            args=(name == "async", cases[name], stores[name]),
            daemon=True,
        )
        for name in cases
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    for name, result in cases.items():
        assert "elapsed" in result, f"{name}: still waiting for the trickle"
        assert result["elapsed"] < 11, (name, result["elapsed"])
        error = result["error"]
        assert type(error).__name__ == "PollTimeout", (name, error)
        assert error.task_id == "task-1"
        got = stores[name].get_generation("gen-1")
        assert got is not None
        assert got.status == "processing", name
        assert got.provider_task_id == "task-1"
        assert got.error is not None
        assert "within" in got.error["last_problem"]["message"]


# --- answers too big or too deep ------------------------------------------------------


def _padded_success(size: int) -> bytes:
    data = json.dumps(kie_success().body).encode()
    return data + b" " * (size - len(data))


def test_an_11_mib_answer_is_a_transient_malformed_problem(
    server: ScriptedServer,
) -> None:
    # Valid JSON saying "success": only its size is wrong.
    server.script(KIE_SUBMIT, kie_ok())
    server.default(KIE_POLL, Reply(200, _padded_success(11 * 1024 * 1024)))
    store, clock = MemoryStore(), VirtualClock()
    module = load(TTS)
    with pytest.raises(module.PollTimeout) as excinfo:
        execute(module, TTS_INPUTS, server, store, clock, timeout_s=30)
    assert excinfo.value.task_id == "task-1"
    got = record(store)
    assert got.status == "processing"
    assert got.error is not None
    assert got.error["last_problem"]["kind"] == "malformed"
    assert str(module.MAX_RESPONSE_BYTES) in got.error["last_problem"]["message"]


def test_a_huge_streamed_answer_is_never_read_whole(server: ScriptedServer) -> None:
    # 64 MiB with no Content-Length: the reader stops at the 10 MiB cap.
    server.script(KIE_SUBMIT, kie_ok())
    big = Reply(200, json.dumps(kie_success().body).encode(), stream_bytes=64 << 20)
    server.script(KIE_POLL, big, kie_success())
    store, clock = MemoryStore(), VirtualClock()
    tracemalloc.start()
    try:
        execute(load(TTS), TTS_INPUTS, server, store, clock)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert record(store).status == "completed"
    assert len(server.seen(KIE_POLL)) == 2
    assert peak < 40 << 20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            Reply(200, b"[" * 200_000 + b"]" * 200_000), id="past-the-recursion-limit"
        ),
        pytest.param(Reply(200, b"[" * 200 + b"]" * 200), id="deeper-than-the-cap"),
        pytest.param(
            Reply(200, b"not gzip", headers={"Content-Encoding": "gzip"}),
            id="broken-gzip",
        ),
    ],
)
def test_deep_or_broken_answers_are_transient(
    answer: Reply, server: ScriptedServer
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, answer, kie_success())
    store, clock = MemoryStore(), VirtualClock()
    execute(load(TTS), TTS_INPUTS, server, store, clock)
    assert record(store).status == "completed"


def test_a_deep_field_beside_the_task_id_does_not_hide_it(
    server: ScriptedServer,
) -> None:
    """The submit answer nests 200 deep next to its taskId: the id is read and
    stored, the deep part is dropped from the record, and the task finishes."""
    deep: Any = "bottom"
    for _ in range(200):
        deep = [deep]
    answer = {"code": 200, "msg": "success", "data": {"taskId": "task-1", "x": deep}}
    server.script(KIE_SUBMIT, Reply(200, answer))
    server.script(KIE_POLL, kie_success())
    store, clock = MemoryStore(), VirtualClock()
    execute(load(TTS), TTS_INPUTS, server, store, clock)
    got = record(store)
    assert got.status == "completed"
    assert got.provider_task_id == "task-1"
    assert len(server.seen(KIE_SUBMIT)) == 1


# --- the task id is never lost --------------------------------------------------------


class FailingStore:
    """A test double of the store: writes matching `fails` raise OSError (disk
    full) while `budget` lasts; everything else goes to a real store."""

    def __init__(
        self,
        inner: Any,
        fails: Callable[[Mapping[str, Any]], bool],
        budget: int = 1_000,
    ) -> None:
        self.inner = inner
        self.fails = fails
        self.budget = budget
        self.refused: list[dict[str, Any]] = []

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self.inner.create_generation(record)

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        if self.budget > 0 and self.fails(changes):
            self.budget -= 1
            self.refused.append(dict(changes))
            raise OSError(28, "No space left on device")
        self.inner.update_generation(generation_id, changes)

    def get_generation(self, generation_id: str) -> Any:
        return self.inner.get_generation(generation_id)


def _task_id_write(changes: Mapping[str, Any]) -> bool:
    return "provider_task_id" in changes


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
def test_task_id_write_failing_three_times_raises_record_not_saved(
    aio: bool, server: ScriptedServer
) -> None:
    server.script(KIE_SUBMIT, kie_ok("task-77"))
    store = FailingStore(MemoryStore(), _task_id_write)
    clock = VirtualClock()
    module = load(TTS)
    with pytest.raises(module.RecordNotSavedError) as excinfo:
        if aio:

            async def main() -> None:
                async with httpx.AsyncClient() as client:
                    await module.execute_async(
                        TTS_INPUTS,
                        api_key=KEY,
                        store=store,
                        client=client,
                        generation_id="gen-1",
                        base_url=server.url,
                        monotonic=clock.monotonic,
                        sleep=clock.async_sleep,
                    )

            asyncio.run(main())
        else:
            execute(module, TTS_INPUTS, server, store, clock)
    error = excinfo.value
    assert isinstance(error, module.ModelError)
    assert error.generation_id == "gen-1"
    assert error.task_id == "task-77"
    assert "gen-1" in str(error) and "task-77" in str(error)
    assert "modelvault resume gen-1 --task-id task-77" in str(error)
    assert len(store.refused) == module.RECORD_WRITE_ATTEMPTS == 3
    assert len(clock.sleeps) == 2  # short backoff between the attempts
    assert len(server.seen(KIE_SUBMIT)) == 1  # never submitted again
    assert server.seen(KIE_POLL) == []


def test_task_id_write_recovers_on_the_last_attempt(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, kie_success())
    inner = SQLiteStore(tmp_path / "db.sqlite3")
    store = FailingStore(inner, _task_id_write, budget=2)
    execute(load(TTS), TTS_INPUTS, server, store, VirtualClock())
    got = inner.get_generation("gen-1")
    assert got is not None
    assert got.status == "completed"
    assert got.provider_task_id == "task-1"


def test_a_failing_error_write_never_masks_the_providers_answer(
    server: ScriptedServer,
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, kie_record("fail", failCode="400", failMsg="bad text"))
    store = FailingStore(MemoryStore(), lambda changes: "error" in changes)
    module = load(TTS)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, TTS_INPUTS, server, store, VirtualClock())
    assert excinfo.value.kind == "task_failed"
    assert excinfo.value.task_id == "task-1"
    notes = " ".join(getattr(excinfo.value, "__notes__", []))
    assert "could not be updated" in notes and "OSError" in notes


def test_a_failing_interruption_write_never_masks_the_interrupt(
    server: ScriptedServer,
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    store = FailingStore(MemoryStore(), lambda changes: "error" in changes)
    calls = {"n": 0}

    def interrupting_sleep(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), httpx.Client() as client:
        load(TTS).execute(
            TTS_INPUTS,
            api_key=KEY,
            store=store,
            client=client,
            generation_id="gen-1",
            base_url=server.url,
            monotonic=lambda: 0.0,
            sleep=interrupting_sleep,
        )
    got = store.get_generation("gen-1")
    assert got.status == "processing" and got.provider_task_id == "task-1"


# --- typed errors, never tracebacks ---------------------------------------------------


def test_retry_after_with_a_superscript_digit_falls_back_to_backoff(
    server: ScriptedServer,
) -> None:
    odd = {"Retry-After": "\u00b2"}  # str.isdigit() says yes, float() says no
    server.script(
        REPLICATE_SUBMIT,
        Reply(429, {"detail": "Request was throttled."}, headers=odd),
        Reply(201, {"id": "pred-1", "status": "starting"}),
    )
    server.script(
        REPLICATE_POLL,
        Reply(429, {"detail": "Request was throttled."}, headers=odd),
        prediction("succeeded", output=[OUT]),
    )
    store, clock = MemoryStore(), VirtualClock()
    execute(load("flux-schnell-replicate"), {"prompt": "x"}, server, store, clock)
    assert record(store).status == "completed"
    assert all(0 <= s <= 60 for s in clock.sleeps)


def _deeply_nested(depth: int) -> Any:
    value: Any = "a fox"
    for _ in range(depth):
        value = [value]
    return value


BAD_INPUTS = [
    pytest.param(
        TTS,
        {"text": "hi", "stability": 10**400},
        "stability",
        "is too large",
        id="10**400-as-a-number",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "a fox", "seed": -(10**400)},
        "seed",
        "is too large",
        id="minus-10**400-as-an-integer",
    ),
    pytest.param(
        TTS,
        {"text": _deeply_nested(100_000)},
        "text",
        "must be a string",
        id="deeply-nested-list-as-the-text",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {
            "prompt": "move",
            "image_urls": ["https://example.com/a.png", _deeply_nested(100_000)],
        },
        "image_urls",
        "must be a list of strings",
        id="deeply-nested-list-item",
    ),
    pytest.param(
        TTS,
        {"text": "a \ud800 fox"},
        "text",
        "is not valid Unicode text",
        id="lone-surrogate",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "move", "image_urls": ["https://example.com/\udfff.png"]},
        "image_urls",
        "is not valid Unicode text",
        id="lone-surrogate-in-a-list-item",
    ),
]


@pytest.mark.parametrize(("model_id", "inputs", "field", "says"), BAD_INPUTS)
def test_bad_inputs_are_typed_errors_and_nothing_is_sent(
    model_id: str,
    inputs: dict[str, Any],
    field: str,
    says: str,
    server: ScriptedServer,
) -> None:
    module = load(model_id)
    with pytest.raises(module.InputValidationError) as excinfo:
        module.validate(inputs)
    assert says in excinfo.value.errors[field]
    message = str(excinfo.value)
    assert len(message) < 1_000
    message.encode("utf-8")  # printable: no lone surrogate copied into it
    store = MemoryStore()
    with pytest.raises(module.InputValidationError):
        execute(module, inputs, server, store, VirtualClock())
    assert store.all_generations() == []
    assert server.requests == []


def test_odd_field_names_are_reported_safely() -> None:
    module = load(TTS)
    with pytest.raises(module.InputValidationError) as excinfo:
        module.validate({"text": "hi", "\ud800": 1, 7: "x"})
    assert len(excinfo.value.errors) == 2
    str(excinfo.value).encode("utf-8")


BAD_KEYS = [
    pytest.param("sk-0123456789\n", "whitespace", id="trailing-newline"),
    pytest.param("sk-0123 456789", "whitespace", id="inner-space"),
    pytest.param("sk-0123456789\u00e9", "non-ASCII", id="e-acute"),
    pytest.param("sk-0123\x00456789", "control", id="nul"),
]


@pytest.mark.parametrize(("key", "says"), BAD_KEYS)
def test_unusable_keys_are_refused_before_anything_is_sent(
    key: str, says: str, server: ScriptedServer
) -> None:
    module = load(TTS)
    store = MemoryStore()
    with pytest.raises(module.MissingApiKeyError) as excinfo:
        execute(module, TTS_INPUTS, server, store, VirtualClock(), api_key=key)
    message = str(excinfo.value)
    assert says in message
    assert "KIE_API_KEY" in message
    assert key not in message
    assert "0123" not in message
    assert store.all_generations() == []
    assert server.requests == []


def test_unusable_key_on_async_and_on_resume(server: ScriptedServer) -> None:
    module = load(TTS)
    store = MemoryStore()

    async def main() -> None:
        async with httpx.AsyncClient() as client:
            await module.execute_async(
                TTS_INPUTS,
                api_key="sk-key\n",
                store=store,
                client=client,
                base_url=server.url,
            )

    with pytest.raises(module.MissingApiKeyError):
        asyncio.run(main())
    assert store.all_generations() == []
    # A stored generation resumed with a bad key is left as it was.
    server.script(KIE_SUBMIT, kie_ok())
    execute(module, TTS_INPUTS, server, store, VirtualClock(), wait=False)
    before = record(store)
    with pytest.raises(module.MissingApiKeyError), httpx.Client() as client:
        module.resume(
            "gen-1",
            "task-1",
            api_key="sk-\u00e9",
            store=store,
            client=client,
            base_url=server.url,
        )
    assert record(store) == before
    assert server.seen(KIE_POLL) == []


def test_inputs_are_validated_before_the_key() -> None:
    # Bad inputs are reported even where no key is configured.
    module = load(TTS)
    store = MemoryStore()
    with pytest.raises(module.InputValidationError), httpx.Client() as client:
        module.execute({"text": ""}, api_key="", store=store, client=client)
    assert store.all_generations() == []


def test_the_runtime_still_reports_the_model_files_errors() -> None:
    # The model-file exceptions keep the names the runtime translates.
    module = load(TTS)
    for name in (
        "ModelError",
        "InputValidationError",
        "MissingApiKeyError",
        "ProviderError",
        "PollTimeout",
        "RecordNotSavedError",
    ):
        assert issubclass(getattr(module, name), Exception), name
    assert issubclass(module.RecordNotSavedError, module.ModelError)
    assert modelvault.get(TTS) is module

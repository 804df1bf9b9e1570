"""modelvault.run / run_async / resume over real loopback HTTP to the provider fakes,
with SQLite stores in tmp dirs and a virtual clock (no real waiting)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import modelvault
from modelvault import Clock, GenerationStatus, MemoryStore, SQLiteStore
from modelvault.testing import FakeProvider, FakeProviders

KEY = "sk-test-0123456789abcdef"


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def clock(self) -> Clock:
        return Clock(self.monotonic, self.sleep, self.async_sleep)


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with FakeProviders(api_key=KEY, polls=2) as started:
        yield started


@pytest.fixture(autouse=True)
def _fresh_fakes(fakes: FakeProviders) -> None:
    fakes.reset()


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "generations.sqlite3")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def minimal_inputs(model_id: str) -> dict[str, Any]:
    schema = modelvault.get(model_id).SCHEMA
    inputs: dict[str, Any] = {}
    for name in schema["required"]:
        prop = schema["properties"][name]
        if prop["type"] == "array":
            inputs[name] = ["https://images.example/a.png"]
        elif prop.get("renderer") == "image":
            inputs[name] = "https://images.example/a.png"
        elif "enum" in prop:
            inputs[name] = prop["enum"][0]
        elif prop["type"] == "string":
            inputs[name] = "a red fox in the snow"
        else:
            inputs[name] = prop.get("minimum", 1)
    return inputs


def _run(
    model_id: str,
    fakes: FakeProviders,
    store: modelvault.GenerationStore,
    clock: VirtualClock,
    **kwargs: Any,
) -> modelvault.Generation:
    info = modelvault.describe(model_id)
    return modelvault.run(
        model_id,
        kwargs.pop("inputs", None) or minimal_inputs(model_id),
        api_key=kwargs.pop("api_key", KEY),
        store=store,
        base_url=fakes.base_url(info.provider),
        clock=clock.clock(),
        **kwargs,
    )


def _fake_for(fakes: FakeProviders, model_id: str) -> FakeProvider:
    return fakes[modelvault.describe(model_id).provider]


@pytest.mark.parametrize("model_id", [m.id for m in modelvault.list_models()])
def test_every_catalog_model_completes(
    model_id: str, fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    record = _run(model_id, fakes, store, clock)
    assert record.status is GenerationStatus.COMPLETED
    assert record.outputs and all(u.startswith("http") for u in record.outputs)
    assert record.provider_task_id
    assert record.cost == str(modelvault.cost(model_id, minimal_inputs(model_id)))
    assert _fake_for(fakes, model_id).submit_count == 1
    assert store.get_generation(record.id) == record


def test_schedule_follows_the_models_polling_config(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    _fake_for(fakes, "seedance-v1-lite").configure(polls=8)
    _run("seedance-v1-lite", fakes, store, clock)
    # first check after 5 s, every 10 s in the first minute, then 15 s. The
    # first poll meets kie's documented "recordInfo is null" (not visible yet),
    # then 8 pending answers, then the result: polls at 5, 15, ..., 55 s are
    # followed by 10 s waits; 65 and 80 s by 15 s.
    assert clock.sleeps == [5.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 15.0, 15.0, 15.0]


def test_bad_key_names_the_env_var_and_never_the_key(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock, tmp_path: Path
) -> None:
    wrong = "sk-wrong-key-that-must-not-leak-42"
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("seedance-v1-lite", fakes, store, clock, api_key=wrong)
    error = excinfo.value
    assert error.kind == "auth"
    assert "KIE_API_KEY" in str(error)
    assert wrong not in str(error)
    record = store.get_generation(error.generation_id or "")
    assert record is not None and record.status is GenerationStatus.FAILED
    store.close()
    assert wrong.encode() not in (tmp_path / "generations.sqlite3").read_bytes()


@pytest.mark.parametrize(
    ("status", "kind"),
    [(402, "insufficient_credits"), (422, "validation"), (403, "auth")],
)
def test_submit_refusals_are_typed(
    status: int,
    kind: str,
    fakes: FakeProviders,
    store: SQLiteStore,
    clock: VirtualClock,
) -> None:
    fake = _fake_for(fakes, "flux-schnell-replicate")
    fake.inject("submit", status=status, message=f"provider says no ({status})")
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("flux-schnell-replicate", fakes, store, clock)
    assert excinfo.value.kind == kind
    assert excinfo.value.status_code == status
    if status == 422:
        assert "provider says no (422)" in str(excinfo.value)
    record = store.get_generation(excinfo.value.generation_id or "")
    assert record is not None and record.status is GenerationStatus.FAILED
    assert record.error is not None and record.error["kind"] == kind


def test_rate_limit_on_submit_honours_retry_after(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    fake = _fake_for(fakes, "flux-schnell-replicate")
    fake.inject("submit", status=429, retry_after=7, times=2)
    record = _run("flux-schnell-replicate", fakes, store, clock)
    assert record.status is GenerationStatus.COMPLETED
    assert clock.sleeps[:2] == [7.0, 7.0]
    assert len(fake.tasks) == 1  # the two refused requests created nothing


def test_rate_limit_retries_are_bounded(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    _fake_for(fakes, "flux-schnell-replicate").inject(
        "submit", status=429, retry_after=1, times=10
    )
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("flux-schnell-replicate", fakes, store, clock)
    assert excinfo.value.kind == "rate_limited"


def test_server_error_on_submit_is_never_resubmitted(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    fake = _fake_for(fakes, "seedance-v1-lite")
    fake.inject("submit", status=500)
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("seedance-v1-lite", fakes, store, clock)
    assert excinfo.value.kind == "server"
    assert "check before running again" in str(excinfo.value)
    submits = [r for r in fake.requests if r.phase == "submit"]
    assert len(submits) == 1


def test_server_and_connection_errors_while_polling_are_retried(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    fake = _fake_for(fakes, "google-veo-3-1-fast")
    fake.inject("poll", status=503)
    fake.inject("poll", kind="drop")
    fake.inject("poll", kind="malformed")
    record = _run("google-veo-3-1-fast", fakes, store, clock)
    assert record.status is GenerationStatus.COMPLETED
    assert fake.submit_count == 1


def test_persistent_poll_failure_keeps_the_record_resumable(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    fake = _fake_for(fakes, "google-veo-3-1-fast")
    fake.inject("poll", kind="drop", times=1000)
    # Dropped connections are transient: polling goes on until the deadline,
    # and the record stays processing with the last problem.
    with pytest.raises(modelvault.GenerationTimeoutError) as excinfo:
        _run("google-veo-3-1-fast", fakes, store, clock, timeout=300)
    record = store.get_generation(excinfo.value.generation_id)
    assert record is not None and record.status is GenerationStatus.PROCESSING
    assert record.provider_task_id == excinfo.value.task_id
    fake.clear_faults()
    [resumed] = modelvault.resume(
        record.id,
        store=store,
        api_keys={"KIE_API_KEY": KEY},
        base_urls=fakes.base_urls(),
        clock=clock.clock(),
    )
    assert resumed.status is GenerationStatus.COMPLETED
    assert fake.submit_count == 1


def test_task_failure_at_the_provider_is_recorded(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    _fake_for(fakes, "recraft-crisp-upscale").configure(
        outcome="failed", error_message="image too small"
    )
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("recraft-crisp-upscale", fakes, store, clock)
    assert excinfo.value.kind == "task_failed"
    record = store.get_generation(excinfo.value.generation_id or "")
    assert record is not None and record.status is GenerationStatus.FAILED
    assert record.error is not None
    assert "image too small" in record.error["message"]
    assert record.provider_response is not None


def test_poll_timeout_keeps_task_id_and_resume_finishes_it(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    fake = _fake_for(fakes, "seedance-v1-lite")
    fake.configure(polls=50)
    with pytest.raises(modelvault.GenerationTimeoutError) as excinfo:
        _run("seedance-v1-lite", fakes, store, clock, timeout=60)
    record = store.get_generation(excinfo.value.generation_id)
    assert record is not None and record.status is GenerationStatus.PROCESSING
    assert record.provider_task_id == excinfo.value.task_id
    assert record.error is not None and record.error["kind"] == "timeout"
    [resumed] = modelvault.resume(
        store=store,
        api_keys={"KIE_API_KEY": KEY},
        base_urls=fakes.base_urls(),
        clock=clock.clock(),
    )
    assert resumed.id == record.id
    assert resumed.status is GenerationStatus.COMPLETED
    assert fake.submit_count == 1


def test_interrupt_while_polling_marks_the_record_for_resume(
    fakes: FakeProviders, store: SQLiteStore
) -> None:
    fake = _fake_for(fakes, "seedance-v1-lite")
    calls = {"n": 0}

    def interrupting_sleep(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        modelvault.run(
            "seedance-v1-lite",
            {"prompt": "a fox"},
            api_key=KEY,
            store=store,
            base_url=fakes.base_url("kie_jobs"),
            clock=Clock(lambda: 0.0, interrupting_sleep),
        )
    [record] = store.unfinished_generations()
    assert record.status is GenerationStatus.PROCESSING
    assert record.error is not None and record.error["kind"] == "interrupted"
    [resumed] = modelvault.resume(
        store=store,
        api_keys={"KIE_API_KEY": KEY},
        base_urls=fakes.base_urls(),
        clock=VirtualClock().clock(),
    )
    assert resumed.status is GenerationStatus.COMPLETED
    assert fake.submit_count == 1


def test_no_wait_then_status_then_resume(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    record = _run("flux-1-schnell-runware", fakes, store, clock, wait=False)
    assert record.status is GenerationStatus.PROCESSING
    assert modelvault.status(record.id, store=store) == record
    [resumed] = modelvault.resume(
        store=store,
        api_keys={"RUNWARE_API_KEY": KEY},
        base_urls=fakes.base_urls(),
        clock=clock.clock(),
    )
    assert resumed.status is GenerationStatus.COMPLETED


def test_invalid_inputs_touch_nothing(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    with pytest.raises(modelvault.InvalidInputsError) as excinfo:
        _run(
            "seedance-v1-lite",
            fakes,
            store,
            clock,
            inputs={"prompt": "", "resolution": "4k", "colour": "red"},
        )
    assert set(excinfo.value.errors) == {"prompt", "resolution", "colour"}
    assert store.all_generations() == []
    assert fakes["kie_jobs"].requests == []


def test_missing_api_key_names_the_env_var(
    monkeypatch: pytest.MonkeyPatch, store: SQLiteStore
) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    with pytest.raises(modelvault.MissingApiKeyError) as excinfo:
        modelvault.run("lyria-2-fal", {"prompt": "calm piano"}, store=store)
    assert "FAL_KEY" in str(excinfo.value)


def test_two_hundred_concurrent_async_runs(
    fakes: FakeProviders, store: SQLiteStore
) -> None:
    async def main() -> list[modelvault.Generation]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(limits=limits) as client:
            return await asyncio.gather(
                *(
                    modelvault.run_async(
                        "flux-schnell-replicate",
                        {"prompt": f"fox number {i}"},
                        api_key=KEY,
                        store=store,
                        client=client,
                        base_url=fakes.base_url("replicate"),
                        clock=VirtualClock().clock(),  # each run its own time
                    )
                    for i in range(200)
                )
            )

    records = asyncio.run(main())
    assert len({r.id for r in records}) == 200
    assert all(r.status is GenerationStatus.COMPLETED for r in records)
    stored = store.all_generations()
    assert len(stored) == 200
    assert {r.inputs["prompt"] for r in stored} == {
        f"fox number {i}" for i in range(200)
    }
    assert fakes["replicate"].submit_count == 200


def test_memory_store_works_the_same(fakes: FakeProviders, clock: VirtualClock) -> None:
    store = MemoryStore()
    record = _run("lyria-2-fal", fakes, store, clock)
    assert record.status is GenerationStatus.COMPLETED
    assert store.get_generation(record.id) == record


def test_task_cancelled_at_the_provider_is_recorded_as_cancelled(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    _fake_for(fakes, "flux-schnell-replicate").configure(outcome="canceled")
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("flux-schnell-replicate", fakes, store, clock)
    assert excinfo.value.kind == "cancelled"
    record = store.get_generation(excinfo.value.generation_id or "")
    assert record is not None and record.status is GenerationStatus.CANCELLED


def test_malformed_answer_to_a_submit_is_not_resubmitted(
    fakes: FakeProviders, store: SQLiteStore, clock: VirtualClock
) -> None:
    fake = _fake_for(fakes, "lyria-2-fal")
    fake.inject("submit", kind="malformed")
    with pytest.raises(modelvault.ProviderError) as excinfo:
        _run("lyria-2-fal", fakes, store, clock)
    assert excinfo.value.kind == "malformed"
    assert "check your dashboard" in str(excinfo.value)
    assert len([r for r in fake.requests if r.phase == "submit"]) == 1

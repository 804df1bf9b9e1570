"""The runtime's promise, end to end: a paid generation is never lost, never
charged twice, never misreported. Real loopback HTTP to the bundled fakes, real
SQLite files, real subprocesses where two processes meet."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

import modelvault
from modelvault import Clock, GenerationStatus, MemoryStore, SQLiteStore
from modelvault._leases import process_owner
from modelvault.testing import FakeProviders

KEY = "sk-guarantee-0123456789abcdef"
REPO_ROOT = Path(__file__).resolve().parents[1]


def _no_wait() -> Clock:
    async def async_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    return Clock(time.monotonic, lambda seconds: None, async_sleep)


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with FakeProviders(api_key=KEY, polls=1) as started:
        yield started


@pytest.fixture(autouse=True)
def _fresh(fakes: FakeProviders) -> None:
    fakes.reset()


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "generations.sqlite3")


def _submit(
    model_id: str, fakes: FakeProviders, store: SQLiteStore
) -> modelvault.Generation:
    family = modelvault.describe(model_id).provider
    return modelvault.run(
        model_id,
        {"prompt": "a fox in the snow"},
        api_key=KEY,
        store=store,
        wait=False,
        base_url=fakes.base_url(family),
        clock=_no_wait(),
    )


# --- resume finishes what it can ------------------------------------------------


def test_resume_reports_a_missing_key_and_finishes_the_others(
    fakes: FakeProviders, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIE_API_KEY", raising=False)
    kie = _submit("seedance-v1-lite", fakes, store)
    runware = _submit("flux-1-schnell-runware", fakes, store)
    results = modelvault.resume(
        store=store,
        api_keys={"RUNWARE_API_KEY": KEY},
        base_urls=fakes.base_urls(),
        clock=_no_wait(),
    )
    by_id = {record.id: record for record in results}
    assert by_id[runware.id].status is GenerationStatus.COMPLETED
    assert by_id[kie.id].status is GenerationStatus.PROCESSING
    [failure] = results.failures
    assert failure.generation_id == kie.id
    assert isinstance(failure.error, modelvault.MissingApiKeyError)
    assert "KIE_API_KEY" in failure.message
    # Nothing was given up: the same record finishes once the key is there.
    again = modelvault.resume(
        kie.id, store=store, api_key=KEY, base_urls=fakes.base_urls(), clock=_no_wait()
    )
    assert [r.status for r in again] == [GenerationStatus.COMPLETED]
    assert fakes["kie_jobs"].submit_count == 1


def test_resume_leaves_a_generation_held_by_a_live_process_alone(
    fakes: FakeProviders, store: SQLiteStore
) -> None:
    record = _submit("flux-1-schnell-runware", fakes, store)
    other = "another-host/4242/cafe0000"
    claimed = store.claim_generation(record.id, other, 300.0)
    assert claimed is not None
    results = modelvault.resume(
        store=store, api_key=KEY, base_urls=fakes.base_urls(), clock=_no_wait()
    )
    assert record.id in results.skipped and other in results.skipped[record.id]
    assert [r.status for r in results] == [GenerationStatus.PROCESSING]
    polls = [r for r in fakes["runware"].requests if r.phase == "poll"]
    assert polls == []


def test_a_submit_in_flight_is_not_declared_lost(store: SQLiteStore) -> None:
    """A pending record without a task id, leased by a live process (its submit
    is in flight), is skipped; once the lease is gone it is marked failed."""
    store.create_generation(
        {
            "id": "gen-in-flight",
            "model_id": "seedance-v1-lite",
            "model_record_id": modelvault.describe("seedance-v1-lite").record_id,
            "inputs": {"prompt": "a fox"},
            "cost": "11.25",
            "lease_owner": "another-host/4242/cafe0000",
            "lease_expires_at": time.time() + 300,
        }
    )
    results = modelvault.resume(store=store, api_key=KEY)
    assert "gen-in-flight" in results.skipped
    assert results[0].status is GenerationStatus.PENDING
    store.release_lease("gen-in-flight", "another-host/4242/cafe0000")
    results = modelvault.resume(store=store, api_key=KEY)
    assert results[0].status is GenerationStatus.FAILED
    assert results[0].error is not None
    assert results[0].error["kind"] == "submit_unknown"


def test_run_releases_its_lease_when_it_returns(
    fakes: FakeProviders, store: SQLiteStore
) -> None:
    record = _submit("flux-1-schnell-runware", fakes, store)
    assert record.lease_owner is None
    done = modelvault.run(
        "flux-1-schnell-runware",
        {"prompt": "a fox"},
        api_key=KEY,
        store=store,
        base_url=fakes.base_url("runware"),
        clock=_no_wait(),
    )
    assert done.status is GenerationStatus.COMPLETED and done.lease_owner is None


_RESUMER = """
import sys, time
import modelvault
from modelvault import Clock, SQLiteStore
results = modelvault.resume(
    store=SQLiteStore(sys.argv[1]),
    api_key=sys.argv[2],
    base_url=sys.argv[3],
    clock=Clock(time.monotonic, lambda s: time.sleep(0.01)),
)
print(sum(1 for r in results if r.status.value == "completed"), len(results.skipped))
"""


def test_two_resuming_processes_split_the_work(
    fakes: FakeProviders, store: SQLiteStore
) -> None:
    fake = fakes["runware"]
    fake.configure(polls=3)
    records = [_submit("flux-1-schnell-runware", fakes, store) for _ in range(40)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _RESUMER, str(store.path), KEY, fake.base_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    for record in records:
        final = store.get_generation(record.id)
        assert final is not None and final.status is GenerationStatus.COMPLETED
        assert final.lease_owner is None
    polls: dict[str, int] = {}
    for request in fake.requests:
        if request.phase == "poll" and request.task_id:
            polls[request.task_id] = polls.get(request.task_id, 0) + 1
    # Every task was polled by one process only: its own schedule, no more.
    task_ids = [record.provider_task_id or "" for record in records]
    assert {t: polls.get(t) for t in task_ids} == {
        t: fake.task(t).polls_needed + 1 for t in task_ids
    }
    assert fake.submit_count == len(records)


def test_a_finished_record_is_never_overwritten_by_a_stale_poller(
    fakes: FakeProviders, store: SQLiteStore
) -> None:
    """Process B polls a task whose record process A has already completed: B's
    late write is refused and the completed record stands."""
    record = _submit("flux-1-schnell-runware", fakes, store)
    done = modelvault.resume(
        record.id,
        store=store,
        api_key=KEY,
        base_urls=fakes.base_urls(),
        clock=_no_wait(),
    )
    assert done[0].status is GenerationStatus.COMPLETED
    module = modelvault.get("flux-1-schnell-runware")
    fakes["runware"].configure(outcome="failed")
    with pytest.raises(modelvault.GenerationConflictError):
        module.resume(
            record.id,
            record.provider_task_id,
            api_key=KEY,
            store=store,
            client=httpx.Client(),
            base_url=fakes.base_url("runware"),
            sleep=lambda seconds: None,
        )
    final = store.get_generation(record.id)
    assert final is not None and final.status is GenerationStatus.COMPLETED
    assert final.outputs == done[0].outputs


# --- the task id is never lost --------------------------------------------------


class _FailingUpdates:
    """A store double whose next `failures` updates raise (a full disk)."""

    def __init__(self, inner: MemoryStore, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self.inner.create_generation(record)

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise modelvault.StoreError("database or disk is full")
        self.inner.update_generation(generation_id, changes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_task_id_that_cannot_be_stored_is_handed_back_and_recoverable(
    fakes: FakeProviders,
) -> None:
    inner = MemoryStore()
    failing = _FailingUpdates(inner, failures=100)
    with pytest.raises(modelvault.RecordNotSavedError) as excinfo:
        modelvault.run(
            "seedance-v1-lite",
            {"prompt": "a fox"},
            api_key=KEY,
            store=failing,  # type: ignore[arg-type]
            base_url=fakes.base_url("kie_jobs"),
            clock=_no_wait(),
        )
    error = excinfo.value
    task_id = error.task_id
    assert task_id in fakes["kie_jobs"].tasks
    assert error.generation_id in str(error) and task_id in str(error)
    assert f"--task-id {task_id}" in str(error)
    [results] = modelvault.resume(
        error.generation_id,
        task_id=task_id,
        store=inner,
        api_key=KEY,
        base_urls=fakes.base_urls(),
        clock=_no_wait(),
    )
    assert results.status is GenerationStatus.COMPLETED
    assert results.provider_task_id == task_id
    assert fakes["kie_jobs"].submit_count == 1


def test_a_store_write_that_fails_once_is_retried(fakes: FakeProviders) -> None:
    inner = MemoryStore()
    record = modelvault.run(
        "seedance-v1-lite",
        {"prompt": "a fox"},
        api_key=KEY,
        store=_FailingUpdates(inner, failures=1),  # type: ignore[arg-type]
        base_url=fakes.base_url("kie_jobs"),
        clock=_no_wait(),
    )
    assert record.status is GenerationStatus.COMPLETED


# --- keys are checked before anything is sent -----------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (KEY + "\n", "line break"),
        (KEY + " ", "space"),
        ("sk-é-0123456789", "non-ASCII"),
        ("sk-\x00-0123456789", "control"),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_before_anything(
    fakes: FakeProviders, store: SQLiteStore, key: str, problem: str
) -> None:
    with pytest.raises(modelvault.InvalidApiKeyError) as excinfo:
        modelvault.run(
            "seedance-v1-lite",
            {"prompt": "a fox"},
            api_key=key,
            store=store,
            base_url=fakes.base_url("kie_jobs"),
        )
    assert problem in str(excinfo.value)
    assert key.strip() not in str(excinfo.value)
    assert fakes["kie_jobs"].requests == []
    assert store.all_generations() == []


def test_bad_inputs_are_reported_before_a_missing_key(
    monkeypatch: pytest.MonkeyPatch, store: SQLiteStore
) -> None:
    monkeypatch.delenv("KIE_API_KEY", raising=False)
    with pytest.raises(modelvault.InvalidInputsError) as excinfo:
        modelvault.run("seedance-v1-lite", {"resolution": "4k"}, store=store)
    assert "resolution" in str(excinfo.value) and "prompt" in str(excinfo.value)


# --- one shared client ------------------------------------------------------------


def test_concurrent_async_runs_share_one_client(
    fakes: FakeProviders, tmp_path: Path
) -> None:
    from modelvault import _http

    store = SQLiteStore(tmp_path / "g.sqlite3")

    async def main() -> list[modelvault.Generation]:
        runs = [
            modelvault.run_async(
                "flux-1-schnell-runware",
                {"prompt": f"fox {i}"},
                api_key=KEY,
                store=store,
                base_url=fakes.base_url("runware"),
                clock=_no_wait(),
            )
            for i in range(50)
        ]
        records = await asyncio.gather(*runs)
        client = _http._async_clients[asyncio.get_running_loop()]
        assert not client.is_closed
        return records

    records = asyncio.run(main())
    assert {r.status for r in records} == {GenerationStatus.COMPLETED}
    assert fakes["runware"].submit_count == 50


def test_owner_of_this_process_is_stable() -> None:
    assert process_owner() == process_owner()


# --- the async path never blocks the event loop on the store ----------------------


class _SlowStore:
    """A store double whose writes take 0.2 s (a slow disk or a distant database),
    blocking the thread that makes them, as a real one does."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner

    def create_generation(self, record: Mapping[str, Any]) -> None:
        time.sleep(0.2)
        self.inner.create_generation(record)

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        time.sleep(0.2)
        self.inner.update_generation(generation_id, changes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_store_writes_on_the_async_path_leave_the_loop_free(
    fakes: FakeProviders,
) -> None:
    async def main() -> tuple[modelvault.Generation, float]:
        longest_gap = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal longest_gap
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                longest_gap = max(longest_gap, now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        record = await modelvault.run_async(
            "flux-1-schnell-runware",
            {"prompt": "a fox"},
            api_key=KEY,
            store=_SlowStore(MemoryStore()),  # type: ignore[arg-type]
            base_url=fakes.base_url("runware"),
            clock=_no_wait(),
        )
        done.set()
        await ticking
        return record, longest_gap

    record, longest_gap = asyncio.run(main())
    assert record.status is GenerationStatus.COMPLETED
    # Each write blocks its thread for 0.2 s; the loop never stalled that long.
    assert longest_gap < 0.15, f"the event loop stalled {longest_gap:.2f} s"


class _RecordingCreates:
    """A store double that keeps what create_generation was given."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.created: list[Mapping[str, Any]] = []

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self.created.append(dict(record))
        self.inner.create_generation(record)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_the_creators_lease_outlives_a_rate_limited_submit(
    fakes: FakeProviders,
) -> None:
    """A submit may wait out three 429s (Retry-After up to 60 s each) plus four
    exchanges of 30 s: a poller must not take the record for lost meanwhile."""
    store = _RecordingCreates(MemoryStore())
    before = time.time()
    modelvault.run(
        "seedance-v1-lite",
        {"prompt": "a fox"},
        api_key=KEY,
        store=store,
        base_url=fakes.base_url("kie_jobs"),
        clock=_no_wait(),
    )
    module = modelvault.get("seedance-v1-lite")
    worst_submit_s = (
        (module.SUBMIT_RATE_LIMIT_RETRIES + 1) * module.HTTP_TIMEOUT_S
        + module.SUBMIT_RATE_LIMIT_RETRIES * module.MAX_RETRY_AFTER_S
    )
    [created] = store.created
    assert created["lease_expires_at"] - before >= worst_submit_s

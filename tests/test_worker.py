"""`Worker` in-process against the bundled fakes, on every store of the contract
suite: it finishes what `run(wait=False)` submitted, serves only its models,
parks what it cannot finish now (keeping the lease for a while instead of
spinning on it), fails a submit that never got a task id, logs one JSON object
per event without a key; and `stats` summarises the store."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_contract import STORE_FACTORIES, FakeClock, close

import modelvault
from modelvault._cli_fleet import stats_text
from modelvault._stats import stats
from modelvault._worker import Worker, WorkerOptions
from modelvault._worker_parts import EventLog
from modelvault.store import GenerationStore
from modelvault.testing import FakeProviders

KEY = "sk-worker-test-0123456789"


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GenerationStore]:
    made = STORE_FACTORIES[request.param](tmp_path, FakeClock(time.time()))
    yield made
    close(made)


@pytest.fixture
def fakes() -> Iterator[FakeProviders]:
    with FakeProviders(api_key=KEY, polls=2) as running:
        yield running


def _submit(store: GenerationStore, fakes: FakeProviders, model: str) -> str:
    family = modelvault.describe(model).provider
    return modelvault.run(
        model,
        {"prompt": "a fox"},
        wait=False,
        store=store,
        api_key=KEY,
        base_url=fakes.base_url(family),
    ).id


def _worker(
    store: GenerationStore, fakes: FakeProviders, **options: Any
) -> tuple[Worker, io.StringIO]:
    out = io.StringIO()
    settings: dict[str, Any] = {
        "once": True,
        "idle_s": 0.01,
        "speedup": 1000.0,
        "api_key": KEY,
        "base_urls": fakes.base_urls(),
        "lease_ttl_s": 30.0,
        **options,
    }
    return Worker(store, WorkerOptions(**settings), log=EventLog(out, [KEY])), out


def _events(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_once_finishes_everything_submitted(
    store: GenerationStore, fakes: FakeProviders
) -> None:
    models = ["seedance-v1-lite", "flux-schnell-replicate", "flux-1-schnell-runware"]
    ids = [_submit(store, fakes, m) for m in models for _ in range(3)]
    worker, out = _worker(store, fakes, concurrency=4)

    tally = worker.run()

    assert tally.finished == {"completed": len(ids)}
    for gid in ids:
        record = store.get_generation(gid)
        assert record is not None
        assert record.status.value == "completed" and record.lease_owner is None
    events = _events(out)
    finished = [e for e in events if e["event"] == "finished"]
    assert sorted(e["generation_id"] for e in finished) == sorted(ids)
    assert all({"model", "status", "attempt", "polls"} <= set(e) for e in finished)
    assert events[-1]["event"] == "worker_stopped"
    assert KEY not in out.getvalue()
    assert sum(f.submit_count for f in fakes) == len(ids)  # never submits


def test_only_the_models_it_serves(
    store: GenerationStore, fakes: FakeProviders
) -> None:
    mine = _submit(store, fakes, "seedance-v1-lite")
    other = _submit(store, fakes, "flux-schnell-replicate")
    worker, _ = _worker(store, fakes, models=["seedance-v1-lite"])
    worker.run()
    done, left = store.get_generation(mine), store.get_generation(other)
    assert done is not None and done.status.value == "completed"
    assert left is not None and left.status.value == "processing"


def test_what_cannot_be_finished_now_is_parked(
    store: GenerationStore, fakes: FakeProviders, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIE_API_KEY", raising=False)
    gid = _submit(store, fakes, "seedance-v1-lite")
    worker, out = _worker(store, fakes, api_key=None, retry_after_s=600.0)
    worker.run()
    record = store.get_generation(gid)
    assert record is not None and record.status.value == "processing"
    assert record.lease_owner == worker.owner  # kept: no one retries at once
    [parked] = [e for e in _events(out) if e["event"] == "parked"]
    assert "KIE_API_KEY" in parked["message"] and parked["retry_in_s"] == 600.0
    assert worker.tally.claimed == 1


def test_a_submit_that_never_got_a_task_id_is_failed(
    store: GenerationStore, fakes: FakeProviders
) -> None:
    store.create_generation(
        {
            "id": "lost",
            "model_id": "seedance-v1-lite",
            "model_record_id": modelvault.describe("seedance-v1-lite").record_id,
            "inputs": {"prompt": "a fox"},
            "cost": "1",
        }
    )
    worker, _ = _worker(store, fakes)
    worker.run()
    record = store.get_generation("lost")
    assert record is not None and record.status.value == "failed"
    assert record.error is not None and record.error["kind"] == "submit_unknown"


def test_stop_releases_what_is_held(store: GenerationStore) -> None:
    with FakeProviders(api_key=KEY, polls=10_000) as slow:
        ids = [_submit(store, slow, "seedance-v1-lite") for _ in range(2)]
        worker, out = _worker(store, slow, once=False, speedup=1.0)
        thread = threading.Thread(target=worker.run)
        thread.start()
        deadline = time.monotonic() + 20
        while sum(e["event"] == "claimed" for e in _events(out)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        worker.stop(drain_s=0.2)
        thread.join(20)
        assert not thread.is_alive()
    for gid in ids:
        record = store.get_generation(gid)
        assert record is not None and record.lease_owner is None
        assert record.status.value == "processing" and record.provider_task_id
    assert worker.tally.released == 2


def test_stats_by_status_model_age_and_lease(
    store: GenerationStore, fakes: FakeProviders
) -> None:
    first = _submit(store, fakes, "seedance-v1-lite")
    _submit(store, fakes, "flux-schnell-replicate")
    done = _submit(store, fakes, "flux-schnell-replicate")
    store.update_generation(done, {"status": "completed", "outputs": ["https://x/a"]})
    assert store.claim_generation(first, "host/1/a", 60) is not None

    summary = stats(store)

    assert summary.total == 3
    assert summary.by_status == {"processing": 2, "completed": 1}
    assert summary.by_model["flux-schnell-replicate"] == {
        "processing": 1,
        "completed": 1,
    }
    assert summary.unfinished_by_age["< 1 min"] == 2
    assert [(h.owner, h.live) for h in summary.leases] == [("host/1/a", 1)]
    assert summary.oldest_unfinished is not None
    assert summary.oldest_unfinished.id == first
    text = stats_text(summary)
    assert "processing 2" in text and "host/1/a" in text and first in text
    later = stats(store, now=time.time() + 7200)
    assert later.unfinished_by_age["1-24 h"] == 2
    assert later.leases[0].expired == 1

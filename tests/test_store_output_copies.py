"""The output-copy part of the store contract, on every store: only completed
records take copy writes, claims never hand one record to two copiers, and a
stale copy is taken over."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_contract import STORE_FACTORIES, FakeClock, open_store

from modelvault.store import (
    GenerationConflictError,
    GenerationStore,
    OutputState,
    StoreError,
)


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GenerationStore]:
    yield from open_store(request.param, tmp_path, FakeClock())


def _completed(store: GenerationStore, gid: str, state: str | None = "pending") -> None:
    store.create_generation(
        {"id": gid, "model_id": "m", "model_record_id": "r", "inputs": {}, "cost": "1"}
    )
    changes: dict[str, Any] = {"status": "completed", "outputs": [f"https://x/{gid}"]}
    if state is not None:
        changes["output_state"] = state
    store.update_generation(gid, changes)


def test_the_completing_write_can_ask_for_a_copy(store: GenerationStore) -> None:
    _completed(store, "g1")
    record = store.get_generation("g1")
    assert record is not None
    assert record.output_state == OutputState.PENDING
    assert record.output_copy is None


def test_copy_writes_change_only_the_copy(store: GenerationStore) -> None:
    _completed(store, "g1")
    before = store.get_generation("g1")
    assert before is not None
    stored = {"stored": [{"url": "https://x/g1", "sha256": "ab"}], "attempts": 1}
    after = store.record_output_copy(
        "g1", "stored", stored, expected_version=before.version
    )
    assert after.output_state == OutputState.STORED
    assert after.output_copy == stored
    assert after.version == before.version + 1
    assert (after.status, after.outputs) == (before.status, before.outputs)
    again = store.get_generation("g1")
    assert again is not None and again.output_copy == stored


def test_copy_writes_are_a_compare_and_set(store: GenerationStore) -> None:
    _completed(store, "g1")
    record = store.get_generation("g1")
    assert record is not None
    store.record_output_copy("g1", "copying", None, expected_version=record.version)
    with pytest.raises(GenerationConflictError, match="another copier"):
        store.record_output_copy("g1", "copying", None, expected_version=record.version)


def test_unfinished_and_failed_records_take_no_copy_write(
    store: GenerationStore,
) -> None:
    store.create_generation(
        {"id": "p", "model_id": "m", "model_record_id": "r", "inputs": {}, "cost": "1"}
    )
    with pytest.raises(GenerationConflictError, match="only a completed"):
        store.record_output_copy("p", "pending", None)
    store.update_generation("p", {"status": "failed"})
    with pytest.raises(GenerationConflictError, match="only a completed"):
        store.record_output_copy("p", "pending", None)
    with pytest.raises(StoreError, match="no generation nope"):
        store.record_output_copy("nope", "pending", None)


def test_bad_copy_values_are_store_errors(store: GenerationStore) -> None:
    _completed(store, "g1")
    with pytest.raises(StoreError, match="unknown output_state 'lost'"):
        store.record_output_copy("g1", "lost", None)
    with pytest.raises(StoreError, match="output_copy must be a mapping"):
        store.record_output_copy("g1", "stored", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_the_callback_token_hash_is_kept_and_fixed(store: GenerationStore) -> None:
    digest = "a" * 64
    store.create_generation(
        {
            "id": "c",
            "model_id": "m",
            "model_record_id": "r",
            "inputs": {},
            "cost": "1",
            "callback_token_sha256": digest,
        }
    )
    record = store.get_generation("c")
    assert record is not None and record.callback_token_sha256 == digest
    with pytest.raises(StoreError, match="cannot be changed"):
        store.update_generation("c", {"callback_token_sha256": "b" * 64})
    with pytest.raises(StoreError, match="never the token itself"):
        store.create_generation(
            {
                "id": "d",
                "model_id": "m",
                "model_record_id": "r",
                "inputs": {},
                "cost": "1",
                "callback_token_sha256": "plain-token",
            }
        )


def test_claims_take_pending_copies_once(store: GenerationStore) -> None:
    for gid in ("a", "b", "c"):
        _completed(store, gid)
    _completed(store, "none", state=None)
    first = store.claim_output_copies(limit=2, stale_after_s=60)
    second = store.claim_output_copies(limit=5, stale_after_s=60)
    assert [r.id for r in first] == ["a", "b"]
    assert [r.id for r in second] == ["c"]
    assert all(r.output_state == OutputState.COPYING for r in first + second)
    assert store.claim_output_copies(limit=5, stale_after_s=60) == []


def test_failed_and_stale_copies_are_retried_after_a_while(
    store: GenerationStore,
) -> None:
    _completed(store, "a")
    (claimed,) = store.claim_output_copies(limit=1, stale_after_s=60)
    store.record_output_copy(
        "a", "failed", {"attempts": 1}, expected_version=claimed.version
    )
    assert store.claim_output_copies(limit=1, stale_after_s=60) == []
    time.sleep(0.01)
    (again,) = store.claim_output_copies(limit=1, stale_after_s=0.001)
    assert again.id == "a" and again.output_state == OutputState.COPYING
    # a copier that died mid-copy: its "copying" goes stale too
    time.sleep(0.01)
    assert [r.id for r in store.claim_output_copies(limit=1, stale_after_s=0.001)] == [
        "a"
    ]
    store.record_output_copy("a", "gave_up", {"attempts": 9})
    time.sleep(0.01)
    assert store.claim_output_copies(limit=1, stale_after_s=0.001) == []


def test_concurrent_copy_claims_never_share_a_record(store: GenerationStore) -> None:
    for n in range(40):
        _completed(store, f"g{n:02d}")
    got: list[list[str]] = []
    lock = threading.Lock()

    def claim() -> None:
        mine: list[str] = []
        while batch := store.claim_output_copies(limit=3, stale_after_s=600):
            mine += [r.id for r in batch]
        with lock:
            got.append(mine)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [gid for mine in got for gid in mine]
    assert sorted(every) == [f"g{n:02d}" for n in range(40)]

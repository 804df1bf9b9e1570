"""The store contract, records and the state machine: every store
(tests/store_contract.py STORE_FACTORIES) runs these same tests. Terminal states
are final, a status never moves back, every write is a compare-and-set on a
version; leases are in test_store_leases.py."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_contract import (
    STORE_FACTORIES,
    T0,
    FakeClock,
    assert_conflict,
    get,
    open_store,
    record,
    run_threads,
)

from modelvault.errors import ModelVaultError
from modelvault.store import (
    TERMINAL,
    GenerationConflictError,
    GenerationStatus,
    GenerationStore,
    StoreError,
)

Status = GenerationStatus


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[GenerationStore]:
    yield from open_store(request.param, tmp_path, clock)


def test_satisfies_the_protocol(store: GenerationStore) -> None:
    assert isinstance(store, GenerationStore)


# --- Versions -----------------------------------------------------------------------


def test_new_record_is_version_1_without_a_lease(store: GenerationStore) -> None:
    store.create_generation(record())

    got = get(store)
    assert got.version == 1
    assert got.lease_owner is None
    assert got.lease_expires_at is None
    assert got.to_dict()["version"] == 1


def test_every_update_bumps_the_version_by_one(store: GenerationStore) -> None:
    store.create_generation(record())
    steps: list[dict[str, Any]] = [
        {"provider_task_id": "task-1"},
        {"status": "processing"},
        {"status": "processing", "provider_response": {"state": "running"}},
        {},
        {"status": "completed", "outputs": ["https://cdn.example/a.png"]},
    ]
    for version, changes in enumerate(steps, start=2):
        before = get(store)
        store.update_generation("gen-1", changes)
        after = get(store)
        assert after.version == version
        assert after.updated_at >= before.updated_at
        assert after.created_at == before.created_at
    assert get(store).status is Status.COMPLETED


def test_expected_version_is_a_compare_and_set(store: GenerationStore) -> None:
    store.create_generation(record())

    store.update_generation("gen-1", {"status": "processing"}, expected_version=1)
    assert get(store).version == 2

    # A writer that read version 1 is refused.
    stale = assert_conflict(store, {"provider_task_id": "late"}, expected_version=1)
    assert "version 1" in str(stale)
    assert "re-read" in str(stale)
    assert_conflict(
        store, {"status": "completed"}, expected_version=3
    )  # from the future

    store.update_generation("gen-1", {"provider_task_id": "t"}, expected_version=2)
    assert get(store).provider_task_id == "t"
    assert get(store).version == 3


def test_concurrent_compare_and_set_has_one_winner_per_version(
    store: GenerationStore,
) -> None:
    store.create_generation(record(status="processing"))
    writers, rounds = 4, 15
    wins: list[tuple[int, int]] = []
    losses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def write(worker: int) -> None:
        for _ in range(rounds):
            barrier.wait()
            version = get(store).version
            barrier.wait()  # every writer read the same version
            try:
                store.update_generation(
                    "gen-1", {"error": {"by": worker}}, expected_version=version
                )
            except GenerationConflictError as exc:
                assert exc.current_version == version + 1
                with lock:
                    losses.append(worker)
            else:
                with lock:
                    wins.append((version, worker))

    run_threads(writers, write)

    assert len(wins) == rounds  # one winner per round...
    assert len({version for version, _ in wins}) == rounds  # ...per version
    assert len(losses) == rounds * (writers - 1)
    final = get(store)
    assert final.version == 1 + rounds
    assert final.error == {"by": max(wins)[1]}  # the last round's winner


# --- The state machine ----------------------------------------------------------------


@pytest.mark.parametrize("terminal", [s.value for s in TERMINAL])
@pytest.mark.parametrize(
    "changes",
    [
        {"status": "failed", "error": {"message": "late 503"}},
        {"status": "completed", "outputs": ["https://cdn.example/late.png"]},
        {"status": "cancelled"},
        {"status": "processing"},
        {"status": "pending"},
        {"outputs": ["https://cdn.example/other.png"]},
        {"error": {"message": "late"}},
    ],
    ids=[
        "to-failed",
        "to-completed",
        "to-cancelled",
        "to-processing",
        "to-pending",
        "outputs",
        "error",
    ],
)
def test_terminal_records_are_final(
    store: GenerationStore, terminal: str, changes: dict[str, Any]
) -> None:
    store.create_generation(record(status="processing"))
    store.update_generation(
        "gen-1", {"status": terminal, "outputs": ["https://cdn.example/a.png"]}
    )

    conflict = assert_conflict(store, changes)
    assert conflict.current_status.value == terminal
    assert conflict.current_version == 2
    assert "final" in str(conflict)
    assert "get_generation" in str(conflict)
    assert_conflict(
        store, changes, expected_version=2
    )  # the right version: still final


def test_completed_then_failed_is_refused(store: GenerationStore) -> None:
    """The race of issue 8: A completes a record, B (whose polls met 503s) then
    tries to write failed over it."""
    store.create_generation(record(status="processing", provider_task_id="t-1"))
    store.update_generation(
        "gen-1", {"status": "completed", "outputs": ["https://cdn.example/a.png"]}
    )
    done = get(store)

    with pytest.raises(GenerationConflictError) as caught:
        store.update_generation(
            "gen-1", {"status": "failed", "error": {"message": "six 503s"}}
        )

    assert get(store) == done
    assert done.outputs == ["https://cdn.example/a.png"]
    assert caught.value.current_status is Status.COMPLETED
    assert isinstance(caught.value, StoreError)
    assert isinstance(caught.value, ModelVaultError)


def test_status_never_moves_backwards(store: GenerationStore) -> None:
    store.create_generation(record())
    store.update_generation("gen-1", {"status": "processing"})

    conflict = assert_conflict(store, {"status": "pending", "provider_task_id": "x"})

    assert conflict.current_status is Status.PROCESSING
    assert "pending" in str(conflict)
    assert get(store).provider_task_id is None


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("pending", "pending"),
        ("pending", "processing"),
        ("pending", "completed"),
        ("pending", "failed"),  # a refusal that proves nothing was charged
        ("pending", "cancelled"),
        ("processing", "processing"),
        ("processing", "completed"),
        ("processing", "failed"),
        ("processing", "cancelled"),
    ],
)
def test_forward_moves_are_allowed(store: GenerationStore, start: str, to: str) -> None:
    store.create_generation(record(status=start))
    store.update_generation("gen-1", {"status": to})
    assert get(store).status.value == to
    assert get(store).version == 2


def test_missing_record_is_a_store_error_not_a_conflict(
    store: GenerationStore,
) -> None:
    for expected in (None, 1):
        with pytest.raises(StoreError, match="ghost") as caught:
            store.update_generation(
                "ghost", {"status": "failed"}, expected_version=expected
            )
        assert not isinstance(caught.value, GenerationConflictError)
    assert store.get_generation("ghost") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"lease_owner": "me"},
        {"lease_expires_at": T0 + 60},
        {"version": 7},
        {"updated_at": "2000-01-01T00:00:00.000000Z"},
    ],
    ids=["lease_owner", "lease_expires_at", "version", "updated_at"],
)
def test_bookkeeping_fields_are_not_updatable(
    store: GenerationStore, changes: dict[str, Any]
) -> None:
    store.create_generation(record())
    before = get(store)

    with pytest.raises(StoreError) as caught:
        store.update_generation("gen-1", changes)

    assert not isinstance(caught.value, GenerationConflictError)
    assert get(store) == before


def test_conflict_errors_survive_pickling() -> None:
    error = GenerationConflictError(
        "lost", generation_id="g", current_status=Status.FAILED, current_version=4
    )
    back = pickle.loads(pickle.dumps(error))
    assert (str(back), back.generation_id, back.current_status) == (
        "lost",
        "g",
        "failed",
    )
    assert back.current_version == 4


@pytest.mark.parametrize(
    "bad",
    [
        {"cost": ["1"]},
        {"inputs": ["not", "a", "mapping"]},
        {"outputs": "https://one.example/a.png"},
        {"error": "boom"},
        {"provider_response": {"when": object()}},
        {"provider_task_id": "\ud800"},
    ],
    ids=["cost", "inputs", "outputs", "error", "not-json", "surrogate"],
)
def test_malformed_values_are_store_errors(
    store: GenerationStore, bad: dict[str, Any]
) -> None:
    with pytest.raises(StoreError):
        store.create_generation(record("new", **bad))
    assert store.get_generation("new") is None

    store.create_generation(record())
    before = get(store)
    with pytest.raises(StoreError):
        store.update_generation("gen-1", bad)
    assert get(store) == before


def test_numeric_task_id_and_cost_are_kept_as_text(store: GenerationStore) -> None:
    store.create_generation(record(cost=0.5))
    store.update_generation("gen-1", {"provider_task_id": 123456789012345678})

    got = get(store)
    assert got.cost == "0.5"
    assert got.provider_task_id == "123456789012345678"

"""The store contract: every store (tests/store_contract.py STORE_FACTORIES) runs
these same tests. The state machine (terminal states final, no way back,
compare-and-set on a version) and leases (claim, renew, release, expiry,
take-over, batch claims) behave identically in each store."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from store_contract import STORE_FACTORIES, T0, FakeClock, close, record

from modelvault.errors import ModelVaultError
from modelvault.store import (
    TERMINAL,
    UNFINISHED,
    Generation,
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
    made = STORE_FACTORIES[request.param](tmp_path, clock)
    yield made
    close(made)


def _get(store: GenerationStore, generation_id: str = "gen-1") -> Generation:
    got = store.get_generation(generation_id)
    assert got is not None, generation_id
    return got


def _conflict(
    store: GenerationStore,
    changes: dict[str, Any],
    *,
    generation_id: str = "gen-1",
    expected_version: int | None = None,
) -> GenerationConflictError:
    """Assert the write is refused as a conflict and changes nothing."""
    before = _get(store, generation_id)
    with pytest.raises(GenerationConflictError) as caught:
        store.update_generation(
            generation_id, changes, expected_version=expected_version
        )
    assert _get(store, generation_id) == before
    assert caught.value.generation_id == generation_id
    assert caught.value.current_status is before.status
    assert caught.value.current_version == before.version
    return caught.value


def test_satisfies_the_protocol(store: GenerationStore) -> None:
    assert isinstance(store, GenerationStore)


# --- Versions -----------------------------------------------------------------------


def test_new_record_is_version_1_without_a_lease(store: GenerationStore) -> None:
    store.create_generation(record())

    got = _get(store)
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
        before = _get(store)
        store.update_generation("gen-1", changes)
        after = _get(store)
        assert after.version == version
        assert after.updated_at >= before.updated_at
        assert after.created_at == before.created_at
    assert _get(store).status is Status.COMPLETED


def test_expected_version_is_a_compare_and_set(store: GenerationStore) -> None:
    store.create_generation(record())

    store.update_generation("gen-1", {"status": "processing"}, expected_version=1)
    assert _get(store).version == 2

    stale = _conflict(
        store, {"provider_task_id": "late"}, expected_version=1
    )  # a writer that read version 1
    assert "version 1" in str(stale)
    assert "re-read" in str(stale)
    _conflict(store, {"status": "completed"}, expected_version=3)  # from the future

    store.update_generation("gen-1", {"provider_task_id": "t"}, expected_version=2)
    assert _get(store).provider_task_id == "t"
    assert _get(store).version == 3


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
            version = _get(store).version
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

    _run_threads(writers, write)

    assert len(wins) == rounds  # one winner per round...
    assert len({version for version, _ in wins}) == rounds  # ...per version
    assert len(losses) == rounds * (writers - 1)
    final = _get(store)
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

    conflict = _conflict(store, changes)
    assert conflict.current_status.value == terminal
    assert conflict.current_version == 2
    assert "final" in str(conflict)
    assert "get_generation" in str(conflict)
    _conflict(store, changes, expected_version=2)  # the right version: still final


def test_completed_then_failed_is_refused(store: GenerationStore) -> None:
    """The race of issue 8: A completes a record, B (whose polls met 503s) then
    tries to write failed over it."""
    store.create_generation(record(status="processing", provider_task_id="t-1"))
    store.update_generation(
        "gen-1", {"status": "completed", "outputs": ["https://cdn.example/a.png"]}
    )
    done = _get(store)

    with pytest.raises(GenerationConflictError) as caught:
        store.update_generation(
            "gen-1", {"status": "failed", "error": {"message": "six 503s"}}
        )

    assert _get(store) == done
    assert done.outputs == ["https://cdn.example/a.png"]
    assert caught.value.current_status is Status.COMPLETED
    assert isinstance(caught.value, StoreError)
    assert isinstance(caught.value, ModelVaultError)


def test_status_never_moves_backwards(store: GenerationStore) -> None:
    store.create_generation(record())
    store.update_generation("gen-1", {"status": "processing"})

    conflict = _conflict(store, {"status": "pending", "provider_task_id": "x"})

    assert conflict.current_status is Status.PROCESSING
    assert "pending" in str(conflict)
    assert _get(store).provider_task_id is None


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
    assert _get(store).status.value == to
    assert _get(store).version == 2


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
    before = _get(store)

    with pytest.raises(StoreError) as caught:
        store.update_generation("gen-1", changes)

    assert not isinstance(caught.value, GenerationConflictError)
    assert _get(store) == before


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
    before = _get(store)
    with pytest.raises(StoreError):
        store.update_generation("gen-1", bad)
    assert _get(store) == before


def test_numeric_task_id_and_cost_are_kept_as_text(store: GenerationStore) -> None:
    store.create_generation(record(cost=0.5))
    store.update_generation("gen-1", {"provider_task_id": 123456789012345678})

    got = _get(store)
    assert got.cost == "0.5"
    assert got.provider_task_id == "123456789012345678"


# --- Leases -------------------------------------------------------------------------


def test_creator_may_hold_the_first_lease(store: GenerationStore) -> None:
    store.create_generation(record(lease_owner="web-1", lease_expires_at=T0 + 30))

    got = _get(store)
    assert (got.lease_owner, got.lease_expires_at) == ("web-1", T0 + 30)
    assert store.claim_generation("gen-1", "worker", 60) is None
    assert store.claim_unfinished("worker", 60, limit=10) == []


@pytest.mark.parametrize(
    "lease",
    [
        {"lease_owner": "web-1"},
        {"lease_expires_at": T0},
        {"lease_owner": "", "lease_expires_at": T0},
        {"lease_owner": "web-1", "lease_expires_at": "soon"},
        {"lease_owner": "web-1", "lease_expires_at": float("inf")},
    ],
    ids=["owner-only", "expiry-only", "empty-owner", "text-expiry", "forever"],
)
def test_a_malformed_creator_lease_is_refused(
    store: GenerationStore, lease: dict[str, Any]
) -> None:
    with pytest.raises(StoreError, match="lease"):
        store.create_generation(record(**lease))
    assert store.get_generation("gen-1") is None


def test_a_finished_record_is_created_without_a_lease(store: GenerationStore) -> None:
    store.create_generation(
        record(status="failed", lease_owner="web-1", lease_expires_at=T0 + 30)
    )
    got = _get(store)
    assert (got.lease_owner, got.lease_expires_at) == (None, None)


def test_claim_renew_release(store: GenerationStore, clock: FakeClock) -> None:
    store.create_generation(record())

    claimed = store.claim_generation("gen-1", "a", 30)
    assert claimed is not None
    assert (claimed.lease_owner, claimed.lease_expires_at) == ("a", T0 + 30)
    assert claimed == _get(store)
    assert claimed.version == 1  # a lease is not a content write

    assert store.claim_generation("gen-1", "b", 30) is None  # held by a
    clock.advance(20)
    assert store.renew_lease("gen-1", "a", 30)
    assert _get(store).lease_expires_at == T0 + 50
    assert not store.renew_lease("gen-1", "b", 30)
    assert _get(store).lease_owner == "a"

    again = store.claim_generation("gen-1", "a", 5)  # the holder re-claims
    assert again is not None
    assert again.lease_expires_at == T0 + 25

    store.release_lease("gen-1", "b")  # not the holder: no-op
    assert _get(store).lease_owner == "a"
    store.release_lease("gen-1", "a")
    got = _get(store)
    assert (got.lease_owner, got.lease_expires_at) == (None, None)
    assert not store.renew_lease("gen-1", "a", 30)  # released: nothing to renew
    assert got.version == 1

    taken = store.claim_generation("gen-1", "b", 30)
    assert taken is not None
    assert taken.lease_owner == "b"


def test_an_expired_lease_can_be_taken(
    store: GenerationStore, clock: FakeClock
) -> None:
    store.create_generation(record(status="processing"))
    assert store.claim_generation("gen-1", "dead-poller", 10) is not None

    clock.advance(9.999)
    assert store.claim_generation("gen-1", "b", 10) is None
    assert store.claim_unfinished("b", 10, limit=5) == []
    clock.advance(0.001)  # expires_at reached: the lease is over
    taken = store.claim_generation("gen-1", "b", 10)
    assert taken is not None
    assert (taken.lease_owner, taken.lease_expires_at) == ("b", T0 + 20)
    assert not store.renew_lease("gen-1", "dead-poller", 10)
    store.release_lease("gen-1", "dead-poller")
    assert _get(store).lease_owner == "b"


def test_an_expired_lease_may_be_renewed_while_no_one_took_it(
    store: GenerationStore, clock: FakeClock
) -> None:
    store.create_generation(record())
    assert store.claim_generation("gen-1", "slow", 10) is not None
    clock.advance(60)
    assert store.renew_lease("gen-1", "slow", 10)
    assert _get(store).lease_expires_at == T0 + 70


def test_take_over_from_a_known_dead_owner(store: GenerationStore) -> None:
    store.create_generation(record())
    assert store.claim_generation("gen-1", "host:111", 600) is not None

    assert store.claim_generation("gen-1", "host:222", 60) is None
    assert store.claim_generation("gen-1", "host:222", 60, take_over_from="x") is None
    taken = store.claim_generation("gen-1", "host:222", 60, take_over_from="host:111")
    assert taken is not None
    assert (taken.lease_owner, taken.lease_expires_at) == ("host:222", T0 + 60)
    # The dead owner's name no longer opens the lease to anyone else.
    assert store.claim_generation("gen-1", "c", 60, take_over_from="host:111") is None


@pytest.mark.parametrize("terminal", [s.value for s in TERMINAL])
def test_a_terminal_write_clears_the_lease(
    store: GenerationStore, terminal: str
) -> None:
    store.create_generation(record())
    assert store.claim_generation("gen-1", "a", 30) is not None
    store.update_generation("gen-1", {"status": "processing"})
    assert _get(store).lease_owner == "a"  # a non-terminal write keeps it

    store.update_generation("gen-1", {"status": terminal})

    got = _get(store)
    assert (got.lease_owner, got.lease_expires_at) == (None, None)
    assert store.claim_generation("gen-1", "a", 30) is None
    assert not store.renew_lease("gen-1", "a", 30)
    assert store.claim_unfinished("a", 30, limit=5) == []


def test_missing_records_cannot_be_leased(store: GenerationStore) -> None:
    assert store.claim_generation("ghost", "a", 30) is None
    assert not store.renew_lease("ghost", "a", 30)
    store.release_lease("ghost", "a")  # no-op
    assert store.get_generation("ghost") is None


def _seed(store: GenerationStore, count: int, **overrides: Any) -> list[str]:
    ids = [f"g{n:03d}" for n in range(count)]
    for gid in ids:
        store.create_generation(record(gid, **overrides))
    return ids


def test_claim_unfinished_oldest_first_up_to_limit(
    store: GenerationStore, clock: FakeClock
) -> None:
    ids = _seed(store, 7)
    store.update_generation("g001", {"status": "completed"})
    store.update_generation("g002", {"status": "processing"})
    assert store.claim_generation("g003", "other", 60) is not None

    first = store.claim_unfinished("me", 30, limit=3)
    assert [g.id for g in first] == ["g000", "g002", "g004"]
    assert all(g.lease_owner == "me" and g.lease_expires_at == T0 + 30 for g in first)
    assert first == [_get(store, g.id) for g in first]

    second = store.claim_unfinished("me", 30, limit=3)
    assert [g.id for g in second] == ["g005", "g006"]  # not own-held ones again
    assert store.claim_unfinished("someone", 30, limit=3) == []

    clock.advance(30)  # my leases expire; "other" still holds g003 until T0 + 60
    third = store.claim_unfinished("someone", 30, limit=10)
    assert [g.id for g in third] == ["g000", "g002", "g004", "g005", "g006"]
    assert {g.id for g in store.unfinished_generations()} == set(ids) - {"g001"}


def test_claim_unfinished_only_for_given_models(store: GenerationStore) -> None:
    for n, model in enumerate(["acme/a", "acme/b", "acme/c", "acme/a", "acme/b"]):
        store.create_generation(record(f"g{n}", model_id=model))

    got = store.claim_unfinished("me", 30, limit=10, model_ids=["acme/a", "acme/c"])
    assert [(g.id, g.model_id) for g in got] == [
        ("g0", "acme/a"),
        ("g2", "acme/c"),
        ("g3", "acme/a"),
    ]
    assert store.claim_unfinished("me", 30, limit=10, model_ids=[]) == []
    assert store.claim_unfinished("me", 30, limit=10, model_ids={"acme/x"}) == []
    rest = store.claim_unfinished("me", 30, limit=1, model_ids=("acme/b",))
    assert [g.id for g in rest] == ["g1"]
    assert store.claim_unfinished("me", 30, limit=0) == []
    assert [g.id for g in store.claim_unfinished("me", 30, limit=5)] == ["g4"]


def test_concurrent_batch_claims_never_share_a_record(
    store: GenerationStore,
) -> None:
    ids = _seed(store, 120)
    claimed: dict[int, list[str]] = {}

    def claim(worker: int) -> None:
        mine: list[str] = []
        while batch := store.claim_unfinished(f"w{worker}", 600, limit=3):
            mine += [g.id for g in batch]
        claimed[worker] = mine

    _run_threads(4, claim)

    every = [gid for mine in claimed.values() for gid in mine]
    assert sorted(every) == ids  # each exactly once
    for worker, mine in claimed.items():
        assert {_get(store, gid).lease_owner for gid in mine} <= {f"w{worker}"}


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.claim_generation("gen-1", "", 30),
        lambda s: s.claim_generation("gen-1", "a", 0),
        lambda s: s.claim_generation("gen-1", "a", -1),
        lambda s: s.claim_generation("gen-1", "a", float("nan")),
        lambda s: s.renew_lease("gen-1", "a", float("inf")),
        lambda s: s.release_lease("gen-1", ""),
        lambda s: s.claim_unfinished("a", 30, limit=-1),
        lambda s: s.claim_unfinished("a", 30, limit=2, model_ids="acme/flux-schnell"),
        lambda s: s.update_generation("gen-1", {}, expected_version="1"),
    ],
    ids=[
        "no-owner",
        "zero-ttl",
        "negative-ttl",
        "nan-ttl",
        "infinite-ttl",
        "release-no-owner",
        "negative-limit",
        "model-ids-string",
        "version-string",
    ],
)
def test_bad_arguments_are_store_errors(
    store: GenerationStore, call: Callable[[GenerationStore], object]
) -> None:
    store.create_generation(record())
    before = _get(store)
    with pytest.raises(StoreError):
        call(store)
    assert _get(store) == before


def test_unfinished_generations_lists_leased_records_too(
    store: GenerationStore,
) -> None:
    _seed(store, 3)
    assert store.claim_generation("g001", "a", 30) is not None
    assert [g.id for g in store.unfinished_generations()] == ["g000", "g001", "g002"]
    assert all(g.status in UNFINISHED for g in store.unfinished_generations())


def _run_threads(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a store thread hung"
    assert errors == []

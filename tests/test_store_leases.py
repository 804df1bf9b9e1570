"""The store contract, leases: every store (tests/store_contract.py
STORE_FACTORIES) runs these same tests. Claim, renew, release, expiry on a moved
clock, take-over from a dead owner, batch claims that never share a record, and
terminal writes that end the lease."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from store_contract import (
    STORE_FACTORIES,
    T0,
    FakeClock,
    get,
    open_store,
    record,
    run_threads,
)

from modelvault.store import TERMINAL, UNFINISHED, GenerationStore, StoreError


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[GenerationStore]:
    yield from open_store(request.param, tmp_path, clock)


def test_creator_may_hold_the_first_lease(store: GenerationStore) -> None:
    store.create_generation(record(lease_owner="web-1", lease_expires_at=T0 + 30))

    got = get(store)
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
    got = get(store)
    assert (got.lease_owner, got.lease_expires_at) == (None, None)


def test_claim_renew_release(store: GenerationStore, clock: FakeClock) -> None:
    store.create_generation(record())

    claimed = store.claim_generation("gen-1", "a", 30)
    assert claimed is not None
    assert (claimed.lease_owner, claimed.lease_expires_at) == ("a", T0 + 30)
    assert claimed == get(store)
    assert claimed.version == 1  # a lease is not a content write

    assert store.claim_generation("gen-1", "b", 30) is None  # held by a
    clock.advance(20)
    assert store.renew_lease("gen-1", "a", 30)
    assert get(store).lease_expires_at == T0 + 50
    assert not store.renew_lease("gen-1", "b", 30)
    assert get(store).lease_owner == "a"

    again = store.claim_generation("gen-1", "a", 5)  # the holder re-claims
    assert again is not None
    assert again.lease_expires_at == T0 + 25

    store.release_lease("gen-1", "b")  # not the holder: no-op
    assert get(store).lease_owner == "a"
    store.release_lease("gen-1", "a")
    got = get(store)
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
    assert get(store).lease_owner == "b"


def test_an_expired_lease_may_be_renewed_while_no_one_took_it(
    store: GenerationStore, clock: FakeClock
) -> None:
    store.create_generation(record())
    assert store.claim_generation("gen-1", "slow", 10) is not None
    clock.advance(60)
    assert store.renew_lease("gen-1", "slow", 10)
    assert get(store).lease_expires_at == T0 + 70


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
    assert get(store).lease_owner == "a"  # a non-terminal write keeps it

    store.update_generation("gen-1", {"status": terminal})

    got = get(store)
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
    assert first == [get(store, g.id) for g in first]

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

    run_threads(4, claim)

    every = [gid for mine in claimed.values() for gid in mine]
    assert sorted(every) == ids  # each exactly once
    for worker, mine in claimed.items():
        assert {get(store, gid).lease_owner for gid in mine} <= {f"w{worker}"}


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
    before = get(store)
    with pytest.raises(StoreError):
        call(store)
    assert get(store) == before


def test_unfinished_generations_lists_leased_records_too(
    store: GenerationStore,
) -> None:
    _seed(store, 3)
    assert store.claim_generation("g001", "a", 30) is not None
    assert [g.id for g in store.unfinished_generations()] == ["g000", "g001", "g002"]
    assert all(g.status in UNFINISHED for g in store.unfinished_generations())

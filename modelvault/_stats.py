"""`stats`: what an operator needs to see a stuck fleet. Generations by status,
by model and (unfinished ones) by age; leases held and by whom (live or
expired); the oldest unfinished generation.

PostgresStore answers with one aggregate query (the rows never leave the
database); other stores are summarised from their records. The summary itself
(`summarize`) is pure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, NamedTuple

from modelvault.store import UNFINISHED, Generation, GenerationStore

AGE_BUCKETS = (
    (60, "< 1 min"),
    (600, "1-10 min"),
    (3600, "10-60 min"),
    (86400, "1-24 h"),
    (None, "> 24 h"),
)
_UNFINISHED = tuple(status.value for status in UNFINISHED)


class Group(NamedTuple):
    """`n` generations sharing these values (age only for unfinished)."""

    status: str
    model: str
    age: str | None
    lease_owner: str | None
    lease_live: bool
    n: int


@dataclass(frozen=True)
class LeaseHolder:
    owner: str
    live: int  # leases this owner holds now
    expired: int  # leases it held that ran out (a stopped or killed poller)


@dataclass(frozen=True)
class Oldest:
    id: str
    model: str
    status: str
    created_at: str
    age_s: float
    lease_owner: str | None


@dataclass(frozen=True)
class StoreStats:
    total: int
    by_status: dict[str, int]
    by_model: dict[str, dict[str, int]]
    unfinished_by_age: dict[str, int]
    leases: list[LeaseHolder]
    oldest_unfinished: Oldest | None
    complete: bool = True  # False: the store lists unfinished records only

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def age_bucket(age_s: float) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or age_s < limit:
            return label
    raise AssertionError("unreachable")  # pragma: no cover


def epoch_of(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def group_of(record: Generation, now: float) -> Group:
    status = record.status.value
    unfinished = status in _UNFINISHED
    age = age_bucket(now - epoch_of(record.created_at)) if unfinished else None
    live = record.lease_expires_at is not None and record.lease_expires_at > now
    return Group(status, record.model_id, age, record.lease_owner, live, 1)


def oldest_of(record: Generation | None, now: float) -> Oldest | None:
    if record is None:
        return None
    return Oldest(
        record.id,
        record.model_id,
        record.status.value,
        record.created_at,
        round(now - epoch_of(record.created_at), 3),
        record.lease_owner,
    )


def _oldest_row(row: dict[str, Any], now: float) -> Oldest:
    return Oldest(
        row["id"],
        row["model_id"],
        row["status"],
        row["created_at"],
        round(now - epoch_of(row["created_at"]), 3),
        row["lease_owner"],
    )


def summarize(
    groups: Iterable[Group], oldest: Oldest | None, *, complete: bool = True
) -> StoreStats:
    by_status: Counter[str] = Counter()
    by_model: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_age: Counter[str] = Counter()
    live: Counter[str] = Counter()
    expired: Counter[str] = Counter()
    for group in groups:
        by_status[group.status] += group.n
        by_model[group.model][group.status] += group.n
        if group.age is not None:
            by_age[group.age] += group.n
        if group.lease_owner is not None:
            (live if group.lease_live else expired)[group.lease_owner] += group.n
    owners = sorted(set(live) | set(expired), key=lambda o: (-live[o], o))
    return StoreStats(
        total=sum(by_status.values()),
        by_status=dict(by_status.most_common()),
        by_model={m: dict(c.most_common()) for m, c in sorted(by_model.items())},
        unfinished_by_age={label: by_age[label] for _, label in AGE_BUCKETS},
        leases=[LeaseHolder(o, live[o], expired[o]) for o in owners],
        oldest_unfinished=oldest,
        complete=complete,
    )


_PG_GROUPS = """
SELECT status, model_id AS model,
       CASE WHEN status NOT IN ('pending', 'processing') THEN NULL
            WHEN %(now)s - extract(epoch FROM created_at::timestamptz) < 60
                 THEN '< 1 min'
            WHEN %(now)s - extract(epoch FROM created_at::timestamptz) < 600
                 THEN '1-10 min'
            WHEN %(now)s - extract(epoch FROM created_at::timestamptz) < 3600
                 THEN '10-60 min'
            WHEN %(now)s - extract(epoch FROM created_at::timestamptz) < 86400
                 THEN '1-24 h'
            ELSE '> 24 h' END AS age,
       lease_owner, coalesce(lease_expires_at > %(now)s, false) AS lease_live,
       count(*) AS n
FROM {table} GROUP BY 1, 2, 3, 4, 5
"""
_PG_OLDEST = (
    "SELECT * FROM {table} WHERE status IN ('pending', 'processing') "
    "ORDER BY created_at, seq LIMIT 1"
)


def stats(
    store: GenerationStore | None = None, *, now: float | None = None
) -> StoreStats:
    """The store's generations summarised (default store: $MODELVAULT_DB)."""
    import time  # noqa: PLC0415

    from modelvault._run import default_store  # noqa: PLC0415

    store = store if store is not None else default_store()
    now = time.time() if now is None else now
    query = getattr(store, "query", None)
    if callable(query):  # PostgresStore: aggregate in the database
        groups = [Group(**row) for row in query(_PG_GROUPS, {"now": now})]
        first = query(_PG_OLDEST)
        return summarize(groups, _oldest_row(first[0], now) if first else None)
    everything = getattr(store, "all_generations", None)
    complete = callable(everything)
    records: list[Generation] = (
        everything() if callable(everything) else store.unfinished_generations()
    )
    unfinished = [r for r in records if r.status.value in _UNFINISHED]
    oldest = min(unfinished, key=lambda r: r.created_at, default=None)
    return summarize(
        (group_of(r, now) for r in records), oldest_of(oldest, now), complete=complete
    )

"""Generation records: the protocol model files write to, and the stores.

A record is created before the provider is called and updated at every step, so a
crash never loses a paid generation. A generation is a state machine (pending ->
processing -> completed | failed | cancelled): terminal states are final, and
every write is a compare-and-set, so a stale writer gets a
`GenerationConflictError`, never an overwrite. Whoever polls a record holds a
lease on it (`claim_generation`, `claim_unfinished`, `renew_lease`,
`release_lease`); a dead poller's lease expires. A completed record's outputs are
copied to an output store afterwards: `claim_output_copies` and
`record_output_copy` track that copy without ever changing the status.

`SQLiteStore` is the default (one file, safe across threads and processes);
`PostgresStore` (the `postgres` extra: `pip install "modelvault[postgres]"`) is
for many app instances and a worker fleet; `MemoryStore` is for tests. All follow
the rules in `modelvault._store_logic`, and any object with these methods can be
plugged in. `open_store(location)` picks one from a path or a PostgreSQL URL;
`PostgresStore` and `open_store` are imported on first use (no psycopg import
otherwise).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from modelvault._store_memory import MemoryStore
from modelvault._store_model import (
    SCHEMA_VERSION,
    TERMINAL,
    UNFINISHED,
    Generation,
    GenerationStatus,
    OutputState,
    now_iso,
)
from modelvault._store_sqlite import SQLiteStore, default_db_path
from modelvault._store_sqlite_db import DB_ENV
from modelvault.errors import GenerationConflictError, StoreError, StoreSchemaError

if TYPE_CHECKING:
    from modelvault._store_open import open_store
    from modelvault._store_pg import PostgresStore

__all__ = [
    "DB_ENV",
    "SCHEMA_VERSION",
    "TERMINAL",
    "UNFINISHED",
    "Generation",
    "GenerationConflictError",
    "GenerationStatus",
    "GenerationStore",
    "MemoryStore",
    "OutputState",
    "PostgresStore",
    "SQLiteStore",
    "StoreError",
    "StoreSchemaError",
    "default_db_path",
    "now_iso",
    "open_store",
]

_LAZY = {
    "PostgresStore": "modelvault._store_pg",
    "open_store": "modelvault._store_open",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'modelvault.store' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(_LAZY[name]), name)


@runtime_checkable
class GenerationStore(Protocol):
    """What a store must do. Model files use only the first two methods.

    Every method raises StoreError (with what to do next) when the store cannot
    be used, and GenerationConflictError when a compare-and-set loses.
    """

    def create_generation(self, record: Mapping[str, Any]) -> None:
        """Store a new record (status pending unless given). `record` may hold
        the creator's lease: lease_owner and lease_expires_at (epoch seconds)."""
        ...

    def update_generation(
        self,
        generation_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> None:
        """Compare-and-set `changes` onto the record, atomically.

        Refused with GenerationConflictError (record unchanged) if the record is
        terminal, if changes["status"] moves backwards, or if expected_version
        is given and differs. On success the version goes up by one and
        updated_at moves; a terminal status also clears the lease. A missing id
        is a StoreError. Lease fields are not writable here.
        """
        ...

    def get_generation(self, generation_id: str) -> Generation | None: ...

    def unfinished_generations(self) -> list[Generation]:
        """Pending and processing records, oldest first."""
        ...

    def claim_generation(
        self,
        generation_id: str,
        owner: str,
        ttl_s: float,
        *,
        take_over_from: str | None = None,
    ) -> Generation | None:
        """Take the lease for ttl_s seconds iff the record is unfinished and its
        lease is free, expired, already owner's or take_over_from's. Returns the
        record as claimed, else None."""
        ...

    def claim_unfinished(
        self,
        owner: str,
        ttl_s: float,
        *,
        limit: int,
        model_ids: Collection[str] | None = None,
    ) -> list[Generation]:
        """Atomically lease up to `limit` unfinished records whose lease is free
        or expired, oldest first (only these model ids, if given). Concurrent
        callers never get the same record."""
        ...

    def renew_lease(self, generation_id: str, owner: str, ttl_s: float) -> bool:
        """Extend owner's lease to now + ttl_s; False if owner does not hold it
        (or the record is finished or missing)."""
        ...

    def release_lease(self, generation_id: str, owner: str) -> None:
        """Drop owner's lease; a no-op if owner does not hold it."""
        ...

    def record_output_copy(
        self,
        generation_id: str,
        output_state: str,
        output_copy: Mapping[str, Any] | None,
        *,
        expected_version: int | None = None,
    ) -> Generation:
        """Write where the durable copy of a completed record's outputs stands
        (the one write a finished record still takes; its status never changes).
        Refused with GenerationConflictError if the record is not completed, or
        not at expected_version. Returns the record as written."""
        ...

    def claim_output_copies(
        self, *, limit: int, stale_after_s: float
    ) -> list[Generation]:
        """Atomically move up to `limit` completed records whose copy is pending,
        or failed / copying since more than stale_after_s ago, to copying, oldest
        first; concurrent callers never get the same record."""
        ...

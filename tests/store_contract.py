"""Helpers of the store tests: the store factories of the contract suite, a
clock tests move, record builders and assertions.

A store joins the contract suite (test_store_contract.py, test_store_leases.py)
by adding one entry to STORE_FACTORIES: a function of (tmp_path, clock)
returning a fresh, empty store that reads lease time from `clock`. A factory may
call pytest.skip() when its database is not available (PostgresStore without a
PostgreSQL server on a developer's machine; in CI it fails instead: see
tests/pg_support.py).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelvault.store import (
    Generation,
    GenerationConflictError,
    GenerationStore,
    MemoryStore,
    SQLiteStore,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
T0 = 1_800_000_000.0  # a fixed epoch second the tests' clocks start from


class FakeClock:
    """Lease time that moves only when a test says so."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


StoreFactory = Callable[[Path, FakeClock], GenerationStore]


def _postgres(tmp_path: Path, clock: FakeClock) -> GenerationStore:
    """A PostgresStore in a schema of its own on the session's throwaway cluster."""
    import pg_support

    dsn = pg_support.cluster().dsn()
    from modelvault._store_pg import PostgresStore

    return PostgresStore(dsn, schema=pg_support.fresh_schema(), clock=clock)


STORE_FACTORIES: dict[str, StoreFactory] = {
    "memory": lambda tmp_path, clock: MemoryStore(clock=clock),
    "sqlite": lambda tmp_path, clock: SQLiteStore(
        tmp_path / "generations.sqlite3", clock=clock
    ),
    "postgres": _postgres,
}


def open_store(
    name: str, tmp_path: Path, clock: FakeClock
) -> Iterator[GenerationStore]:
    """The body of a test module's `store` fixture, parametrised over
    sorted(STORE_FACTORIES): a fresh store, closed afterwards."""
    made = STORE_FACTORIES[name](tmp_path, clock)
    yield made
    close(made)


def close(store: object) -> None:
    closer = getattr(store, "close", None)
    if callable(closer):
        closer()


def record(generation_id: str = "gen-1", **overrides: Any) -> dict[str, Any]:
    """The fields a model file passes to create_generation, plus overrides."""
    fields: dict[str, Any] = {
        "id": generation_id,
        "model_id": "acme/flux-schnell",
        "model_record_id": "rec-0001",
        "inputs": {"prompt": "a red fox", "steps": 4},
        "cost": "0.0030",
    }
    fields.update(overrides)
    return fields


def child_env() -> dict[str, str]:
    """The environment for a Python child process that imports modelvault."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env


PYTHON = sys.executable


def get(store: GenerationStore, generation_id: str = "gen-1") -> Generation:
    got = store.get_generation(generation_id)
    assert got is not None, generation_id
    return got


def assert_conflict(
    store: GenerationStore,
    changes: dict[str, Any],
    *,
    generation_id: str = "gen-1",
    expected_version: int | None = None,
) -> GenerationConflictError:
    """Assert the write is refused as a conflict and changes nothing."""
    before = get(store, generation_id)
    with pytest.raises(GenerationConflictError) as caught:
        store.update_generation(
            generation_id, changes, expected_version=expected_version
        )
    assert get(store, generation_id) == before
    assert caught.value.generation_id == generation_id
    assert caught.value.current_status is before.status
    assert caught.value.current_version == before.version
    error: GenerationConflictError = caught.value
    return error


def run_threads(count: int, work: Callable[[int], None]) -> None:
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


def raw_sql(path: Path, sql: str) -> list[Any]:
    """Run one statement on a SQLite file directly (autocommit)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()

"""What every generation store must do, shared by the contract suite
(tests/test_store_contract.py) and the SQLite-only tests.

A store joins the contract suite by adding one entry to STORE_FACTORIES: a
function of (tmp_path, clock) returning a fresh, empty store that reads lease
time from `clock`. A factory may call pytest.skip() when its database is not
available (e.g. a later PostgresStore without a PostgreSQL server).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelvault.store import GenerationStore, MemoryStore, SQLiteStore

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

STORE_FACTORIES: dict[str, StoreFactory] = {
    "memory": lambda tmp_path, clock: MemoryStore(clock=clock),
    "sqlite": lambda tmp_path, clock: SQLiteStore(
        tmp_path / "generations.sqlite3", clock=clock
    ),
}


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

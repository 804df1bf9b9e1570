"""Generation records: the protocol model files write to, and two stores.

A record is created before the provider is called and updated at every step, so a
crash never loses a paid generation. `SQLiteStore` is the default (WAL, one
transaction per write, busy timeout: safe across threads and processes);
`MemoryStore` is for tests. Any object with these methods can be plugged in.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

DB_ENV = "MODELVAULT_DB"
SCHEMA_VERSION = 1


class GenerationStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED = (GenerationStatus.PENDING, GenerationStatus.PROCESSING)
_JSON_FIELDS = ("inputs", "provider_request", "provider_response", "outputs", "error")
_FIELDS = (
    "id",
    "model_id",
    "model_record_id",
    "inputs",
    "cost",
    "status",
    "provider_task_id",
    "provider_request",
    "provider_response",
    "outputs",
    "error",
    "created_at",
    "updated_at",
)
_UPDATABLE = frozenset(_FIELDS) - {"id", "model_id", "model_record_id", "created_at"}


@dataclass(frozen=True)
class Generation:
    """One generation record, as stored."""

    id: str
    model_id: str
    model_record_id: str
    inputs: dict[str, Any]
    cost: str
    status: GenerationStatus
    created_at: str
    updated_at: str
    provider_task_id: str | None = None
    provider_request: Any = None
    provider_response: Any = None
    outputs: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}


@runtime_checkable
class GenerationStore(Protocol):
    """What a store must do. Model files use only the first two methods."""

    def create_generation(self, record: Mapping[str, Any]) -> None: ...

    def update_generation(
        self, generation_id: str, changes: Mapping[str, Any]
    ) -> None: ...

    def get_generation(self, generation_id: str) -> Generation | None: ...

    def unfinished_generations(self) -> list[Generation]: ...


class StoreError(Exception):
    """A record could not be written or read; the message says why."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _status(value: Any) -> GenerationStatus:
    try:
        return GenerationStatus(value)
    except ValueError:
        allowed = [status.value for status in GenerationStatus]
        raise StoreError(
            f"unknown status {value!r}; expected one of {allowed}"
        ) from None


def _check_changes(changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise StoreError(f"cannot update fields {sorted(unknown)} of a generation")
    if "status" in changes:
        _status(changes["status"])
    nulled = [
        n for n in ("inputs", "cost", "status") if n in changes and changes[n] is None
    ]
    if nulled:
        raise StoreError(f"{nulled} of a generation cannot be set to None")


def _new_record(record: Mapping[str, Any]) -> dict[str, Any]:
    missing = {"id", "model_id", "model_record_id", "inputs", "cost"} - set(record)
    if missing:
        raise StoreError(f"a new generation needs {sorted(missing)}")
    unknown = set(record) - set(_FIELDS)
    if unknown:
        raise StoreError(f"unknown generation fields {sorted(unknown)}")
    stamp = now_iso()
    row: dict[str, Any] = dict.fromkeys(_FIELDS)
    row.update({"status": GenerationStatus.PENDING, "outputs": []})
    row.update(record)
    row.update({"created_at": stamp, "updated_at": stamp})
    _status(row["status"])
    return row


def _to_generation(row: Mapping[str, Any]) -> Generation:
    return Generation(
        id=row["id"],
        model_id=row["model_id"],
        model_record_id=row["model_record_id"],
        inputs=row["inputs"],
        cost=str(row["cost"]),
        status=GenerationStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        provider_task_id=row["provider_task_id"],
        provider_request=row["provider_request"],
        provider_response=row["provider_response"],
        outputs=list(row["outputs"] or []),
        error=row["error"],
    )


class MemoryStore:
    """Records in a dict, guarded by a lock. For tests and throwaway runs."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def create_generation(self, record: Mapping[str, Any]) -> None:
        row = json.loads(json.dumps(_new_record(record)))  # detach caller's objects
        with self._lock:
            if row["id"] in self._rows:
                raise StoreError(f"generation {row['id']} already exists")
            self._rows[row["id"]] = row

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        _check_changes(changes)
        detached = json.loads(json.dumps(dict(changes)))
        with self._lock:
            row = self._rows.get(generation_id)
            if row is None:
                raise StoreError(f"no generation {generation_id}")
            row.update(detached)
            row["updated_at"] = now_iso()

    def get_generation(self, generation_id: str) -> Generation | None:
        with self._lock:
            row = self._rows.get(generation_id)
            return None if row is None else _detached(row)

    def unfinished_generations(self) -> list[Generation]:
        with self._lock:
            rows = [r for r in self._rows.values() if r["status"] in UNFINISHED]
            return [_detached(r) for r in sorted(rows, key=_created)]

    def all_generations(self) -> list[Generation]:
        with self._lock:
            return [_detached(r) for r in sorted(self._rows.values(), key=_created)]


def _detached(row: Mapping[str, Any]) -> Generation:
    """A record sharing no objects with the store, as SQLite's reads are."""
    return _to_generation(json.loads(json.dumps(row)))


def _created(row: Mapping[str, Any]) -> str:
    return str(row["created_at"])


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS generations (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL,
    model_record_id TEXT NOT NULL,
    inputs TEXT NOT NULL,
    cost TEXT NOT NULL,
    status TEXT NOT NULL CHECK (
        status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')
    ),
    provider_task_id TEXT,
    provider_request TEXT,
    provider_response TEXT,
    outputs TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS generations_unfinished
    ON generations (created_at) WHERE status IN ('pending', 'processing');
"""


def default_db_path() -> Path:
    """$MODELVAULT_DB, else generations.sqlite3 in the user's data folder."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override)
    import platformdirs  # noqa: PLC0415 - only when the default store is used

    return Path(platformdirs.user_data_dir("modelvault")) / "generations.sqlite3"


class SQLiteStore:
    """Records in one SQLite file: WAL, immediate transactions, busy timeout.

    One connection per thread; several processes may share the file.
    """

    def __init__(self, path: Path | str | None = None, busy_timeout_s: float = 30.0):
        self.path = Path(path) if path is not None else default_db_path()
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection().executescript(_CREATE_TABLE)  # idempotent
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the generation store {self.path}: {exc}; set "
                f"{DB_ENV} to a writable file path"
            ) from None

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None
            )
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection())

    def create_generation(self, record: Mapping[str, Any]) -> None:
        row = _new_record(record)
        values = [_encode(name, row[name]) for name in _FIELDS]
        placeholders = ", ".join("?" for _ in _FIELDS)
        try:
            with self._transaction() as db:
                db.execute(
                    f"INSERT INTO generations ({', '.join(_FIELDS)}) "
                    f"VALUES ({placeholders})",
                    values,
                )
        except sqlite3.Error as exc:
            raise StoreError(f"generation {row['id']} not stored: {exc}") from None

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        _check_changes(changes)
        names = [*changes, "updated_at"]
        values = [_encode(name, changes[name]) for name in changes] + [now_iso()]
        assignments = ", ".join(f"{name} = ?" for name in names)
        try:
            with self._transaction() as db:
                rowcount = db.execute(
                    f"UPDATE generations SET {assignments} WHERE id = ?",
                    [*values, generation_id],
                ).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"generation {generation_id} not updated: {exc}") from None
        if rowcount != 1:
            raise StoreError(f"no generation {generation_id} in {self.path}")

    def get_generation(self, generation_id: str) -> Generation | None:
        row = (
            self._connection()
            .execute("SELECT * FROM generations WHERE id = ?", [generation_id])
            .fetchone()
        )
        return None if row is None else _decode(row)

    def unfinished_generations(self) -> list[Generation]:
        rows = self._connection().execute(
            "SELECT * FROM generations WHERE status IN ('pending', 'processing') "
            "ORDER BY created_at"
        )
        return [_decode(row) for row in rows]

    def all_generations(self) -> list[Generation]:
        rows = self._connection().execute(
            "SELECT * FROM generations ORDER BY created_at"
        )
        return [_decode(row) for row in rows]

    def close(self) -> None:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): writers queue on the lock
    instead of failing halfway."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _encode(name: str, value: Any) -> Any:
    if name == "outputs":
        return json.dumps(value or [])
    if name in _JSON_FIELDS:
        return None if value is None else json.dumps(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _decode(row: sqlite3.Row) -> Generation:
    data = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row
    for name in _JSON_FIELDS:
        if data[name] is not None:
            data[name] = json.loads(data[name])
    return _to_generation(data)

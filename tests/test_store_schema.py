"""SQLiteStore's schema: versioned with PRAGMA user_version and migrated by
code, from an empty file and from a real version-1 file; newer, unknown and
foreign schemas are refused untouched."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from store_contract import raw_sql, record

from modelvault.store import (
    SCHEMA_VERSION,
    GenerationStatus,
    SQLiteStore,
    StoreError,
    StoreSchemaError,
)

# The table as modelvault wrote it before the schema was versioned (schema 1,
# PRAGMA user_version 0), copied from modelvault/store.py at commit 4bbc4ab.
_V1_DDL = """
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
_V1_ROWS = [
    (
        "old-done",
        "acme/flux",
        "rec-1",
        '{"prompt": "fox"}',
        "0.0030",
        "completed",
        "task-1",
        '{"url": "https://api.example"}',
        '{"data": {"state": "done"}}',
        '["https://cdn.example/a.png"]',
        None,
        "2026-01-01T00:00:00.000001Z",
        "2026-01-01T00:00:09.000000Z",
    ),
    (
        "old-live",
        "acme/veo",
        "rec-2",
        '{"prompt": "owl", "seconds": 8}',
        "1.20",
        "processing",
        "task-2",
        None,
        None,
        "[]",
        '{"message": "503 while polling"}',
        "2026-01-01T00:00:01.000000Z",
        "2026-01-01T00:00:02.000000Z",
    ),
]


def _v1_file(path: Path, user_version: int = 0) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(_V1_DDL)
        db.executemany(
            f"INSERT INTO generations VALUES ({', '.join('?' * 13)})", _V1_ROWS
        )
        db.execute(f"PRAGMA user_version = {user_version}")
        db.commit()
    finally:
        db.close()


def _columns(path: Path) -> list[str]:
    return [row[1] for row in raw_sql(path, "PRAGMA table_info(generations)")]


def test_a_new_file_gets_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    SQLiteStore(path).close()

    assert raw_sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(3,)]
    assert {
        "version",
        "lease_owner",
        "lease_expires_at",
        "callback_token_sha256",
        "output_state",
        "output_copy",
    } <= set(_columns(path))
    indexes = {name for (name,) in raw_sql(path, "SELECT name FROM sqlite_master")}
    assert {
        "generations_unfinished",
        "generations_model_unfinished",
        "generations_output_copy",
    } <= indexes


def test_a_version_2_file_gains_the_copy_columns(tmp_path: Path) -> None:
    from modelvault._store_sqlite_db import MIGRATIONS

    path = tmp_path / "generations.sqlite3"
    for step in MIGRATIONS[:2]:
        for statement in step:
            raw_sql(path, statement)
    raw_sql(path, "PRAGMA user_version = 2")
    raw_sql(
        path,
        "INSERT INTO generations (id, model_id, model_record_id, inputs, cost, "
        "status, outputs, created_at, updated_at, version) VALUES ('done', 'm', "
        "'r', '{}', '1', 'completed', '[\"https://x/a.png\"]', "
        "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:01.000000Z', 4)",
    )

    store = SQLiteStore(path)

    assert raw_sql(path, "PRAGMA user_version") == [(3,)]
    (done,) = store.all_generations()
    assert (done.version, done.output_state, done.output_copy) == (4, None, None)
    assert done.callback_token_sha256 is None
    # an old completed record is not copied unless someone asks for it
    assert store.claim_output_copies(limit=5, stale_after_s=0) == []
    store.record_output_copy("done", "pending", None, expected_version=4)
    assert [g.id for g in store.claim_output_copies(limit=5, stale_after_s=0)] == [
        "done"
    ]
    store.close()


@pytest.mark.parametrize("user_version", [0, 1])
def test_a_version_1_file_is_migrated_in_place(
    tmp_path: Path, user_version: int
) -> None:
    path = tmp_path / "generations.sqlite3"
    _v1_file(path, user_version)
    assert "version" not in _columns(path)

    store = SQLiteStore(path)

    assert raw_sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    done, live = store.all_generations()
    assert (done.id, live.id) == ("old-done", "old-live")
    assert done.status is GenerationStatus.COMPLETED
    assert done.inputs == {"prompt": "fox"}
    assert done.provider_request == {"url": "https://api.example"}
    assert done.provider_response == {"data": {"state": "done"}}
    assert done.outputs == ["https://cdn.example/a.png"]
    assert done.updated_at == "2026-01-01T00:00:09.000000Z"
    assert live.error == {"message": "503 while polling"}
    assert live.cost == "1.20"
    for old in (done, live):
        assert (old.version, old.lease_owner, old.lease_expires_at) == (1, None, None)
    assert [g.id for g in store.unfinished_generations()] == ["old-live"]

    # The migrated records follow the new rules.
    claimed = store.claim_unfinished("me", 60, limit=5)
    assert [g.id for g in claimed] == ["old-live"]
    store.update_generation("old-live", {"status": "completed"}, expected_version=1)
    with pytest.raises(StoreError):
        store.update_generation("old-done", {"status": "failed"})
    store.close()

    again = SQLiteStore(path)  # reopening migrates nothing
    assert [(g.id, g.version) for g in again.all_generations()] == [
        ("old-done", 1),
        ("old-live", 2),
    ]
    again.close()


def test_many_openers_of_a_version_1_file_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    _v1_file(path)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            barrier.wait()
            SQLiteStore(path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert raw_sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw_sql(path, "SELECT COUNT(*) FROM generations") == [(2,)]


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    """The last step of the 1 -> 2 migration cannot run (a table holds the new
    index's name): the steps before it are rolled back with it."""
    path = tmp_path / "generations.sqlite3"
    _v1_file(path)
    raw_sql(path, "CREATE TABLE generations_model_unfinished (x)")

    with pytest.raises(StoreError) as caught:
        SQLiteStore(path)

    assert str(path) in str(caught.value)
    assert "MODELVAULT_DB" in str(caught.value)
    assert raw_sql(path, "PRAGMA user_version") == [(0,)]
    assert "version" not in _columns(path)
    assert "lease_owner" not in _columns(path)
    assert raw_sql(path, "SELECT COUNT(*) FROM generations") == [(2,)]


@pytest.mark.parametrize("future", [SCHEMA_VERSION + 1, 99])
def test_a_newer_schema_is_refused_untouched(tmp_path: Path, future: int) -> None:
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path)
    store.create_generation(record())
    store.close()
    raw_sql(path, f"PRAGMA user_version = {future}")
    before = path.read_bytes()

    with pytest.raises(StoreSchemaError) as caught:
        SQLiteStore(path)

    message = str(caught.value)
    assert str(path) in message
    assert f"version {future}" in message
    assert f"up to {SCHEMA_VERSION}" in message
    assert "upgrade modelvault" in message
    assert "MODELVAULT_DB" in message
    assert isinstance(caught.value, StoreError)
    assert raw_sql(path, "PRAGMA user_version") == [(future,)]
    assert path.read_bytes() == before


def test_an_unknown_schema_is_refused(tmp_path: Path) -> None:
    negative = tmp_path / "negative.sqlite3"
    SQLiteStore(negative).close()
    raw_sql(negative, "PRAGMA user_version = -1")
    with pytest.raises(StoreSchemaError, match="version -1"):
        SQLiteStore(negative)

    odd = tmp_path / "odd.sqlite3"
    raw_sql(odd, "CREATE TABLE generations (id TEXT PRIMARY KEY, blob BLOB)")
    with pytest.raises(StoreSchemaError, match="unknown layout"):
        SQLiteStore(odd)
    assert _columns(odd) == ["id", "blob"]


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    raw_sql(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")

    with pytest.raises(StoreSchemaError) as caught:
        SQLiteStore(path)

    assert "users" in str(caught.value)
    assert "MODELVAULT_DB" in str(caught.value)
    tables = raw_sql(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert tables == [("users",)]


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    path.write_bytes(b"")
    store = SQLiteStore(path)
    store.create_generation(record())
    assert store.get_generation("gen-1") is not None
    store.close()

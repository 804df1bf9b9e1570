"""The SQLite file under SQLiteStore: its schema, the migrations that bring an
older file up to date, and what each SQLite error means for the user."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from modelvault import _store_model as model
from modelvault._store_model import SCHEMA_VERSION
from modelvault.errors import StoreError, StoreSchemaError

DB_ENV = "MODELVAULT_DB"
UNFINISHED_SQL = "('pending', 'processing')"

_V1_TABLE = """
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
)"""
COPY_CLAIMABLE_SQL = "('pending', 'failed', 'copying')"
LEASE_FREE_SQL = (
    "(lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?)"
)

# MIGRATIONS[n] takes a database from schema version n to n + 1, in one
# transaction with the others. Files written before the schema was versioned
# have user_version 0 and the version-1 table, which step 0 adopts as it is.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        _V1_TABLE,
        "CREATE INDEX IF NOT EXISTS generations_unfinished ON generations "
        f"(created_at) WHERE status IN {UNFINISHED_SQL}",
    ),
    (
        "ALTER TABLE generations ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE generations ADD COLUMN lease_owner TEXT",
        "ALTER TABLE generations ADD COLUMN lease_expires_at REAL",
        "CREATE INDEX IF NOT EXISTS generations_model_unfinished ON generations "
        f"(model_id, created_at) WHERE status IN {UNFINISHED_SQL}",
    ),
    (
        "ALTER TABLE generations ADD COLUMN callback_token_sha256 TEXT",
        "ALTER TABLE generations ADD COLUMN output_state TEXT",
        "ALTER TABLE generations ADD COLUMN output_copy TEXT",
        "CREATE INDEX IF NOT EXISTS generations_output_copy ON generations "
        f"(updated_at) WHERE output_state IN {COPY_CLAIMABLE_SQL}",
    ),
)
assert len(MIGRATIONS) == SCHEMA_VERSION

# Primary result codes (https://sqlite.org/rescode.html).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT = 3, 5, 6, 8, 10, 11
_FULL, _CANTOPEN, _AUTH, _NOTADB = 13, 14, 23, 26
CONSTRAINT_PRIMARYKEY = 1555


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the database to SCHEMA_VERSION, inside the caller's immediate
    transaction; refuses (StoreSchemaError) a newer or unknown schema."""
    found = db.execute("PRAGMA user_version").fetchone()[0]  # now under lock
    if found == SCHEMA_VERSION:  # another process migrated it meanwhile
        return
    if not 0 <= found <= SCHEMA_VERSION:
        raise StoreSchemaError(
            f"{path} has generation-store schema version {found}, and "
            f"this modelvault knows versions up to {SCHEMA_VERSION}: upgrade "
            f"modelvault (pip install -U modelvault) to use this file, or set "
            f"{DB_ENV} to another file"
        )
    tables = {
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'"
        )
    }
    columns = {row[1] for row in db.execute("PRAGMA table_info(generations)")}
    if tables and "generations" not in tables:
        raise StoreSchemaError(
            f"{path} is a SQLite database of something else (tables "
            f"{sorted(tables)[:5]}), not a modelvault generation store: set "
            f"{DB_ENV} to another file"
        )
    layouts = {0: model.CONTENT_FIELDS, 1: model.CONTENT_FIELDS, 2: model.V2_FIELDS}
    expected = set(layouts.get(found, model.FIELDS))
    if columns and columns != expected:
        raise StoreSchemaError(
            f"{path} has a generations table of an unknown layout "
            f"(schema version {found}, columns {sorted(columns)}): move the "
            f"file aside, or set {DB_ENV} to another file"
        )
    for step in MIGRATIONS[found:]:
        for statement in step:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def failure(
    exc: sqlite3.Error, doing: str, path: Path, busy_timeout_s: float
) -> StoreError:
    """The StoreError for a sqlite3 error: what broke, where, what to do."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    other = f"or set {DB_ENV} to another file"
    if primary in (_NOTADB, _CORRUPT):
        advice = (
            f"{path} is not a usable SQLite database ({exc}): it is damaged or "
            f"another program's file; move it aside and run again, {other}"
        )
    elif primary in (_READONLY, _PERM, _AUTH):
        advice = (
            f"{path} is read-only ({exc}): make the file, its folder and its "
            f"-wal/-shm files writable, {other}"
        )
    elif primary == _CANTOPEN:
        advice = (
            f"cannot open {path} ({exc}): check that its folder exists and "
            f"is writable, {other}"
        )
    elif primary == _FULL:
        advice = (
            f"the disk holding {path} is full ({exc}); nothing was changed: "
            f"free some space and retry, {other} on another disk"
        )
    elif primary in (_BUSY, _LOCKED):
        advice = (
            f"{path} stayed locked by another process for more than "
            f"{busy_timeout_s:g} s ({exc}): retry, or stop the process "
            "holding it"
        )
    elif primary == _IOERR:
        advice = (
            f"disk I/O error on {path} ({exc}): check the disk (full, removed, "
            f"a network mount?) and retry, {other}"
        )
    else:
        advice = f"{path}: {exc}; check the file and retry, {other}"
    return StoreError(f"{doing} failed: {advice}")

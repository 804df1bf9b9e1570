"""The PostgreSQL schema under PostgresStore: its tables, the migrations that
bring an older schema up to date, and what each psycopg error means for the
user (and whether it is worth retrying).

Everything lives in one PostgreSQL schema (`modelvault` unless told otherwise):
`generations` and `schema_version` (one row: the version of the layout, as
SQLite's PRAGMA user_version). Only psycopg's error classes are used here, so
importing this module needs the `postgres` extra, as PostgresStore does.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from modelvault._store_model import SCHEMA_VERSION
from modelvault._store_open import redact_dsn
from modelvault.errors import StoreError, StoreSchemaError

EXTRA_HINT = 'pip install "modelvault[postgres]"'
UNFINISHED_SQL = "('pending', 'processing')"
COPY_CLAIMABLE_SQL = "('pending', 'failed', 'copying')"
LEASE_FREE_SQL = (
    "(lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= %(now)s)"
)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_schema_name(schema: str) -> str:
    if not isinstance(schema, str) or not _IDENTIFIER.fullmatch(schema):
        raise StoreError(
            f"schema must be a lowercase PostgreSQL identifier such as 'modelvault' "
            f"(letters, digits, _; at most 63), not {schema!r}"
        )
    return schema


def migrations(schema: str) -> tuple[tuple[str, ...], ...]:
    """MIGRATIONS[n] takes the schema from version n to n + 1 (the same record
    layouts as SQLite's: 1 without, 2 with version and lease columns, 3 with the
    callback token hash and the output copy)."""
    table = f"{schema}.generations"
    return (
        (
            f"CREATE SCHEMA IF NOT EXISTS {schema}",
            f"CREATE TABLE {schema}.schema_version (version integer NOT NULL)",
            f"INSERT INTO {schema}.schema_version VALUES (0)",
            f"""CREATE TABLE {table} (
                id text PRIMARY KEY,
                model_id text NOT NULL,
                model_record_id text NOT NULL,
                inputs text NOT NULL,
                cost text NOT NULL,
                status text NOT NULL CHECK (status IN
                    ('pending', 'processing', 'completed', 'failed', 'cancelled')),
                provider_task_id text,
                provider_request text,
                provider_response text,
                outputs text NOT NULL DEFAULT '[]',
                error text,
                created_at text NOT NULL,
                updated_at text NOT NULL,
                seq bigint GENERATED ALWAYS AS IDENTITY
            )""",
            f"CREATE INDEX generations_unfinished ON {table} (created_at, seq) "
            f"WHERE status IN {UNFINISHED_SQL}",
        ),
        (
            f"ALTER TABLE {table} ADD COLUMN version integer NOT NULL DEFAULT 1",
            f"ALTER TABLE {table} ADD COLUMN lease_owner text",
            f"ALTER TABLE {table} ADD COLUMN lease_expires_at double precision",
            f"CREATE INDEX generations_model_unfinished ON {table} "
            f"(model_id, created_at, seq) WHERE status IN {UNFINISHED_SQL}",
            f"CREATE INDEX generations_leased ON {table} (lease_owner) "
            "WHERE lease_owner IS NOT NULL",
        ),
        (
            f"ALTER TABLE {table} ADD COLUMN callback_token_sha256 text",
            f"ALTER TABLE {table} ADD COLUMN output_state text",
            f"ALTER TABLE {table} ADD COLUMN output_copy text",
            f"CREATE INDEX generations_output_copy ON {table} (updated_at, seq) "
            f"WHERE output_state IN {COPY_CLAIMABLE_SQL}",
        ),
    )


assert len(migrations("x")) == SCHEMA_VERSION


def stored_version(conn: psycopg.Connection[Any], schema: str, where: str) -> int:
    """The schema's version (0: no modelvault schema yet); refuses a schema of
    the same name that holds something else."""
    row = conn.execute(
        "SELECT to_regclass(%s), to_regclass(%s)",
        [f"{schema}.schema_version", f"{schema}.generations"],
    ).fetchone()
    assert row is not None
    if row[0] is None:
        if row[1] is not None:
            raise StoreSchemaError(
                f"{where}: schema {schema} has a generations table but no "
                "schema_version table, so it was not made by modelvault: pass "
                "another schema= or database"
            )
        return 0
    found = conn.execute(f"SELECT max(version) FROM {schema}.schema_version").fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def migrate(conn: psycopg.Connection[Any], schema: str, where: str) -> None:
    """Bring the schema to SCHEMA_VERSION in one transaction, under an advisory
    lock (two processes opening a new database at once migrate it once);
    refuses (StoreSchemaError) a newer schema."""
    found = stored_version(conn, schema, where)
    if found == SCHEMA_VERSION:
        return
    _refuse_newer(found, where)
    # A session lock, taken before the transaction: the transaction then starts
    # with a fresh view of the catalog (a transaction-level lock taken inside
    # it would not refresh what this connection knows of the tables).
    key = [f"modelvault:{schema}"]
    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", key)
    try:
        with conn.transaction():
            found = stored_version(conn, schema, where)  # now under the lock
            _refuse_newer(found, where)
            for step in migrations(schema)[found:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute(
                f"UPDATE {schema}.schema_version SET version = %s", [SCHEMA_VERSION]
            )
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", key)


def _refuse_newer(found: int, where: str) -> None:
    if found > SCHEMA_VERSION:
        raise StoreSchemaError(
            f"{where} has generation-store schema version {found}, and this "
            f"modelvault knows versions up to {SCHEMA_VERSION}: upgrade modelvault "
            "(pip install -U modelvault) on this machine, as the rest of the fleet "
            "was, or point MODELVAULT_DB at another database"
        )


# --- Errors --------------------------------------------------------------------

# Worth retrying on a fresh connection: the server went away or is starting up,
# the connection broke, too many clients, a serialization failure or deadlock.
_RETRY_STATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01")
_AUTH_WORDS = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf",
)


def where(dsn: str, schema: str) -> str:
    """The database a message names, without its password."""
    return f"PostgreSQL {redact_dsn(dsn)} (schema {schema})"


def is_retryable(exc: BaseException) -> bool:
    """A dropped or refused connection (not bad credentials) or a transient
    server state: the same operation may succeed on a fresh connection."""
    if isinstance(
        exc,
        psycopg.errors.InvalidPassword
        | psycopg.errors.InvalidAuthorizationSpecification,
    ):
        return False
    state = getattr(exc, "sqlstate", None)
    if state is not None:
        return any(state.startswith(prefix) for prefix in _RETRY_STATES)
    text = str(exc).lower()
    if any(word in text for word in _AUTH_WORDS) or "does not exist" in text:
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def failure(
    exc: BaseException, doing: str, place: str, retried_s: float = 0
) -> StoreError:
    """The StoreError for a psycopg error: what broke, where, what to do."""
    text = " ".join(str(exc).split())[:400]
    state = getattr(exc, "sqlstate", None)
    lowered = text.lower()
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        advice = (
            f"the database user may not do this ({text}): let the database owner "
            "open the store once (it creates and migrates the schema), then "
            "GRANT USAGE ON SCHEMA, and SELECT, INSERT, UPDATE on its tables to "
            "this user; or GRANT CREATE ON DATABASE to it"
        )
    elif any(word in lowered for word in _AUTH_WORDS) or state in ("28P01", "28000"):
        advice = (
            f"PostgreSQL refused the credentials ({text}): check the user and "
            "password in MODELVAULT_DB (or PGPASSWORD / ~/.pgpass)"
        )
    elif "database" in lowered and "does not exist" in lowered:
        advice = (
            f"{text}: create it (createdb NAME, or CREATE DATABASE) or fix the "
            "database name in MODELVAULT_DB"
        )
    elif is_retryable(exc):
        waited = f" for {retried_s:.0f} s" if retried_s else ""
        advice = (
            f"PostgreSQL did not answer{waited} ({text}): check that the server "
            "is running and reachable at the host and port in MODELVAULT_DB; "
            "nothing was lost: retry once it is back"
        )
    elif isinstance(exc, psycopg.DataError):
        advice = (
            f"PostgreSQL cannot store a value of this record ({text}): pass valid "
            "text (no NUL characters) and numbers in range; nothing was written"
        )
    elif isinstance(exc, psycopg.ProgrammingError) and "invalid" in lowered:
        advice = f"MODELVAULT_DB is not a valid PostgreSQL URL ({text}): fix it"
    else:
        advice = f"{text}; check the database and retry"
    return StoreError(f"{doing} failed on {place}: {advice}")

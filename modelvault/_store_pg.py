"""PostgresStore: generation records in PostgreSQL, shared by every process of
a fleet (web instances, `modelvault worker`s) on any machine.

The same rules as SQLiteStore (`modelvault._store_logic`): every write that
depends on the stored state is one conditional UPDATE (`WHERE status = ANY(...)
AND version = ...`, or the lease condition); batch claims take rows with
`FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait on, nor share, a
row. Connections come from a psycopg_pool pool (thread-safe; one store serves
every thread of a process). A dropped connection or a restarting server is
retried on a fresh connection for up to `reconnect_s`; a write whose commit
was cut off is re-checked, so it is neither lost nor applied twice. Every other
psycopg error becomes a StoreError saying what to do.

Lease time is epoch seconds from `clock` (the hosts' clocks must agree within
a small part of a lease, as NTP keeps them).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Mapping
from enum import StrEnum
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from psycopg.rows import dict_row

from modelvault import _store_logic as logic
from modelvault import _store_model as model
from modelvault._store_model import Generation, GenerationStatus
from modelvault._store_pg_db import (
    COPY_CLAIMABLE_SQL,
    LEASE_FREE_SQL,
    UNFINISHED_SQL,
    check_schema_name,
    failure,
    is_retryable,
    migrate,
    where,
)
from modelvault.errors import GenerationConflictError, StoreError

T = TypeVar("T")
Conn = psycopg.Connection[dict[str, Any]]
_COLUMNS = ", ".join(model.FIELDS)
_PLACES = ", ".join(f"%({name})s" for name in model.FIELDS)


class PostgresStore:
    """Records in PostgreSQL (schema `schema`, created and migrated on open).

    `dsn`: a libpq URL or key=value string. `pool_size`: connections this
    process may hold. `reconnect_s`: how long an operation retries through a
    lost connection or a restarting server before it raises StoreError.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "modelvault",
        pool_size: int = 10,
        reconnect_s: float = 30.0,
        connect_timeout_s: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.dsn = dsn
        self.schema = check_schema_name(schema)
        self.where = where(dsn, schema)
        self.table = f"{schema}.generations"
        self._reconnect_s = reconnect_s
        self._clock = clock
        self._kwargs: dict[str, Any] = {
            "autocommit": True,
            "row_factory": dict_row,
            "application_name": "modelvault",
        }
        if "connect_timeout" not in dsn:
            self._kwargs["connect_timeout"] = connect_timeout_s
        self._migrate()
        self._pool: psycopg_pool.ConnectionPool[Conn] = psycopg_pool.ConnectionPool(
            dsn,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs=self._kwargs,
            timeout=max(0.2, min(reconnect_s / 3, 10.0)),  # a few tries per op
            open=False,
            name="modelvault",
        )
        self._pool.open(wait=False)

    def __repr__(self) -> str:
        return f"PostgresStore({self.where})"

    # --- Records ---------------------------------------------------------------

    def create_generation(self, record: Mapping[str, Any]) -> None:
        row = logic.new_row(record)
        values = {name: _encode(name, row[name], row["id"]) for name in model.FIELDS}

        def work(db: Conn, retrying: bool) -> None:
            try:
                db.execute(
                    f"INSERT INTO {self.table} ({_COLUMNS}) VALUES ({_PLACES})", values
                )
            except psycopg.errors.UniqueViolation:
                if retrying and self._holds(db, row["id"], values):
                    return  # our first attempt committed; its answer was lost
                raise logic.duplicate(row["id"], self.where) from None

        self._run(f"storing generation {row['id']}", work)

    def update_generation(
        self,
        generation_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> None:
        logic.check_expected_version(expected_version)
        checked = logic.check_changes(generation_id, changes)
        new_status: GenerationStatus | None = checked.get("status")
        sources = [s.value for s in logic.write_sources(new_status)]
        values = {n: _encode(n, v, generation_id) for n, v in checked.items()}
        sets = [f"{name} = %({name})s" for name in checked]
        sets += [
            "version = version + 1",
            "updated_at = GREATEST(updated_at, %(_stamp)s)",  # never backwards
        ]
        if new_status in model.TERMINAL:
            sets += ["lease_owner = NULL", "lease_expires_at = NULL"]
        sql = (
            f"UPDATE {self.table} SET {', '.join(sets)} "
            "WHERE id = %(_id)s AND status = ANY(%(_sources)s)"
        )
        if expected_version is not None:
            sql += " AND version = %(_expected)s"
        params = {
            **values,
            "_id": generation_id,
            "_sources": sources,
            "_expected": expected_version,
        }

        def work(db: Conn, retrying: bool) -> GenerationConflictError | None:
            params["_stamp"] = model.now_iso()
            if db.execute(sql, params).rowcount == 1:
                return None
            current = db.execute(
                f"SELECT * FROM {self.table} WHERE id = %s", [generation_id]
            ).fetchone()
            if current is None:
                raise logic.missing(generation_id, self.where)
            if retrying and _satisfies(current, values, expected_version):
                return None  # our first attempt committed; its answer was lost
            return logic.refuse_update(
                generation_id,
                GenerationStatus(current["status"]),
                current["version"],
                new_status,
                expected_version,
            )

        refused = self._run(f"updating generation {generation_id}", work)
        if refused is not None:
            raise refused

    def get_generation(self, generation_id: str) -> Generation | None:
        row = self._run(
            f"reading generation {generation_id}",
            lambda db, _: db.execute(
                f"SELECT * FROM {self.table} WHERE id = %s", [generation_id]
            ).fetchone(),
        )
        return None if row is None else self._decode(row)

    def unfinished_generations(self) -> list[Generation]:
        return self._select(
            "listing unfinished generations",
            f"WHERE status IN {UNFINISHED_SQL} ORDER BY created_at, seq",
        )

    def all_generations(self) -> list[Generation]:
        return self._select("listing generations", "ORDER BY created_at, seq")

    # --- Leases ----------------------------------------------------------------

    def claim_generation(
        self,
        generation_id: str,
        owner: str,
        ttl_s: float,
        *,
        take_over_from: str | None = None,
    ) -> Generation | None:
        logic.check_lease(owner, ttl_s)

        def work(db: Conn, _: bool) -> dict[str, Any] | None:
            now = self._clock()
            return db.execute(
                f"UPDATE {self.table} SET lease_owner = %(owner)s, "
                "lease_expires_at = %(expires)s "
                f"WHERE id = %(id)s AND status IN {UNFINISHED_SQL} AND "
                f"({LEASE_FREE_SQL} OR lease_owner = %(owner)s "
                "OR lease_owner = %(dead)s) RETURNING *",
                {
                    "owner": owner,
                    "expires": now + ttl_s,
                    "id": generation_id,
                    "now": now,
                    "dead": take_over_from,
                },
            ).fetchone()

        row = self._run(f"claiming generation {generation_id}", work)
        return None if row is None else self._decode(row)

    def claim_unfinished(
        self,
        owner: str,
        ttl_s: float,
        *,
        limit: int,
        model_ids: Collection[str] | None = None,
    ) -> list[Generation]:
        models = logic.checked_claim(owner, ttl_s, limit, model_ids)
        if logic.nothing_to_claim(limit, models):
            return []
        only = "" if models is None else " AND model_id = ANY(%(models)s)"
        sql = (
            f"WITH picked AS (SELECT id FROM {self.table} "
            f"WHERE status IN {UNFINISHED_SQL} AND {LEASE_FREE_SQL}{only} "
            "ORDER BY created_at, seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {self.table} AS g SET lease_owner = %(owner)s, "
            "lease_expires_at = %(expires)s FROM picked WHERE g.id = picked.id "
            "RETURNING g.*"
        )

        def work(db: Conn, _: bool) -> list[dict[str, Any]]:
            now = self._clock()
            return db.execute(
                sql,
                {
                    "now": now,
                    "models": models,
                    "limit": limit,
                    "owner": owner,
                    "expires": now + ttl_s,
                },
            ).fetchall()

        rows = self._run("claiming unfinished generations", work)
        rows.sort(key=lambda row: (row["created_at"], row["seq"]))
        return [self._decode(row) for row in rows]

    # --- Output copies -----------------------------------------------------------

    def record_output_copy(
        self,
        generation_id: str,
        output_state: str,
        output_copy: Mapping[str, Any] | None,
        *,
        expected_version: int | None = None,
    ) -> Generation:
        logic.check_expected_version(expected_version)
        checked = logic.check_copy_write(generation_id, output_state, output_copy)
        values = {n: _encode(n, v, generation_id) for n, v in checked.items()}
        sql = (
            f"UPDATE {self.table} SET output_state = %(output_state)s, "
            "output_copy = %(output_copy)s, version = version + 1, "
            "updated_at = GREATEST(updated_at, %(_stamp)s) "
            "WHERE id = %(_id)s AND status = 'completed'"
        )
        if expected_version is not None:
            sql += " AND version = %(_expected)s"
        params = {**values, "_id": generation_id, "_expected": expected_version}

        def work(db: Conn, retrying: bool) -> tuple[bool, dict[str, Any]]:
            params["_stamp"] = model.now_iso()
            row = db.execute(sql + " RETURNING *", params).fetchone()
            if row is not None:
                return True, row
            current = db.execute(
                f"SELECT * FROM {self.table} WHERE id = %s", [generation_id]
            ).fetchone()
            if current is None:
                raise logic.missing(generation_id, self.where)
            done = retrying and _satisfies(current, values, expected_version)
            return done, current

        written, row = self._run(f"recording the output copy of {generation_id}", work)
        if not written:
            raise logic.refuse_copy_write(
                generation_id,
                GenerationStatus(row["status"]),
                row["version"],
                expected_version,
            )
        return self._decode(row)

    def claim_output_copies(
        self, *, limit: int, stale_after_s: float
    ) -> list[Generation]:
        logic.check_copy_claim(limit, stale_after_s)
        if limit == 0:
            return []
        sql = (
            f"WITH picked AS (SELECT id FROM {self.table} "
            f"WHERE status = 'completed' AND output_state IN {COPY_CLAIMABLE_SQL} "
            "AND (output_state = 'pending' OR updated_at < %(stale)s) "
            "ORDER BY updated_at, seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {self.table} AS g SET output_state = 'copying', "
            "version = g.version + 1, "
            "updated_at = GREATEST(g.updated_at, %(stamp)s) "
            "FROM picked WHERE g.id = picked.id RETURNING g.*"
        )

        def work(db: Conn, _: bool) -> list[dict[str, Any]]:
            return db.execute(
                sql,
                {
                    "stale": logic.stamp_before(stale_after_s),
                    "limit": limit,
                    "stamp": model.now_iso(),
                },
            ).fetchall()

        rows = self._run("claiming output copies", work)
        rows.sort(key=lambda row: (row["updated_at"], row["seq"]))
        return [self._decode(row) for row in rows]

    def renew_lease(self, generation_id: str, owner: str, ttl_s: float) -> bool:
        logic.check_lease(owner, ttl_s)
        renewed = self._run(
            f"renewing the lease on generation {generation_id}",
            lambda db, _: (
                db.execute(
                    f"UPDATE {self.table} SET lease_expires_at = %s WHERE id = %s "
                    f"AND lease_owner = %s AND status IN {UNFINISHED_SQL}",
                    [self._clock() + ttl_s, generation_id, owner],
                ).rowcount
            ),
        )
        return renewed == 1

    def release_lease(self, generation_id: str, owner: str) -> None:
        logic.check_owner(owner)
        self._run(
            f"releasing the lease on generation {generation_id}",
            lambda db, _: db.execute(
                f"UPDATE {self.table} SET lease_owner = NULL, lease_expires_at = NULL "
                "WHERE id = %s AND lease_owner = %s",
                [generation_id, owner],
            ),
        )

    # --- Operators -------------------------------------------------------------

    def query(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Rows of a read-only query over `{table}` (this store's generations
        table), for reports such as `modelvault stats`."""
        text = sql.replace("{table}", self.table)
        return self._run(
            "reading generation statistics",
            lambda db, _: db.execute(text, params or {}).fetchall(),
        )

    @property
    def closed(self) -> bool:
        return bool(self._pool.closed)

    def close(self) -> None:
        """Close the pool (every connection of this store)."""
        with contextlib.suppress(Exception):
            self._pool.close()

    # --- Connections, retries and errors ---------------------------------------

    def _migrate(self) -> None:
        doing = "opening the generation store"
        try:
            plain = {k: v for k, v in self._kwargs.items() if k != "row_factory"}
            with psycopg.connect(self.dsn, **plain) as db:
                migrate(db, self.schema, self.where)
        except psycopg.Error as exc:
            raise failure(exc, doing, self.where) from None

    def _run(self, doing: str, work: Callable[[Conn, bool], T]) -> T:
        """work(connection, retrying) on a pooled connection; retried on a fresh
        one while the server is unreachable, for up to reconnect_s."""
        started = time.monotonic()
        retrying = False
        pause = 0.05
        while True:
            try:
                with self._pool.connection() as db:
                    return work(db, retrying)
            except StoreError:
                raise
            except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
                waited = time.monotonic() - started
                if not is_retryable(exc) or waited >= self._reconnect_s:
                    raise failure(exc, doing, self.where, waited) from None
            except psycopg_pool.PoolClosed:
                raise StoreError(
                    f"{doing} failed: this store was closed; open a new "
                    f"PostgresStore for {self.where}"
                ) from None
            retrying = True
            with contextlib.suppress(Exception):
                self._pool.check()  # drop every connection the outage broke
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def _select(self, doing: str, tail: str) -> list[Generation]:
        rows = self._run(
            doing,
            lambda db, _: db.execute(f"SELECT * FROM {self.table} {tail}").fetchall(),
        )
        return [self._decode(row) for row in rows]

    def _holds(self, db: Conn, generation_id: str, values: Mapping[str, Any]) -> bool:
        row = db.execute(
            f"SELECT * FROM {self.table} WHERE id = %s", [generation_id]
        ).fetchone()
        content = {
            n: values[n] for n in ("model_id", "model_record_id", "inputs", "cost")
        }
        return row is not None and all(row[n] == v for n, v in content.items())

    def _decode(self, row: Mapping[str, Any]) -> Generation:
        data = dict(row)
        for name in model.JSON_FIELDS:
            if data[name] is not None:
                try:
                    data[name] = logic.decode_json(data[name])
                except ValueError:
                    raise StoreError(
                        f"generation {data['id']} in {self.where} holds unreadable "
                        f"JSON in {name} (it was changed outside modelvault): fix "
                        "or delete that row"
                    ) from None
        return model.to_generation(data)


def _encode(name: str, value: Any, generation_id: str) -> Any:
    if name == "outputs":
        return logic.encode_json(value or [], name, generation_id)
    if name in model.JSON_FIELDS:
        return None if value is None else logic.encode_json(value, name, generation_id)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _satisfies(
    row: Mapping[str, Any], values: Mapping[str, Any], expected_version: int | None
) -> bool:
    """Whether the stored row already holds this write (a retried write whose
    first commit went through before the connection dropped)."""
    if expected_version is not None and row["version"] != expected_version + 1:
        return False
    return all(row[name] == value for name, value in values.items())

"""SQLiteStore: generation records in one SQLite file, shared by threads and
processes on one machine.

WAL, one connection per thread, `BEGIN IMMEDIATE` for every write (writers queue
on the lock for up to the busy timeout instead of failing halfway). Every write
that depends on the stored state is one conditional UPDATE (`WHERE status IN
(...) AND version = ?`, or the lease condition) inside that transaction, so a
stale writer changes nothing. The rules come from `modelvault._store_logic`; the
schema is versioned with `PRAGMA user_version` and migrated by `MIGRATIONS`.
Every sqlite3 error becomes a StoreError naming the file and what to do.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from modelvault import _store_logic as logic
from modelvault import _store_model as model
from modelvault._store_model import SCHEMA_VERSION, Generation, GenerationStatus
from modelvault._store_sqlite_db import (
    CONSTRAINT_PRIMARYKEY,
    COPY_CLAIMABLE_SQL,
    DB_ENV,
    LEASE_FREE_SQL,
    UNFINISHED_SQL,
    failure,
    migrate,
)
from modelvault.errors import StoreError


def default_db_path() -> Path:
    """$MODELVAULT_DB, else generations.sqlite3 in the user's data folder."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override)
    import platformdirs  # noqa: PLC0415 - only when the default store is used

    return Path(platformdirs.user_data_dir("modelvault")) / "generations.sqlite3"


class SQLiteStore:
    """Records in one SQLite file: WAL, immediate transactions, busy timeout.

    One connection per thread; several processes may share the file. `clock`
    gives lease time in epoch seconds (tests pass one they can move).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        busy_timeout_s: float = 30.0,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._busy_timeout_s = busy_timeout_s
        self._clock = clock
        self._local = threading.local()
        self._open()

    # --- Records ---------------------------------------------------------------

    def create_generation(self, record: Mapping[str, Any]) -> None:
        row = logic.new_row(record)
        values = [self._encode(name, row[name], row["id"]) for name in model.FIELDS]
        with self._writing(f"storing generation {row['id']}") as db:
            try:
                db.execute(
                    f"INSERT INTO generations ({', '.join(model.FIELDS)}) "
                    f"VALUES ({_marks(values)})",
                    values,
                )
            except sqlite3.IntegrityError as exc:
                if exc.sqlite_errorcode == CONSTRAINT_PRIMARYKEY:
                    raise logic.duplicate(row["id"], str(self.path)) from None
                raise

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
        sources = logic.write_sources(new_status)
        sets = [f"{name} = ?" for name in checked]
        sets += ["version = version + 1", "updated_at = ?"]
        if new_status in model.TERMINAL:
            sets += ["lease_owner = NULL", "lease_expires_at = NULL"]
        values = [self._encode(n, v, generation_id) for n, v in checked.items()]
        sql = (
            f"UPDATE generations SET {', '.join(sets)} "
            f"WHERE id = ? AND status IN ({_marks(sources)})"
        )
        where: list[Any] = [generation_id, *sources]
        if expected_version is not None:
            sql += " AND version = ?"
            where.append(expected_version)
        with self._writing(f"updating generation {generation_id}") as db:
            stamp = model.now_iso()  # under the lock: stamps follow commit order
            if db.execute(sql, [*values, stamp, *where]).rowcount == 1:
                return
            current = db.execute(
                "SELECT status, version FROM generations WHERE id = ?",
                [generation_id],
            ).fetchone()
        if current is None:
            raise logic.missing(generation_id, str(self.path))
        raise logic.refuse_update(
            generation_id,
            GenerationStatus(current["status"]),
            current["version"],
            new_status,
            expected_version,
        )

    def get_generation(self, generation_id: str) -> Generation | None:
        with self._reading(f"reading generation {generation_id}") as db:
            row = db.execute(
                "SELECT * FROM generations WHERE id = ?", [generation_id]
            ).fetchone()
        return None if row is None else self._decode(row)

    def unfinished_generations(self) -> list[Generation]:
        with self._reading("listing unfinished generations") as db:
            rows = db.execute(
                f"SELECT * FROM generations WHERE status IN {UNFINISHED_SQL} "
                "ORDER BY created_at, rowid"
            ).fetchall()
        return [self._decode(row) for row in rows]

    def all_generations(self) -> list[Generation]:
        with self._reading("listing generations") as db:
            rows = db.execute(
                "SELECT * FROM generations ORDER BY created_at, rowid"
            ).fetchall()
        return [self._decode(row) for row in rows]

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
        with self._writing(f"claiming generation {generation_id}") as db:
            now = self._clock()  # read under the lock: waiting made no lease stale
            claimed = db.execute(
                "UPDATE generations SET lease_owner = ?, lease_expires_at = ? "
                f"WHERE id = ? AND status IN {UNFINISHED_SQL} AND ({LEASE_FREE_SQL} "
                "OR lease_owner = ? OR lease_owner = ?)",
                [owner, now + ttl_s, generation_id, now, owner, take_over_from],
            ).rowcount
            if claimed != 1:
                return None
            row = db.execute(
                "SELECT * FROM generations WHERE id = ?", [generation_id]
            ).fetchone()
        return self._decode(row)

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
        sql = (
            "SELECT * FROM generations "
            f"WHERE status IN {UNFINISHED_SQL} AND {LEASE_FREE_SQL}"
        )
        if models is not None:
            sql += f" AND model_id IN ({_marks(models)})"
        sql += " ORDER BY created_at, rowid LIMIT ?"
        with self._writing("claiming unfinished generations") as db:
            now = self._clock()
            rows = db.execute(sql, [now, *(models or []), limit]).fetchall()
            expires = now + ttl_s
            db.executemany(
                "UPDATE generations SET lease_owner = ?, lease_expires_at = ? "
                "WHERE id = ?",
                [(owner, expires, row["id"]) for row in rows],
            )
        return [
            replace(self._decode(row), lease_owner=owner, lease_expires_at=expires)
            for row in rows
        ]

    def renew_lease(self, generation_id: str, owner: str, ttl_s: float) -> bool:
        logic.check_lease(owner, ttl_s)
        with self._writing(f"renewing the lease on generation {generation_id}") as db:
            renewed = db.execute(
                "UPDATE generations SET lease_expires_at = ? "
                f"WHERE id = ? AND lease_owner = ? AND status IN {UNFINISHED_SQL}",
                [self._clock() + ttl_s, generation_id, owner],
            ).rowcount
        return renewed == 1

    def release_lease(self, generation_id: str, owner: str) -> None:
        logic.check_owner(owner)
        with self._writing(f"releasing the lease on generation {generation_id}") as db:
            db.execute(
                "UPDATE generations SET lease_owner = NULL, lease_expires_at = NULL "
                "WHERE id = ? AND lease_owner = ?",
                [generation_id, owner],
            )

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
        values = [self._encode(n, v, generation_id) for n, v in checked.items()]
        sql = (
            "UPDATE generations SET output_state = ?, output_copy = ?, "
            "version = version + 1, updated_at = ? "
            "WHERE id = ? AND status = 'completed'"
        )
        where: list[Any] = [generation_id]
        if expected_version is not None:
            sql += " AND version = ?"
            where.append(expected_version)
        with self._writing(f"recording the output copy of {generation_id}") as db:
            updated = db.execute(sql, [*values, model.now_iso(), *where]).rowcount
            row = db.execute(
                "SELECT * FROM generations WHERE id = ?", [generation_id]
            ).fetchone()
        if row is None:
            raise logic.missing(generation_id, str(self.path))
        if updated != 1:
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
        with self._writing("claiming output copies") as db:
            stale_before = logic.stamp_before(stale_after_s)
            ids = [
                row["id"]
                for row in db.execute(
                    "SELECT id FROM generations WHERE status = 'completed' AND "
                    f"output_state IN {COPY_CLAIMABLE_SQL} AND "
                    "(output_state = 'pending' OR updated_at < ?) "
                    "ORDER BY updated_at, rowid LIMIT ?",
                    [stale_before, limit],
                )
            ]
            stamp = model.now_iso()
            db.executemany(
                "UPDATE generations SET output_state = 'copying', "
                "version = version + 1, updated_at = ? WHERE id = ?",
                [(stamp, generation_id) for generation_id in ids],
            )
            rows = [
                db.execute("SELECT * FROM generations WHERE id = ?", [gid]).fetchone()
                for gid in ids
            ]
        return [self._decode(row) for row in rows]

    def close(self) -> None:
        """Close this thread's connection (the next call opens a new one)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            self._local.db = None
            with suppress(sqlite3.Error):
                db.close()

    # --- Opening and migrating -------------------------------------------------

    def _open(self) -> None:
        doing = "opening the generation store"
        try:
            if self.path.is_dir():
                raise StoreError(
                    f"{doing} failed: {self.path} is a folder, not a database "
                    f"file: set {DB_ENV} to a file path such as "
                    f"{self.path / 'generations.sqlite3'}"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{doing} failed: cannot create the folder {self.path.parent} "
                f"for {self.path} ({exc.strerror or exc}): set {DB_ENV} to a "
                "file path in a folder you can write to"
            ) from None
        try:
            with self._reading(doing) as db:
                found = db.execute("PRAGMA user_version").fetchone()[0]
            if found != SCHEMA_VERSION:
                with self._writing(f"migrating to schema {SCHEMA_VERSION}") as db:
                    migrate(db, self.path)
        except BaseException:
            self.close()
            raise

    # --- Connections, transactions and errors ----------------------------------

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None
            )
            try:
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                db.close()
                raise
            self._local.db = db
        return db

    @contextmanager
    def _reading(self, doing: str) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise failure(exc, doing, self.path, self._busy_timeout_s) from None

    @contextmanager
    def _writing(self, doing: str) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error."""
        try:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    with suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise failure(exc, doing, self.path, self._busy_timeout_s) from None

    # --- Encoding --------------------------------------------------------------

    @staticmethod
    def _encode(name: str, value: Any, generation_id: str) -> Any:
        if name == "outputs":
            return logic.encode_json(value or [], name, generation_id)
        if name in model.JSON_FIELDS:
            return (
                None if value is None else logic.encode_json(value, name, generation_id)
            )
        if isinstance(value, StrEnum):
            return value.value
        return value

    def _decode(self, row: sqlite3.Row) -> Generation:
        data = dict(zip(row.keys(), row, strict=True))
        for name in model.JSON_FIELDS:
            if data[name] is not None:
                try:
                    data[name] = logic.decode_json(data[name])
                except ValueError:
                    raise StoreError(
                        f"generation {data['id']} in {self.path} holds unreadable "
                        f"JSON in {name} (the file was changed outside modelvault): "
                        f"restore the file from a backup, or set {DB_ENV} to "
                        "another file"
                    ) from None
        return model.to_generation(data)


def _marks(values: Collection[Any]) -> str:
    return ", ".join("?" for _ in values)

"""PostgresStore on a real, throwaway PostgreSQL (tests/pg_support.py): the
schema created and migrated by the store (from an empty database and from
version 1), every fault a clear StoreError or a retry: a DSN that does not
connect, wrong credentials, no rights to create the schema, a newer schema, a
connection dropped mid-operation, the server restarting under a running store.
The contract itself runs in test_store_contract.py / test_store_leases.py."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from pg_support import cluster, fresh_schema
from store_contract import PYTHON, child_env, get, record

from modelvault.store import SCHEMA_VERSION, StoreError, StoreSchemaError
from modelvault.testing._postgres import PostgresCluster

if TYPE_CHECKING:
    from modelvault._store_pg import PostgresStore


@pytest.fixture
def pg() -> PostgresCluster:
    return cluster()


def _store(
    pg: PostgresCluster, schema: str | None = None, reconnect_s: float = 30.0
) -> PostgresStore:
    from modelvault._store_pg import PostgresStore

    return PostgresStore(
        pg.dsn(), schema=schema or fresh_schema(), reconnect_s=reconnect_s
    )


@pytest.fixture
def store(pg: PostgresCluster) -> Iterator[PostgresStore]:
    made = _store(pg)
    yield made
    made.close()


def test_an_empty_database_gets_the_current_schema(pg: PostgresCluster) -> None:
    schema = fresh_schema()
    made = _store(pg, schema)
    made.close()
    assert pg.psql(f"SELECT version FROM {schema}.schema_version") == str(
        SCHEMA_VERSION
    )
    columns = pg.psql(
        "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
        f"information_schema.columns WHERE table_schema = '{schema}' "
        "AND table_name = 'generations'"
    ).split(",")
    assert {"version", "lease_owner", "lease_expires_at", "seq"} <= set(columns)
    again = _store(pg, schema)  # reopening changes nothing
    again.close()


def test_a_version_1_schema_is_migrated_with_its_rows(pg: PostgresCluster) -> None:
    from modelvault._store_pg_db import migrations

    schema = fresh_schema()
    for statement in migrations(schema)[0]:
        pg.psql(statement)
    pg.psql(f"UPDATE {schema}.schema_version SET version = 1")
    pg.psql(f"GRANT ALL ON SCHEMA {schema} TO modelvault")
    pg.psql(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO modelvault")
    pg.psql(f"ALTER TABLE {schema}.generations OWNER TO modelvault")
    pg.psql(
        f"INSERT INTO {schema}.generations (id, model_id, model_record_id, inputs, "
        "cost, status, provider_task_id, outputs, created_at, updated_at) VALUES "
        "('old', 'acme/flux', 'rec-1', '{\"prompt\": \"fox\"}', '0.003', "
        "'processing', 'task-1', '[]', '2026-01-01T00:00:00.000001Z', "
        "'2026-01-01T00:00:01.000000Z')"
    )

    made = _store(pg, schema)
    try:
        old = get(made, "old")
        assert (old.version, old.lease_owner, old.provider_task_id) == (
            1,
            None,
            "task-1",
        )
        assert old.inputs == {"prompt": "fox"}
        claimed = made.claim_unfinished("w", 30, limit=5)
        assert [g.id for g in claimed] == ["old"]
        made.update_generation("old", {"status": "completed"})
        assert get(made, "old").version == 2
    finally:
        made.close()
    assert pg.psql(f"SELECT version FROM {schema}.schema_version") == "3"


def test_a_newer_schema_is_refused_untouched(pg: PostgresCluster) -> None:
    schema = fresh_schema()
    _store(pg, schema).close()
    pg.psql(f"UPDATE {schema}.schema_version SET version = 99")
    with pytest.raises(StoreSchemaError, match=r"version 99.*upgrade modelvault"):
        _store(pg, schema)
    assert pg.psql(f"SELECT version FROM {schema}.schema_version") == "99"


def test_a_foreign_generations_table_is_refused(pg: PostgresCluster) -> None:
    schema = fresh_schema()
    pg.psql(f"CREATE SCHEMA {schema} AUTHORIZATION modelvault")
    pg.psql(f"CREATE TABLE {schema}.generations (x int)")
    with pytest.raises(StoreSchemaError, match="not made by modelvault"):
        _store(pg, schema)


def test_two_processes_opening_a_new_schema_migrate_it_once(
    pg: PostgresCluster,
) -> None:
    schema = fresh_schema()
    child = (
        "import sys; from modelvault._store_pg import PostgresStore; "
        "PostgresStore(sys.argv[1], schema=sys.argv[2]).close(); print('ok')"
    )
    procs = [
        subprocess.Popen(
            [PYTHON, "-c", child, pg.dsn(), schema],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert pg.psql(f"SELECT count(*) FROM {schema}.schema_version") == "1"


# --- Faults: each a StoreError saying what to do, never a password ----------------


def test_a_dsn_that_does_not_connect(pg: PostgresCluster) -> None:
    from modelvault._store_pg import PostgresStore
    from modelvault.testing._postgres import free_port

    dsn = f"postgresql://modelvault:hunter2-secret@127.0.0.1:{free_port()}/modelvault"
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        PostgresStore(dsn)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "did not answer" in message and "is running" in message
    assert "hunter2-secret" not in message and "modelvault:***@" in message


def test_wrong_credentials(pg: PostgresCluster) -> None:
    from modelvault._store_pg import PostgresStore

    with pytest.raises(StoreError, match="refused the credentials") as caught:
        PostgresStore(pg.dsn(password="not-the-Password-42"))
    assert "not-the-Password-42" not in str(caught.value)


def test_a_missing_database(pg: PostgresCluster) -> None:
    from modelvault._store_pg import PostgresStore

    with pytest.raises(StoreError, match=r"does not exist.*createdb"):
        PostgresStore(pg.dsn(dbname="no_such_db"))


def test_a_malformed_url() -> None:
    from modelvault._store_pg import PostgresStore

    with pytest.raises(StoreError, match="failed"):
        PostgresStore("postgresql://u@127.0.0.1:notaport/db")


def test_no_rights_to_create_the_schema(pg: PostgresCluster) -> None:
    from modelvault._store_pg import PostgresStore

    pg.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mv_app') "
        "THEN CREATE ROLE mv_app LOGIN PASSWORD 'app-pw'; END IF; END $$"
    )
    dsn = pg.dsn(user="mv_app", password="app-pw")
    schema = fresh_schema()
    with pytest.raises(StoreError, match=r"may not do this.*GRANT"):
        PostgresStore(dsn, schema=schema)
    # Once the owner has created it, the app user needs table rights, and is told so.
    _store(pg, schema).close()
    with pytest.raises(StoreError, match="may not do this"):
        PostgresStore(dsn, schema=schema)
    pg.psql(f"GRANT USAGE ON SCHEMA {schema} TO mv_app")
    pg.psql(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO mv_app")
    app = PostgresStore(dsn, schema=schema)
    try:
        app.create_generation(record())
        assert app.claim_generation("gen-1", "w", 30) is not None
    finally:
        app.close()


def test_a_connection_dropped_mid_use_is_retried(
    pg: PostgresCluster, store: PostgresStore
) -> None:
    store.create_generation(record(status="processing"))
    pg.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'modelvault' AND pid <> pg_backend_pid()"
    )
    store.update_generation("gen-1", {"provider_task_id": "t-1"})
    assert get(store, "gen-1").provider_task_id == "t-1"
    assert store.renew_lease("gen-1", "nobody", 30) is False


def test_a_server_restart_under_running_writers_loses_nothing(
    pg: PostgresCluster, store: PostgresStore
) -> None:
    ids = [f"g{n:03d}" for n in range(40)]
    errors: list[BaseException] = []

    def writer(part: list[str]) -> None:
        try:
            for gid in part:
                store.create_generation(record(gid, status="processing"))
                time.sleep(0.01)
                store.update_generation(gid, {"status": "completed"})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(ids[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    pg.restart()
    for thread in threads:
        thread.join(60)
    assert errors == []
    finished = [get(store, gid) for gid in ids]
    assert all(g.status.value == "completed" and g.version == 2 for g in finished)


def test_a_server_that_stays_down_is_a_store_error_then_recovers(
    pg: PostgresCluster,
) -> None:
    made = _store(pg, reconnect_s=1.0)
    try:
        made.create_generation(record())
        pg.stop()
        with pytest.raises(StoreError, match="did not answer for 1 s"):
            made.get_generation("gen-1")
        pg.start()
        deadline = time.monotonic() + 20  # the pool reconnects with a backoff
        while True:
            try:
                assert get(made, "gen-1").id == "gen-1"
                break
            except StoreError:
                assert time.monotonic() < deadline, "the store never recovered"
    finally:
        if not pg.running:
            pg.start()
        made.close()


def test_a_commit_whose_answer_was_lost_is_not_applied_twice() -> None:
    from modelvault._store_pg import _satisfies

    row = {"status": "completed", "outputs": '["a"]', "version": 3}
    assert _satisfies(row, {"status": "completed", "outputs": '["a"]'}, None)
    assert _satisfies(row, {"status": "completed"}, 2)
    assert not _satisfies(row, {"status": "completed"}, 1)
    assert not _satisfies(row, {"status": "failed"}, None)


# --- Selecting it ---------------------------------------------------------------


def test_importing_modelvault_does_not_import_psycopg() -> None:
    code = (
        "import sys, modelvault, modelvault.store; modelvault.run; modelvault.stats; "
        "modelvault.Worker; modelvault.open_store; "
        "print('psycopg' in sys.modules, 'psycopg_pool' in sys.modules)"
    )
    done = subprocess.run(
        [PYTHON, "-c", code],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]


def test_modelvault_db_with_a_postgresql_url_selects_it(
    pg: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelvault._store_open import StoreLocation, open_store
    from modelvault._store_pg import PostgresStore

    monkeypatch.setenv("MODELVAULT_DB", pg.dsn())
    made = open_store(None)
    assert isinstance(made, PostgresStore)
    try:
        assert "***" in repr(made) and "modelvault-test-password" not in repr(made)
    finally:
        made.close()
    location = StoreLocation(pg.dsn())
    assert "modelvault-test-password" not in str(location)
    assert isinstance(open_store(location), PostgresStore)


def test_a_value_postgresql_cannot_store_is_a_store_error(
    store: PostgresStore,
) -> None:
    with pytest.raises(StoreError, match="no NUL characters"):
        store.create_generation(record("nul\x00id"))
    store.create_generation(record())
    with pytest.raises(StoreError, match="no NUL characters"):
        store.update_generation("gen-1", {"provider_task_id": "t\x00"})
    assert get(store).version == 1


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/app", "postgresql://app:***@db:5432/app"),
        (
            "postgresql://app@db/app?password=s3cret",
            "postgresql://app@db/app?password=***",
        ),
        (
            "host=db user=app password=s3cret dbname=app",
            "host=db user=app password=*** dbname=app",
        ),
        ("postgresql:///app?host=/tmp/sock", "postgresql:///app?host=/tmp/sock"),
    ],
)
def test_a_dsn_is_printed_without_its_password(dsn: str, shown: str) -> None:
    from modelvault._store_open import redact_dsn

    assert redact_dsn(dsn) == shown

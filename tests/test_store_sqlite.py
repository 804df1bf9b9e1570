"""SQLiteStore's own promises: a versioned schema migrated by code (from an empty
file and from a real version-1 file), and a StoreError naming the file and the
next step for every way the file can be unusable (garbage, read-only, disk
full, /proc, a folder, locked) in every method. Real files, real faults."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_contract import PYTHON, child_env, record

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


def _raw(path: Path, sql: str) -> list[Any]:
    db = sqlite3.connect(path, isolation_level=None)  # autocommit
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _columns(path: Path) -> list[str]:
    return [row[1] for row in _raw(path, "PRAGMA table_info(generations)")]


# --- Schema and migrations ----------------------------------------------------------


def test_a_new_file_gets_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    SQLiteStore(path).close()

    assert _raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(2,)]
    assert {"version", "lease_owner", "lease_expires_at"} <= set(_columns(path))
    indexes = {name for (name,) in _raw(path, "SELECT name FROM sqlite_master")}
    assert {"generations_unfinished", "generations_model_unfinished"} <= indexes


@pytest.mark.parametrize("user_version", [0, 1])
def test_a_version_1_file_is_migrated_in_place(
    tmp_path: Path, user_version: int
) -> None:
    path = tmp_path / "generations.sqlite3"
    _v1_file(path, user_version)
    assert "version" not in _columns(path)

    store = SQLiteStore(path)

    assert _raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
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
    assert _raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _raw(path, "SELECT COUNT(*) FROM generations") == [(2,)]


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    """The last step of the 1 -> 2 migration cannot run (a table holds the new
    index's name): the steps before it are rolled back with it."""
    path = tmp_path / "generations.sqlite3"
    _v1_file(path)
    _raw(path, "CREATE TABLE generations_model_unfinished (x)")

    with pytest.raises(StoreError) as caught:
        SQLiteStore(path)

    assert str(path) in str(caught.value)
    assert "MODELVAULT_DB" in str(caught.value)
    assert _raw(path, "PRAGMA user_version") == [(0,)]
    assert "version" not in _columns(path)
    assert "lease_owner" not in _columns(path)
    assert _raw(path, "SELECT COUNT(*) FROM generations") == [(2,)]


@pytest.mark.parametrize("future", [SCHEMA_VERSION + 1, 99])
def test_a_newer_schema_is_refused_untouched(tmp_path: Path, future: int) -> None:
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path)
    store.create_generation(record())
    store.close()
    _raw(path, f"PRAGMA user_version = {future}")
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
    assert _raw(path, "PRAGMA user_version") == [(future,)]
    assert path.read_bytes() == before


def test_an_unknown_schema_is_refused(tmp_path: Path) -> None:
    negative = tmp_path / "negative.sqlite3"
    SQLiteStore(negative).close()
    _raw(negative, "PRAGMA user_version = -1")
    with pytest.raises(StoreSchemaError, match="version -1"):
        SQLiteStore(negative)

    odd = tmp_path / "odd.sqlite3"
    _raw(odd, "CREATE TABLE generations (id TEXT PRIMARY KEY, blob BLOB)")
    with pytest.raises(StoreSchemaError, match="unknown layout"):
        SQLiteStore(odd)
    assert _columns(odd) == ["id", "blob"]


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    _raw(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")

    with pytest.raises(StoreSchemaError) as caught:
        SQLiteStore(path)

    assert "users" in str(caught.value)
    assert "MODELVAULT_DB" in str(caught.value)
    tables = _raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert tables == [("users",)]


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    path.write_bytes(b"")
    store = SQLiteStore(path)
    store.create_generation(record())
    assert store.get_generation("gen-1") is not None
    store.close()


# --- Unusable files: every method gives a StoreError --------------------------------

_GARBAGE = {
    "text": b"this is not a database\n",
    "binary": bytes(range(256)) * 16,
    "fake-header": b"SQLite format 3\x00" + b"\xff" * 200,
}

_METHODS: dict[str, Callable[[SQLiteStore], object]] = {
    "create": lambda s: s.create_generation(record("new")),
    "update": lambda s: s.update_generation("gen-1", {"status": "processing"}),
    "get": lambda s: s.get_generation("gen-1"),
    "unfinished": lambda s: s.unfinished_generations(),
    "all": lambda s: s.all_generations(),
    "claim": lambda s: s.claim_generation("gen-1", "me", 60),
    "claim_unfinished": lambda s: s.claim_unfinished("me", 60, limit=5),
    "renew": lambda s: s.renew_lease("gen-1", "me", 60),
    "release": lambda s: s.release_lease("gen-1", "me"),
}


def _assert_clean(
    error: StoreError, path: Path | str, *words: str, other_file: bool = True
) -> None:
    message = str(error)
    assert str(path) in message, message
    assert ("MODELVAULT_DB" in message) == other_file, message
    for word in words:
        assert word in message, message
    # One line for the CLI: no sqlite3 exception chained to it.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert not isinstance(error, sqlite3.Error)


@pytest.mark.parametrize("garbage", sorted(_GARBAGE))
def test_a_file_that_is_not_a_database(tmp_path: Path, garbage: str) -> None:
    path = tmp_path / "generations.sqlite3"
    path.write_bytes(_GARBAGE[garbage])

    with pytest.raises(StoreError) as caught:
        SQLiteStore(path)

    _assert_clean(caught.value, path, "not a usable SQLite database", "move it aside")
    assert path.read_bytes() == _GARBAGE[garbage]


@pytest.mark.parametrize("method", sorted(_METHODS))
def test_every_method_on_a_file_gone_bad(tmp_path: Path, method: str) -> None:
    """The file is replaced by garbage while the store is in use (closed
    connection: the next call reconnects and meets the garbage)."""
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path)
    store.create_generation(record())
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(_GARBAGE["binary"])

    with pytest.raises(StoreError) as caught:
        _METHODS[method](store)

    _assert_clean(caught.value, path, "not a usable SQLite database")


def test_a_folder_given_as_the_path(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        SQLiteStore(tmp_path)
    _assert_clean(caught.value, tmp_path, "is a folder", "generations.sqlite3")


@pytest.mark.parametrize(
    "path", ["/proc/nope/x.sqlite3", "/proc/self/x.sqlite3", "/proc/version"]
)
def test_paths_inside_proc(path: str) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    with pytest.raises(StoreError) as caught:
        SQLiteStore(path)
    assert str(caught.value).startswith("opening the generation store failed")
    _assert_clean(caught.value, Path(path).parent if "nope" in path else path)


def test_a_locked_database(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path, busy_timeout_s=0.05)
    store.create_generation(record())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            store.update_generation("gen-1", {"status": "processing"})
        _assert_clean(
            caught.value, path, "locked by another process", "retry", other_file=False
        )
        assert store.get_generation("gen-1") is not None  # WAL: reads go on
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store.update_generation("gen-1", {"status": "processing"})
    store.close()


def test_a_record_with_broken_json(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path)
    store.create_generation(record())
    _raw(path, "UPDATE generations SET provider_response = '{broken'")

    for call in (
        lambda: store.get_generation("gen-1"),
        store.unfinished_generations,
        lambda: store.claim_generation("gen-1", "me", 60),
    ):
        with pytest.raises(StoreError) as caught:
            call()
        _assert_clean(caught.value, path, "gen-1", "provider_response")
    store.close()


# --- Read-only and full disks (real permissions, a real full filesystem) ------------

_PROBE = textwrap.dedent(
    """
    import json, os, sys
    from modelvault.store import SQLiteStore, StoreError

    path, fill = sys.argv[1], sys.argv[2] == "fill"
    def rec(gid, **extra):
        return {"id": gid, "model_id": "acme/m", "model_record_id": "r",
                "inputs": {"prompt": "fox"}, "cost": "0.01", **extra}
    if fill:  # make the records, then fill the disk to the last byte
        first = SQLiteStore(path)
        first.create_generation(rec("gen-1"))
        first.create_generation(rec("held"))
        first.claim_generation("held", "me", 600)
        with open(os.path.join(os.path.dirname(path), "filler"), "wb", 0) as f:
            for size in (65536, 4096, 1):
                try:
                    while True:
                        f.write(b"\\0" * size)
                except OSError:
                    pass
    results = {}
    def attempt(name, call):
        try:
            call()
            results[name] = ["ok", ""]
        except StoreError as exc:
            results[name] = ["StoreError", str(exc)]
        except BaseException as exc:
            results[name] = [type(exc).__name__, str(exc)]
    stores = []
    attempt("open", lambda: stores.append(SQLiteStore(path, busy_timeout_s=1)))
    if stores:
        s = stores[0]
        attempt("get", lambda: s.get_generation("gen-1"))
        attempt("unfinished", s.unfinished_generations)
        big = rec("new", inputs={"p": "x" * 100000})
        attempt("create", lambda: s.create_generation(big))
        attempt("update", lambda: s.update_generation("gen-1", {"status": "failed"}))
        attempt("claim", lambda: s.claim_generation("gen-1", "me", 60))
        attempt("claim_unfinished", lambda: s.claim_unfinished("me", 60, limit=5))
        attempt("renew", lambda: s.renew_lease("held", "me", 60))
        attempt("release", lambda: s.release_lease("held", "me"))
    if fill:
        new = os.path.join(os.path.dirname(path), "new.sqlite3")
        attempt("open_new", lambda: SQLiteStore(new))
    print(json.dumps(results))
    """
)
_WRITES = ("create", "update", "claim", "claim_unfinished", "renew", "release")


def _probe(prefix: list[str], path: Path, mode: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [*prefix, PYTHON, "-c", _PROBE, str(path), mode],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, list[str]] = json.loads(done.stdout)
    others = {
        name: r for name, r in results.items() if r[0] not in ("ok", "StoreError")
    }
    assert others == {}, "raw errors escaped"
    return results


def _without_permission_override() -> list[str]:
    """A prefix that runs a command so that file modes bind it: as root, drop
    the capabilities that let root write to read-only files."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip(
            "running as root without setpriv (util-linux): chmod cannot make "
            "a file read-only for root"
        )
    return [
        "setpriv",
        "--inh-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        "--",
    ]


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_file_or_folder(tmp_path: Path, what: str) -> None:
    prefix = _without_permission_override()
    folder = tmp_path / "store"
    path = folder / "generations.sqlite3"
    store = SQLiteStore(path)
    store.create_generation(record())
    store.create_generation(record("held"))
    assert store.claim_generation("held", "me", 600) is not None
    store.close()
    reader = SQLiteStore(path)
    before = reader.all_generations()
    reader.close()  # the last connection: SQLite removes its -wal and -shm files
    target = path if what == "file" else folder
    mode = stat.S_IMODE(target.stat().st_mode)
    target.chmod(0o444 if what == "file" else 0o555)
    try:
        results = _probe(prefix, path, "probe")
    finally:
        target.chmod(mode)

    if what == "file":  # readable: reads work, every write is refused
        assert results["open"][0] == results["get"][0] == "ok"
        assert results["unfinished"][0] == "ok"
        failed = {name: results[name] for name in _WRITES}
    else:  # SQLite cannot even make its -shm file: opening fails
        failed = {"open": results["open"]}
    for name, (kind, message) in failed.items():
        assert kind == "StoreError", name
        assert "read-only" in message and str(path) in message, message
        assert "writable" in message and "MODELVAULT_DB" in message, message
    reader = SQLiteStore(path)
    assert reader.all_generations() == before
    reader.close()


def _tiny_disk(tmp_path: Path) -> list[str]:
    """A prefix that runs a command in a private mount namespace with a 256 KiB
    tmpfs mounted at tmp_path/disk (passed as $1), or skips."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = 'mount -t tmpfs -o size=256k tmpfs "$0" && exec "$@"'
    prefix = [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        script,
        str(disk),
    ]
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to mount a small tmpfs")
    tried = subprocess.run(
        [*prefix, "true"], capture_output=True, text=True, check=False
    )
    if tried.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs in a user namespace here: {tried.stderr.strip()}"
        )
    return prefix


def test_a_full_disk(tmp_path: Path) -> None:
    prefix = _tiny_disk(tmp_path)
    path = tmp_path / "disk" / "generations.sqlite3"

    results = _probe(prefix, path, "fill")

    assert results["open"][0] == results["get"][0] == "ok"
    assert results["unfinished"][0] == "ok"
    for name in (*_WRITES, "open_new"):
        kind, message = results[name]
        assert kind == "StoreError", name
        assert "disk holding" in message and "is full" in message, message
        assert "free some space" in message and "MODELVAULT_DB" in message, message
    assert str(path) in results["update"][1]

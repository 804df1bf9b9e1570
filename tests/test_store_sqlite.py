"""SQLiteStore on unusable files: a StoreError naming the file and the next
step for every way the file can be unusable (garbage, read-only, disk full,
/proc, a folder, locked, a broken row) in every method, never a raw sqlite3
error. Real files, real faults; the schema is in test_store_schema.py."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from store_contract import PYTHON, child_env, raw_sql, record

from modelvault.store import (
    SQLiteStore,
    StoreError,
)

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
    raw_sql(path, "UPDATE generations SET provider_response = '{broken'")

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

"""The generation store: MemoryStore and SQLiteStore behave alike, and SQLiteStore
stays correct under threads and processes sharing one file (real files in tmp_path;
nothing in modelvault is mocked)."""

from __future__ import annotations

import copy
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from modelvault.store import (
    DB_ENV,
    Generation,
    GenerationStatus,
    GenerationStore,
    MemoryStore,
    SQLiteStore,
    StoreError,
    default_db_path,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

Store = MemoryStore | SQLiteStore


def _record(generation_id: str = "gen-1", **overrides: Any) -> dict[str, Any]:
    """The fields a model file passes to create_generation, plus overrides."""
    record: dict[str, Any] = {
        "id": generation_id,
        "model_id": "acme/flux-schnell",
        "model_record_id": "rec-0001",
        "inputs": {"prompt": "a red fox", "steps": 4, "size": {"w": 512, "h": 512}},
        "cost": "0.0030",
    }
    record.update(overrides)
    return record


def _tick() -> None:
    """Let the microsecond clock move so timestamps strictly order."""
    time.sleep(0.002)


def _parse_stamp(stamp: str) -> datetime:
    assert stamp.endswith("Z"), stamp
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0)
    return parsed


def _run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run work(0..count-1) in threads started together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def body(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a store thread hung"
    return errors


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    sqlite_store = SQLiteStore(tmp_path / "generations.sqlite3")
    yield sqlite_store
    sqlite_store.close()


# --- Both stores -------------------------------------------------------------


def test_stores_satisfy_the_protocol(store: Store) -> None:
    assert isinstance(store, GenerationStore)


@pytest.mark.parametrize(
    "provider_request",
    [
        {"url": "https://api.example/v1/run", "body": {"prompt": "fox", "n": [1, 2]}},
        [{"taskType": "imageInference", "positivePrompt": "fox"}, {"n": 2}],
    ],
    ids=["dict", "list"],
)
def test_create_get_round_trips_every_field(
    store: Store, provider_request: Any
) -> None:
    record = _record(
        status=GenerationStatus.PROCESSING,
        provider_task_id="task-42",
        provider_request=provider_request,
        provider_response={"data": {"state": "running", "progress": 0.5}},
        outputs=["https://cdn.example/a.png", "https://cdn.example/b.png"],
        error={"code": 500, "message": "transient", "retry": True, "detail": None},
        inputs={"prompt": "ünïcode ✓", "seed": 7, "loras": [{"w": 0.5}], "x": None},
        cost="1.2500",
    )
    expected = copy.deepcopy(record)
    store.create_generation(record)

    got = store.get_generation("gen-1")
    assert isinstance(got, Generation)
    assert got.id == "gen-1"
    assert got.model_id == expected["model_id"]
    assert got.model_record_id == expected["model_record_id"]
    assert got.inputs == expected["inputs"]
    assert got.cost == "1.2500"
    assert isinstance(got.cost, str)
    assert got.status is GenerationStatus.PROCESSING
    assert got.provider_task_id == "task-42"
    assert got.provider_request == expected["provider_request"]
    assert got.provider_response == expected["provider_response"]
    assert got.outputs == expected["outputs"]
    assert got.error == expected["error"]
    assert not got.finished
    assert got.created_at == got.updated_at
    created = _parse_stamp(got.created_at)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)
    assert got.to_dict()["inputs"] == expected["inputs"]


def test_optional_fields_default_to_none(store: Store) -> None:
    store.create_generation(_record())

    got = store.get_generation("gen-1")
    assert got is not None
    assert got.status is GenerationStatus.PENDING
    assert got.provider_task_id is None
    assert got.provider_request is None
    assert got.provider_response is None
    assert got.outputs == []
    assert got.error is None
    assert not got.finished


def test_explicit_none_fields_round_trip(store: Store) -> None:
    store.create_generation(
        _record(provider_task_id=None, provider_request=None, error=None, outputs=None)
    )
    store.update_generation("gen-1", {"provider_response": None, "error": None})

    got = store.get_generation("gen-1")
    assert got is not None
    assert got.provider_task_id is None
    assert got.provider_request is None
    assert got.provider_response is None
    assert got.error is None
    assert got.outputs == []


def test_get_missing_returns_none(store: Store) -> None:
    assert store.get_generation("nope") is None


def test_update_moves_updated_at_only(store: Store) -> None:
    store.create_generation(_record())
    before = store.get_generation("gen-1")
    assert before is not None
    _tick()

    store.update_generation("gen-1", {"provider_task_id": "task-1"})

    after = store.get_generation("gen-1")
    assert after is not None
    assert after.created_at == before.created_at
    assert _parse_stamp(after.updated_at) > _parse_stamp(before.updated_at)
    assert after.provider_task_id == "task-1"
    assert after.inputs == before.inputs  # untouched fields kept
    assert after.cost == before.cost


def test_status_transitions(store: Store) -> None:
    for gid in ("ok", "bad", "stop"):
        store.create_generation(_record(gid))

    steps: list[tuple[str, dict[str, Any], GenerationStatus]] = [
        ("ok", {"status": GenerationStatus.PROCESSING}, GenerationStatus.PROCESSING),
        ("ok", {"status": "completed", "outputs": ["u"]}, GenerationStatus.COMPLETED),
        ("bad", {"status": "processing"}, GenerationStatus.PROCESSING),
        (
            "bad",
            {"status": GenerationStatus.FAILED, "error": {"message": "nsfw"}},
            GenerationStatus.FAILED,
        ),
        ("stop", {"status": "cancelled"}, GenerationStatus.CANCELLED),
    ]
    for gid, changes, status in steps:
        store.update_generation(gid, changes)
        got = store.get_generation(gid)
        assert got is not None
        assert got.status is status
        assert got.finished == (status not in ("pending", "processing"))

    ok, bad = store.get_generation("ok"), store.get_generation("bad")
    assert ok is not None
    assert bad is not None
    assert ok.outputs == ["u"]
    assert bad.error == {"message": "nsfw"}


def test_unknown_status_refused_on_update(store: Store) -> None:
    store.create_generation(_record())

    with pytest.raises(StoreError):
        store.update_generation("gen-1", {"status": "exploded"})

    got = store.get_generation("gen-1")
    assert got is not None
    assert got.status is GenerationStatus.PENDING


def test_unknown_status_refused_on_create(store: Store) -> None:
    with pytest.raises(StoreError):
        store.create_generation(_record(status="exploded"))

    assert store.get_generation("gen-1") is None


def test_missing_required_field_refused_on_create(store: Store) -> None:
    record = _record()
    del record["cost"]

    with pytest.raises(StoreError, match="cost"):
        store.create_generation(record)

    assert store.get_generation("gen-1") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"prompt": "sneaky"},
        {"status": "completed", "colour": "red"},
        {"id": "other"},
        {"model_id": "acme/other"},
        {"created_at": "2000-01-01T00:00:00.000000Z"},
    ],
    ids=["unknown", "unknown-with-valid", "id", "model_id", "created_at"],
)
def test_unknown_or_fixed_field_in_update_refused(
    store: Store, changes: dict[str, Any]
) -> None:
    store.create_generation(_record())
    before = store.get_generation("gen-1")

    with pytest.raises(StoreError):
        store.update_generation("gen-1", changes)

    assert store.get_generation("gen-1") == before
    assert store.get_generation("other") is None


@pytest.mark.parametrize("field", ["inputs", "cost"])
def test_required_field_cannot_be_nulled_by_update(store: Store, field: str) -> None:
    """A record always has inputs and a cost. SQLite's NOT NULL constraint rejects
    None, so the refusal must be a StoreError (not sqlite3.IntegrityError), and
    MemoryStore must refuse it too (not keep a record SQLite could never hold)."""
    store.create_generation(_record())
    before = store.get_generation("gen-1")

    with pytest.raises(StoreError):
        store.update_generation("gen-1", {field: None})

    assert store.get_generation("gen-1") == before


def test_duplicate_id_refused(store: Store) -> None:
    store.create_generation(_record(cost="1.00"))

    with pytest.raises(StoreError, match="gen-1"):
        store.create_generation(_record(cost="9.99", inputs={"other": True}))

    got = store.get_generation("gen-1")
    assert got is not None
    assert got.cost == "1.00"
    assert got.inputs == _record()["inputs"]
    assert len(store.all_generations()) == 1


def test_update_of_missing_id_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="ghost"):
        store.update_generation("ghost", {"status": "completed"})

    assert store.get_generation("ghost") is None


def test_unfinished_generations_pending_and_processing_oldest_first(
    store: Store,
) -> None:
    statuses = {
        "g0": "processing",
        "g1": "completed",
        "g2": "pending",
        "g3": "failed",
        "g4": "processing",
        "g5": "cancelled",
        "g6": "pending",
    }
    for gid in statuses:
        store.create_generation(_record(gid))
        _tick()
    # Update newest first: updated_at order is the reverse of created_at order.
    for gid in reversed(list(statuses)):
        if statuses[gid] != "pending":
            store.update_generation(gid, {"status": statuses[gid]})
        _tick()

    unfinished = store.unfinished_generations()

    assert [g.id for g in unfinished] == ["g0", "g2", "g4", "g6"]
    assert all(not g.finished for g in unfinished)
    assert [g.status for g in unfinished] == [
        GenerationStatus.PROCESSING,
        GenerationStatus.PENDING,
        GenerationStatus.PROCESSING,
        GenerationStatus.PENDING,
    ]


def test_unfinished_generations_empty(store: Store) -> None:
    assert store.unfinished_generations() == []
    store.create_generation(_record(status="completed"))
    assert store.unfinished_generations() == []


def test_create_does_not_alias_callers_objects(store: Store) -> None:
    record = _record(
        provider_request={"body": {"prompt": "fox"}},
        outputs=["a.png"],
        error={"detail": {"code": 1}},
    )
    snapshot = copy.deepcopy(record)
    store.create_generation(record)

    record["inputs"]["prompt"] = "changed"
    record["inputs"]["size"]["w"] = 1
    record["provider_request"]["body"]["prompt"] = "changed"
    record["outputs"].append("b.png")
    record["error"]["detail"]["code"] = 2
    record["cost"] = "999"

    got = store.get_generation("gen-1")
    assert got is not None
    assert got.inputs == snapshot["inputs"]
    assert got.provider_request == snapshot["provider_request"]
    assert got.outputs == ["a.png"]
    assert got.error == snapshot["error"]
    assert got.cost == snapshot["cost"]


def test_update_does_not_alias_callers_objects(store: Store) -> None:
    store.create_generation(_record())
    changes: dict[str, Any] = {
        "provider_response": {"data": {"urls": ["x"]}},
        "outputs": ["x"],
        "error": {"retry": [1]},
    }
    snapshot = copy.deepcopy(changes)
    store.update_generation("gen-1", changes)

    changes["provider_response"]["data"]["urls"].append("y")
    changes["outputs"].append("y")
    changes["error"]["retry"].append(2)

    got = store.get_generation("gen-1")
    assert got is not None
    assert got.provider_response == snapshot["provider_response"]
    assert got.outputs == ["x"]
    assert got.error == snapshot["error"]


def test_returned_records_do_not_alias_the_store(store: Store) -> None:
    """A Generation is frozen: mutating what get_generation returned must not
    rewrite the stored record (SQLite decodes fresh objects; so must memory)."""
    store.create_generation(
        _record(provider_response={"data": [1]}, error={"codes": [1]})
    )
    got = store.get_generation("gen-1")
    assert got is not None

    got.inputs["prompt"] = "changed"
    got.provider_response["data"].append(2)
    assert got.error is not None
    got.error["codes"].append(2)

    again = store.get_generation("gen-1")
    assert again is not None
    assert again.inputs == _record()["inputs"]
    assert again.provider_response == {"data": [1]}
    assert again.error == {"codes": [1]}


# --- SQLite specifics --------------------------------------------------------


def test_sqlite_creates_nested_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "generations.sqlite3"
    assert not path.parent.exists()

    store = SQLiteStore(path)
    store.create_generation(_record())
    store.close()

    assert path.is_file()
    reopened = SQLiteStore(path)
    got = reopened.get_generation("gen-1")
    reopened.close()
    assert got is not None
    assert got.inputs == _record()["inputs"]


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path)
    store.create_generation(_record())

    fresh = sqlite3.connect(path)
    try:
        (mode,) = fresh.execute("PRAGMA journal_mode").fetchone()
        (count,) = fresh.execute("SELECT COUNT(*) FROM generations").fetchone()
    finally:
        fresh.close()
        store.close()
    assert mode == "wal"
    assert count == 1


def test_sqlite_reopen_is_idempotent_and_keeps_records(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    first = SQLiteStore(path)
    first.create_generation(_record(status="processing"))
    first.close()

    second = SQLiteStore(path)
    second.update_generation("gen-1", {"status": "completed", "outputs": ["o"]})
    got = second.get_generation("gen-1")
    second.close()

    assert got is not None
    assert got.status is GenerationStatus.COMPLETED
    assert got.outputs == ["o"]


@pytest.mark.parametrize(
    "relative", ["generations.sqlite3", "sub/dir/generations.sqlite3"]
)
def test_sqlite_unwritable_path_names_the_env_var(
    tmp_path: Path, relative: str
) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder\n")

    with pytest.raises(StoreError) as caught:
        SQLiteStore(blocker / relative)

    message = str(caught.value)
    assert DB_ENV == "MODELVAULT_DB"
    assert "MODELVAULT_DB" in message
    assert str(blocker) in message
    assert blocker.read_text() == "not a folder\n"


def test_env_var_picks_the_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env" / "vault.sqlite3"
    monkeypatch.setenv("MODELVAULT_DB", str(path))

    assert default_db_path() == path
    store = SQLiteStore()
    store.create_generation(_record())
    store.close()

    assert store.path == path
    assert path.is_file()


def test_empty_env_var_falls_back_to_user_data_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import platformdirs

    expected = Path(platformdirs.user_data_dir("modelvault")) / "generations.sqlite3"
    monkeypatch.delenv("MODELVAULT_DB", raising=False)
    assert default_db_path() == expected
    monkeypatch.setenv("MODELVAULT_DB", "")
    assert default_db_path() == expected


# --- Concurrency -------------------------------------------------------------

THREADS = 16
PER_THREAD = 50


def test_sqlite_many_threads_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    store = SQLiteStore(path)

    def work(worker: int) -> None:
        for n in range(PER_THREAD):
            gid = f"t{worker:02d}-{n:03d}"
            store.create_generation(_record(gid, inputs={"worker": worker, "n": n}))
            store.update_generation(
                gid, {"status": "processing", "provider_task_id": f"task-{gid}"}
            )
            store.update_generation(gid, {"provider_response": {"state": "done"}})
            store.update_generation(
                gid, {"status": GenerationStatus.COMPLETED, "outputs": [f"{gid}.png"]}
            )

    errors = _run_threads(THREADS, work)
    assert errors == []

    records = store.all_generations()
    expected = {f"t{w:02d}-{n:03d}" for w in range(THREADS) for n in range(PER_THREAD)}
    assert len(records) == THREADS * PER_THREAD == 800
    assert {g.id for g in records} == expected
    for g in records:
        assert g.status is GenerationStatus.COMPLETED, g.id
        assert g.provider_task_id == f"task-{g.id}"
        assert g.provider_response == {"state": "done"}
        assert g.outputs == [f"{g.id}.png"]
    assert store.unfinished_generations() == []
    store.close()

    fresh = sqlite3.connect(path)
    try:
        total, distinct = fresh.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM generations"
        ).fetchone()
    finally:
        fresh.close()
    assert (total, distinct) == (800, 800)


_WRITER = textwrap.dedent(
    """
    import sys
    from modelvault.store import SQLiteStore

    path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = SQLiteStore(path)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    for n in range(count):
        gid = f"{tag}-{n:03d}"
        store.create_generation({
            "id": gid, "model_id": "acme/m", "model_record_id": "rec",
            "inputs": {"proc": tag, "n": n}, "cost": "0.01",
        })
        store.update_generation(gid, {"status": "processing"})
        store.update_generation(
            gid, {"status": "completed", "outputs": [gid + ".png"]}
        )
    store.close()
    print("done", flush=True)
    """
)


def test_sqlite_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "generations.sqlite3"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    tags = [f"p{i}" for i in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), tag, "100"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=env,
        )
        for tag in tags
    ]
    try:
        for proc in procs:  # every writer has opened the store...
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line == "ready\n", proc.communicate(timeout=30)[1]
        for proc in procs:  # ...then all are released at once
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out == "done\n"

    store = SQLiteStore(path)
    records = store.all_generations()
    store.close()
    expected = {f"{tag}-{n:03d}" for tag in tags for n in range(100)}
    assert len(records) == 400
    assert {g.id for g in records} == expected
    for g in records:
        assert g.status is GenerationStatus.COMPLETED, g.id
        assert g.outputs == [f"{g.id}.png"]
        assert g.inputs == {"proc": g.id[:2], "n": int(g.id[3:])}


def _payload(writer: int, round_: int) -> dict[str, Any]:
    return {
        "provider_response": {
            "writer": writer,
            "round": round_,
            "items": [{"writer": writer, "i": i, "text": "x" * 40} for i in range(150)],
        },
        "outputs": [f"w{writer}-r{round_}-{i}.png" for i in range(5)],
        "error": {"writer": writer, "nested": {"round": round_}},
    }


def _assert_consistent(got: Generation | None) -> None:
    """Every JSON field decoded, and all of them come from the same single write."""
    assert got is not None
    response = got.provider_response
    if response is None:  # not yet written by any writer
        assert got.outputs == []
        assert got.error is None
        return
    writer, round_ = response["writer"], response["round"]
    assert response == _payload(writer, round_)["provider_response"]
    assert got.outputs == _payload(writer, round_)["outputs"]
    assert got.error == _payload(writer, round_)["error"]


def test_concurrent_updates_to_one_record_never_corrupt_json(store: Store) -> None:
    store.create_generation(_record("hot"))
    writers, rounds, readers = 6, 30, 2
    stop = threading.Event()
    lock = threading.Lock()
    writing = [writers]
    reads = [0] * readers

    def work(index: int) -> None:
        if index >= writers:  # reader: keep decoding until every writer is done
            while True:
                _assert_consistent(store.get_generation("hot"))
                reads[index - writers] += 1
                if stop.is_set():
                    return
        try:
            for round_ in range(rounds):
                store.update_generation("hot", _payload(index, round_))
        finally:
            with lock:
                writing[0] -= 1
                if writing[0] == 0:
                    stop.set()

    errors = _run_threads(writers + readers, work)

    assert errors == []
    assert all(count > 1 for count in reads)
    final = store.get_generation("hot")
    _assert_consistent(final)
    assert final is not None
    assert final.provider_response is not None
    assert final.provider_response["round"] == rounds - 1

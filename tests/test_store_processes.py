"""Two real processes on one SQLite file: batch claims never hand one record to
both, and of two racing terminal writes exactly one wins while the other gets a
GenerationConflictError and changes nothing."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from store_contract import PYTHON, REPO_ROOT, child_env, record

from modelvault.store import GenerationStatus, SQLiteStore

RECORDS = 200

_CHILD = textwrap.dedent(
    """
    import json, random, sys, time
    from modelvault.store import GenerationConflictError, SQLiteStore

    path, mode, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    store = SQLiteStore(path)
    ids = [g.id for g in store.unfinished_generations()]  # before the race starts
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    result = {"claimed": [], "won": [], "lost": {}}
    if mode == "claim":
        while batch := store.claim_unfinished(tag, 600, limit=2):
            result["claimed"] += [g.id for g in batch]
            time.sleep(0.001)  # let the other process in
    else:
        random.Random(tag).shuffle(ids)  # the two meet at random records
        for gid in ids:
            if tag == "completer":
                changes = {"status": "completed", "outputs": [gid + ".png"]}
                expected = store.get_generation(gid).version  # a reader's CAS
            else:
                changes = {"status": "failed", "error": {"message": "six 503s"}}
                expected = None  # a blind writer: the terminal rule stops it
            try:
                store.update_generation(gid, changes, expected_version=expected)
            except GenerationConflictError as exc:
                result["lost"][gid] = [exc.current_status.value, exc.current_version]
            else:
                result["won"].append(gid)
            time.sleep(0.0005)  # SQLite's busy wait is not fair: let the other in
    store.close()
    print(json.dumps(result), flush=True)
    """
)


def _race(path: Path, mode: str, tags: list[str]) -> dict[str, dict[str, Any]]:
    procs = [
        subprocess.Popen(
            [PYTHON, "-c", _CHILD, str(path), mode, tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=child_env(),
        )
        for tag in tags
    ]
    try:
        for proc in procs:  # every child has opened the store...
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n", proc.communicate(timeout=30)
        for proc in procs:  # ...then all are released at once
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    results = {}
    for tag, proc, (out, err) in zip(tags, procs, outputs, strict=True):
        assert proc.returncode == 0, err
        results[tag] = json.loads(out)
    return results


def _seed(path: Path, status: str) -> list[str]:
    store = SQLiteStore(path)
    ids = [f"g{n:03d}" for n in range(RECORDS)]
    for gid in ids:
        store.create_generation(record(gid, status=status, provider_task_id=f"t-{gid}"))
    store.close()
    return ids


def test_two_processes_claim_every_record_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    ids = _seed(path, "pending")

    results = _race(path, "claim", ["alpha", "beta"])

    alpha, beta = results["alpha"]["claimed"], results["beta"]["claimed"]
    assert sorted(alpha + beta) == ids  # all 200, none twice
    assert alpha and beta, (len(alpha), len(beta))  # both really took part
    store = SQLiteStore(path)
    owners = {g.id: g.lease_owner for g in store.all_generations()}
    store.close()
    assert all(owners[gid] == "alpha" for gid in alpha)
    assert all(owners[gid] == "beta" for gid in beta)


def test_racing_terminal_writes_have_exactly_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "generations.sqlite3"
    ids = _seed(path, "processing")

    results = _race(path, "finish", ["completer", "failer"])

    completer, failer = results["completer"], results["failer"]
    assert sorted(completer["won"] + failer["won"]) == ids  # one winner each
    assert sorted(completer["lost"]) == sorted(failer["won"])  # the other lost...
    assert sorted(failer["lost"]) == sorted(completer["won"])
    assert completer["won"] and failer["won"], "the two never raced"
    for gid, (status, version) in completer["lost"].items():  # ...to a final record
        assert (status, version) == ("failed", 2), gid
    for gid, (status, version) in failer["lost"].items():
        assert (status, version) == ("completed", 2), gid

    store = SQLiteStore(path)
    final = {g.id: g for g in store.all_generations()}
    store.close()
    for gid in completer["won"]:  # the stored record is the winner's, whole
        got = final[gid]
        assert got.status is GenerationStatus.COMPLETED
        assert (got.outputs, got.error, got.version) == ([f"{gid}.png"], None, 2)
    for gid in failer["won"]:
        got = final[gid]
        assert got.status is GenerationStatus.FAILED
        assert (got.outputs, got.error) == ([], {"message": "six 503s"})
        assert got.version == 2
    assert all(g.provider_task_id == f"t-{g.id}" for g in final.values())

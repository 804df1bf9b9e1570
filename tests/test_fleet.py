"""A fleet on one real PostgreSQL: 4 `modelvault worker` processes poll
generations submitted with `run(..., wait=False)` against the provider fakes;
one worker is SIGKILLed mid-run and PostgreSQL is restarted once. Every
generation is completed exactly once (a trigger in the database counts the
terminal transitions), with exactly one submit each, and no lease is held at
the end; the survivors drain on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pg_support import cluster
from store_contract import PYTHON, child_env

import modelvault
from modelvault.testing import FakeProviders
from modelvault.testing._postgres import PostgresCluster

MODELS = ("seedance-v1-lite", "flux-schnell-replicate", "flux-1-schnell-fal")
PER_MODEL = 24
LEASE_TTL_S = 2.0

_AUDIT = """
CREATE TABLE modelvault.finishes (id text, old text, new text);
CREATE FUNCTION modelvault.audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- a move into a terminal status (the output copy later updates the row too)
  IF NEW.status IN ('completed', 'failed', 'cancelled')
     AND OLD.status NOT IN ('completed', 'failed', 'cancelled') THEN
    INSERT INTO modelvault.finishes VALUES (NEW.id, OLD.status, NEW.status);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER UPDATE ON modelvault.generations
  FOR EACH ROW EXECUTE FUNCTION modelvault.audit();
ALTER TABLE modelvault.finishes OWNER TO modelvault;
"""


def _fresh_database(pg: PostgresCluster) -> str:
    name = f"fleet_{uuid.uuid4().hex[:10]}"
    pg.psql(f"CREATE DATABASE {name} OWNER modelvault", "postgres")
    return name


def _worker(dsn: str, fakes: FakeProviders, log: Path) -> subprocess.Popen[str]:
    urls = [f"--base-url={family}={url}" for family, url in fakes.base_urls().items()]
    env = {**child_env(), "MODELVAULT_FAKE_SPEEDUP": "50"}
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "modelvault",
            "worker",
            "--db",
            dsn,
            "--fake",
            *urls,
            "--concurrency",
            "4",
            "--lease-ttl",
            str(LEASE_TTL_S),
            "--idle",
            "0.05",
            "--drain-timeout",
            "10",
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.PIPE,
        text=True,
    )


def _events(log: Path) -> list[dict[str, Any]]:
    lines = log.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_four_workers_a_kill_and_a_restart(tmp_path: Path) -> None:
    pg = cluster()
    db = _fresh_database(pg)
    dsn = pg.dsn(dbname=db)
    store = modelvault.PostgresStore(dsn)
    pg.psql(_AUDIT, db)
    workers: list[subprocess.Popen[str]] = []
    with FakeProviders(polls=6) as fakes:
        ids = []
        for model in MODELS:
            family = modelvault.describe(model).provider
            for n in range(PER_MODEL):
                record = modelvault.run(
                    model,
                    {"prompt": f"fox {n}"},
                    wait=False,
                    store=store,
                    api_key=fakes.api_key,
                    base_url=fakes.base_url(family),
                )
                ids.append(record.id)
        submits = {fake.family: fake.submit_count for fake in fakes}
        assert sum(submits.values()) == len(ids)
        logs = [tmp_path / f"worker{n}.jsonl" for n in range(4)]
        try:
            workers = [_worker(dsn, fakes, log) for log in logs]

            def victim_is_mid_run() -> bool:  # it has finished one, holds others
                return any(e["event"] == "finished" for e in _events(logs[0]))

            _wait_for(victim_is_mid_run, 30, "the first worker to be mid-run")
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(10)
            killed_claims = {
                e["generation_id"] for e in _events(logs[0]) if e["event"] == "claimed"
            }
            killed_done = {
                e["generation_id"] for e in _events(logs[0]) if e["event"] == "finished"
            }
            pg.restart()  # under three running workers

            def all_finished() -> bool:
                return not store.unfinished_generations()

            _wait_for(all_finished, 40, "every generation to finish")
            for proc in workers[1:]:
                proc.send_signal(signal.SIGTERM)
            for proc in workers[1:]:
                _, err = proc.communicate(timeout=30)
                assert proc.returncode == 0, err
        finally:
            for proc in workers:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
        assert {fake.family: fake.submit_count for fake in fakes} == submits

    records = [store.get_generation(gid) for gid in ids]
    assert all(r is not None and r.status.value == "completed" for r in records)
    assert all(r is not None and r.outputs for r in records)
    finishes = Counter(pg.psql("SELECT id FROM modelvault.finishes", db).split())
    assert set(finishes) == set(ids)
    assert max(finishes.values()) == 1  # never finished twice
    held = pg.psql(
        "SELECT count(*) FROM modelvault.generations WHERE lease_owner IS NOT NULL", db
    )
    assert held == "0"

    events = [e for log in logs for e in _events(log)]
    finished = Counter(e["generation_id"] for e in events if e["event"] == "finished")
    assert max(finished.values()) == 1
    assert set(finished) <= set(ids)
    taken_over = (killed_claims - killed_done) & {
        e["generation_id"]
        for log in logs[1:]
        for e in _events(log)
        if e["event"] == "claimed"
    }
    assert taken_over, "the killed worker held nothing another worker took over"
    for event in events:
        if "generation_id" in event:
            assert {"model", "status", "attempt"} <= set(event), event
    text = "".join(log.read_text("utf-8") for log in logs)
    assert fakes.api_key not in text
    stopped = [e for e in events if e["event"] == "worker_stopped"]
    assert len(stopped) == 3  # the survivors drained and said so
    store.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM])
def test_a_worker_drains_on_sigterm_and_releases_what_it_holds(
    tmp_path: Path, signum: int
) -> None:
    """Polls that would take minutes: SIGTERM with a 0.5 s drain releases every
    lease (the records stay processing with their task ids, for another worker)."""
    db = tmp_path / "g.sqlite3"
    store = modelvault.SQLiteStore(db)
    with FakeProviders(polls=1000) as fakes:
        ids = [
            modelvault.run(
                "seedance-v1-lite",
                {"prompt": "fox"},
                wait=False,
                store=store,
                api_key=fakes.api_key,
                base_url=fakes.base_url("kie_jobs"),
            ).id
            for _ in range(3)
        ]
        log = tmp_path / "worker.jsonl"
        env = {**child_env(), "MODELVAULT_FAKE_SPEEDUP": "1"}
        proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "modelvault",
                "worker",
                "--db",
                str(db),
                "--fake",
                f"--base-url=kie_jobs={fakes.base_url('kie_jobs')}",
                "--drain-timeout",
                "0.5",
                "--idle",
                "0.05",
            ],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for(
                lambda: sum(e["event"] == "claimed" for e in _events(log)) == 3,
                30,
                "three claims",
            )
            time.sleep(0.2)
            started = time.monotonic()
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert time.monotonic() - started < 5
        finally:
            if proc.poll() is None:
                proc.kill()
    events = _events(log)
    assert sorted(e["generation_id"] for e in events if e["event"] == "released") == (
        sorted(ids)
    )
    assert events[-1]["event"] == "worker_stopped"
    for gid in ids:
        record = store.get_generation(gid)
        assert record is not None
        assert record.status.value == "processing" and record.provider_task_id
        assert record.lease_owner is None

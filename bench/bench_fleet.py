"""Fleet benchmark: `modelvault worker` processes on one PostgreSQL.

    python bench/bench_fleet.py [--count 10000] [--concurrency 64] [--model M]

A throwaway PostgreSQL cluster with durable settings (fsync on: the defaults)
is started in a temp folder (modelvault.testing's PostgresCluster). Then:

  (1) COUNT generations are submitted with `run(..., wait=False)` into it
      (threads, against the provider fake in this process) and kept as a
      snapshot; the same COUNT are submitted into one SQLite file.
  (2) For 1, 2 and 4 worker processes (`modelvault worker --once --fake`: each
      polls its own in-process fakes, which adopt the tasks; waits pass 100x
      faster, as the model file's clock allows), the snapshot is restored and
      the workers run until every generation is finished: generations finished
      per second, polls per generation (from the workers' own counts), peak RSS
      per worker, and duplicates (a trigger counts terminal transitions per
      generation). Baseline: the same COUNT on the SQLite file with one worker
      process; and the model's own schedule, the polls one `resume` needs for
      one such task alone.
  (2b) The same with few threads per worker (--scaling-concurrency 8, first
      --scaling-count 2000 generations): each worker's threads bound it, not
      the machine's CPUs, so this is how the fleet scales with headroom.
  (3) Cost per transition on each store, one connection, sequential: claim
      (claim_generation), update (a non-terminal write), finish (the terminal
      write), in ms.

Targets: scaling 4 workers / 1 worker reported (the machine's cores bound it);
polls per generation <= 1.05 x the model's schedule; zero duplicates.
Exits 0 whether targets pass or fail; 1 only when the benchmark breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import modelvault
from modelvault._store_pg import PostgresStore
from modelvault.store import GenerationStore, MemoryStore, SQLiteStore
from modelvault.testing import FakeProviders
from modelvault.testing._postgres import PostgresCluster

POLLS_TARGET = 1.05
REPO = Path(__file__).resolve().parents[1]
_AUDIT = """
CREATE TABLE IF NOT EXISTS modelvault.finishes (id text);
CREATE OR REPLACE FUNCTION modelvault.audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IN ('completed', 'failed', 'cancelled') THEN
    INSERT INTO modelvault.finishes VALUES (NEW.id);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER UPDATE ON modelvault.generations
  FOR EACH ROW EXECUTE FUNCTION modelvault.audit();
ALTER TABLE modelvault.finishes OWNER TO modelvault;
"""


# A model file's schedule depends on a generation's age (polls every 10 s in
# its first minute, every 30 s after two): every run starts from generations
# submitted "just now", their spacing kept, so each run sees the same schedule.
_AS_IF_SUBMITTED_NOW = """
UPDATE modelvault.generations SET created_at = to_char(
    (created_at::timestamptz + (clock_timestamp() - (SELECT min(created_at::timestamptz)
     FROM modelvault.generations))) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
"""


def restore(pg: PostgresCluster, limit: int | None = None) -> None:
    """The submitted generations again (the first `limit`), as if just submitted."""
    pg.psql(
        "TRUNCATE modelvault.generations, modelvault.finishes; "
        "INSERT INTO modelvault.generations OVERRIDING SYSTEM VALUE "
        "SELECT * FROM modelvault.snapshot ORDER BY seq"
        + ("" if limit is None else f" LIMIT {int(limit)}")
    )
    pg.psql(_AS_IF_SUBMITTED_NOW)


def as_if_submitted_now(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        rows = db.execute("SELECT id, created_at FROM generations").fetchall()
        first = min(datetime.fromisoformat(c.replace("Z", "+00:00")) for _, c in rows)
        shift = datetime.now(UTC) - first
        db.executemany(
            "UPDATE generations SET created_at = ? WHERE id = ?",
            [
                (
                    (datetime.fromisoformat(c.replace("Z", "+00:00")) + shift)
                    .isoformat(timespec="microseconds")
                    .replace("+00:00", "Z"),
                    gid,
                )
                for gid, c in rows
            ],
        )
    db.close()


def submit(store: GenerationStore, count: int, model: str, threads: int = 16) -> float:
    """COUNT `run(wait=False)` calls; returns submits per second."""
    family = modelvault.describe(model).provider
    with FakeProviders(polls=2) as fakes:

        def one(n: int) -> None:
            modelvault.run(
                model,
                {"prompt": f"fox {n}"},
                wait=False,
                store=store,
                api_key=fakes.api_key,
                base_url=fakes.base_url(family),
            )

        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(count)))
        elapsed = time.perf_counter() - started
        assert sum(f.submit_count for f in fakes) == count
    return count / elapsed


def run_workers(db: str, workers: int, concurrency: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MODELVAULT_FAKE_SPEEDUP": "100"}
    command = [
        sys.executable,
        "-m",
        "modelvault",
        "worker",
        "--db",
        db,
        "--fake",
        "--once",
        "--concurrency",
        str(concurrency),
        "--idle",
        "0.05",
    ]
    started = time.perf_counter()
    cpu_before = os.times()
    # Each worker's output goes to files: pipes read one worker after another
    # would fill up and stall the workers not being read.
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        procs = []
        for n in range(workers):
            with (
                (folder / f"{n}.out").open("w") as log,
                (folder / f"{n}.err").open("w") as problems,
            ):
                procs.append(
                    subprocess.Popen(command, env=env, stdout=log, stderr=problems)
                )
        for proc in procs:
            proc.wait(timeout=1800)
        elapsed = time.perf_counter() - started
        outputs = [
            ((folder / f"{n}.out").read_text(), (folder / f"{n}.err").read_text())
            for n in range(workers)
        ]
    cpu_after = os.times()
    cpu = (cpu_after.children_user - cpu_before.children_user) + (
        cpu_after.children_system - cpu_before.children_system
    )
    stopped = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed ({proc.returncode}): {err[-2000:]}")
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        stopped += [e for e in events if e["event"] == "worker_stopped"]
    finished = sum(sum(e["finished"].values()) for e in stopped)
    return {
        "elapsed_s": elapsed,
        "finished": finished,
        "per_s": finished / elapsed,
        "polls": sum(e["polls"] for e in stopped),
        "rss_mib": max(e["peak_rss_kb"] for e in stopped) / 1024,
        "store_errors": sum(e["store_errors"] for e in stopped),
        "cpu_s": cpu,
    }


def schedule_polls(model: str) -> float:
    """Polls the model file's schedule makes for one adopted task, alone."""
    store = MemoryStore()
    with FakeProviders() as first:
        family = modelvault.describe(model).provider
        modelvault.run(
            model,
            {"prompt": "fox"},
            wait=False,
            store=store,
            api_key=first.api_key,
            base_url=first.base_url(family),
        )
    polls = 0

    def count(*_: Any) -> None:
        nonlocal polls
        polls += 1

    with FakeProviders(adopt_unknown_tasks=True) as fakes:
        [done] = modelvault.resume(
            store=store,
            api_key=fakes.api_key,
            base_urls=fakes.base_urls(),
            on_progress=count,
            clock=modelvault.Clock(time.monotonic, lambda s: None),
        )
    assert done.status.value == "completed"
    return float(polls)


def transition_costs(store: GenerationStore, rounds: int) -> dict[str, float]:
    """ms per claim, update and finish: one connection, one at a time."""
    ids = [f"cost-{time.monotonic_ns()}-{n}" for n in range(rounds)]
    for gid in ids:
        store.create_generation(
            {
                "id": gid,
                "model_id": "m",
                "model_record_id": "r",
                "inputs": {},
                "cost": "1",
                "status": "processing",
            }
        )

    def timed(step: Callable[[str], object]) -> float:
        started = time.perf_counter()
        for gid in ids:
            step(gid)
        return (time.perf_counter() - started) / rounds * 1000

    return {
        "claim": timed(lambda g: store.claim_generation(g, "bench", 60)),
        "update": timed(lambda g: store.update_generation(g, {"error": {"k": 1}})),
        "finish": timed(
            lambda g: store.update_generation(
                g, {"status": "completed", "outputs": ["https://x/y"]}
            )
        ),
    }


def parallel_writes(store: GenerationStore, threads: int, rounds: int) -> float:
    """Writes per second the store sustains from `threads` connections at once
    (each thread creates, claims and finishes records of its own)."""

    def work(t: int) -> None:
        for n in range(rounds):
            gid = f"par-{t}-{n}-{time.monotonic_ns()}"
            store.create_generation(
                {
                    "id": gid,
                    "model_id": "m",
                    "model_record_id": "r",
                    "inputs": {},
                    "cost": "1",
                    "status": "processing",
                }
            )
            store.claim_generation(gid, f"t{t}", 60)
            store.update_generation(gid, {"status": "completed"})

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return threads * rounds * 3 / (time.perf_counter() - started)


def writes(pg: PostgresCluster) -> int:
    """Rows written to the generations table so far (after the backends that
    wrote have reported: they report at exit or within a second)."""
    time.sleep(1.5)
    return int(
        pg.psql(
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables "
            "WHERE schemaname = 'modelvault' AND relname = 'generations'"
        )
        or 0
    )


def report(
    *,
    rows: dict[str, dict[str, Any]],
    n: int,
    schedule: float,
    costs: tuple[dict[str, float], dict[str, float]],
    rates: tuple[float, float],
    per_gen: tuple[float, float],
    rounds: int,
) -> None:
    print(
        f"\n{'run':<30}{'finished/s':>11}{'wall s':>8}{'polls/gen':>10}"
        f"{'dups':>6}{'left':>6}{'RSS/worker':>12}{'CPU s':>7}{'per CPU-s':>10}"
    )
    for name, row in rows.items():
        print(
            f"{name:<30}{row['per_s']:>11,.0f}{row['elapsed_s']:>8.1f}"
            f"{row['polls'] / n:>10.2f}{row.get('duplicates', 0):>6}"
            f"{row['unfinished']:>6}{row['rss_mib']:>9.0f} MiB"
            f"{row['cpu_s']:>7.1f}{row['finished'] / row['cpu_s']:>10.0f}"
        )
    one = rows["PostgreSQL, 1 worker(s)"]["per_s"]
    four = rows["PostgreSQL, 4 worker(s)"]["per_s"]
    base = rows["SQLite, 1 worker (baseline)"]["per_s"]
    worst = max(r["polls"] / n for r in rows.values())
    per_cpu = [r["finished"] / r["cpu_s"] for r in rows.values()]
    print(
        f"\nscaling 4 workers / 1 worker: {four / one:.2f}x (baseline 1.00x). "
        f"{os.cpu_count()} CPUs are shared by the workers, their in-process fakes "
        "and the server: a worker's CPU, not the store, bounds the fleet here; "
        f"generations per worker CPU-second stay {min(per_cpu):.0f}-"
        f"{max(per_cpu):.0f} across worker counts"
    )
    print(f"PostgreSQL 1 worker vs SQLite 1 worker (baseline): {one / base:.2f}x")
    print(
        f"polls per generation: worst {worst:.2f} vs the model's own schedule "
        f"{schedule:.2f} = {worst / schedule:.3f}x (target <= {POLLS_TARGET})"
    )
    pg_cost, sq_cost = costs
    print(
        f"\ncost per transition, ms ({rounds} each, one connection): "
        "PostgreSQL vs SQLite (baseline)"
    )
    for step in ("claim", "update", "finish"):
        print(f"  {step:<7}{pg_cost[step]:>8.3f}{sq_cost[step]:>10.3f}")
    size = rows["PostgreSQL, 4 worker(s)"]["table_mib"]
    print(
        f"\nthe generations table (indexes included) after the 4-worker run: "
        f"{size:.1f} MiB for {n} generations ({size * 2**20 / n / 1024:.1f} KiB each)"
    )
    pg_rate, sq_rate = rates
    total = sum(per_gen)
    mean = sum(pg_cost.values()) / 3
    print(
        f"\nwrites per generation: {per_gen[0]:.2f} by the submit + "
        f"{per_gen[1]:.2f} by the fleet = {total:.2f}"
    )
    print(
        f"writes/s from 8 connections at once: PostgreSQL {pg_rate:,.0f} vs "
        f"SQLite {sq_rate:,.0f} (baseline)"
    )
    print(
        f"one PostgreSQL here holds {pg_rate / total * 86400:,.0f} generations/day "
        f"at that rate ({86400 / (total * mean / 1000):,.0f} from one connection "
        f"at {mean:.3f} ms a write); the 4-worker fleet finished "
        f"{four * 86400:,.0f}/day (bound by the workers' CPU here)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--model", default="seedance-v1-lite")
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--scaling-count", type=int, default=2000)
    parser.add_argument("--scaling-concurrency", type=int, default=8)
    args = parser.parse_args()
    n = args.count
    print(
        f"fleet benchmark: {n} generations of {args.model}, "
        f"{args.concurrency} threads per worker, waits 100x fast-forwarded, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    )
    with PostgresCluster(durable=True) as pg, tempfile.TemporaryDirectory() as tmp:
        dsn = pg.dsn()
        store = PostgresStore(dsn, pool_size=16)
        pg.psql(_AUDIT)
        before_submit = writes(pg)
        pg_submit = submit(store, n, args.model)
        store.close()
        submit_writes = (writes(pg) - before_submit) / n
        store = PostgresStore(dsn, pool_size=16)
        pg.psql(
            "CREATE TABLE modelvault.snapshot AS SELECT * FROM modelvault.generations"
        )
        sqlite_path = Path(tmp) / "generations.sqlite3"
        sqlite = SQLiteStore(sqlite_path)
        sqlite_submit = submit(sqlite, n, args.model)
        print(
            f"\nsubmit (wait=False, 16 threads): PostgreSQL {pg_submit:,.0f}/s · "
            f"SQLite {sqlite_submit:,.0f}/s (baseline)"
        )

        rows: dict[str, dict[str, Any]] = {}
        for workers in (1, 2, 4):
            restore(pg)
            before = writes(pg)
            row = run_workers(dsn, workers, args.concurrency)
            row["writes_per_gen"] = (writes(pg) - before) / n
            row["duplicates"] = (
                n
                - int(pg.psql("SELECT count(DISTINCT id) FROM modelvault.finishes"))
                + (int(pg.psql("SELECT count(*) FROM modelvault.finishes")) - n)
            )
            row["unfinished"] = len(store.unfinished_generations())
            row["table_mib"] = (
                int(pg.psql("SELECT pg_total_relation_size('modelvault.generations')"))
                / 2**20
            )
            rows[f"PostgreSQL, {workers} worker(s)"] = row
        as_if_submitted_now(sqlite_path)
        rows["SQLite, 1 worker (baseline)"] = run_workers(
            str(sqlite_path), 1, args.concurrency
        )
        rows["SQLite, 1 worker (baseline)"]["unfinished"] = len(
            sqlite.unfinished_generations()
        )
        schedule = schedule_polls(args.model)
        slot_bound = {}
        for workers in (1, 2, 4):  # few threads each: the machine has headroom
            restore(pg, args.scaling_count)
            ran = run_workers(dsn, workers, args.scaling_concurrency)
            assert ran["finished"] == args.scaling_count, ran
            slot_bound[workers] = ran["per_s"]

        pg_cost = transition_costs(store, args.rounds)
        sq_cost = transition_costs(sqlite, args.rounds)
        rates = (
            parallel_writes(store, 8, args.rounds // 4),
            parallel_writes(sqlite, 8, args.rounds // 4),
        )
        fleet_writes = rows["PostgreSQL, 4 worker(s)"]["writes_per_gen"]
        report(
            rows=rows,
            n=n,
            schedule=schedule,
            costs=(pg_cost, sq_cost),
            rates=rates,
            per_gen=(submit_writes, fleet_writes),
            rounds=args.rounds,
        )
        print(
            f"\nslot-bound fleet ({args.scaling_count} generations, "
            f"{args.scaling_concurrency} threads per worker, the CPUs not saturated):"
            + "".join(f" {w} worker(s) {r:,.0f}/s ·" for w, r in slot_bound.items())
            + f" scaling 4/1: {slot_bound[4] / slot_bound[1]:.2f}x (baseline 1.00x)"
        )
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Resilience benchmark: default arguments at scale, and resumers sharing work.

    python bench/bench_resume.py [--concurrent 1000] [--records 1000]

Two measurements, each against a baseline measured in the same run, against the
Replicate fake (polls=0) in a child process (bench_runtime.RemoteFake):

  (4) default arguments: N concurrent `run_async` calls with NO `client=` (the
      runtime's shared client per event loop), each in a fresh child process,
      against the same N with one explicit shared `httpx.AsyncClient`. Peak RSS
      of each child (getrusage), wall time, records completed, submits at the
      fake. The explicit client has the runtime's own limits (modelvault._http).
      Target: peak RSS <= 2x the explicit-client case, N completed records and
      N submits.
  (5) two resumers: R generations submitted with wait=False into one SQLite
      file, then two `modelvault.resume()` processes started together over
      them. Every record must end completed; polls per record counted at the
      fake (each task needs exactly one poll with polls=0, so any poll beyond
      that is a record polled twice). Target: total polls <= 1.05 x records.
      Baseline: one resume process over the same number of records.

Exits 0 whether targets pass or fail; 1 only when the benchmark breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_runtime import KEY, MODEL_ID, RemoteFake  # noqa: E402

MEMORY_TARGET = 2.0
POLLS_TARGET = 1.05

_CONCURRENT = """
import asyncio, json, resource, sys, time
import httpx
import modelvault
from modelvault import Clock, SQLiteStore

async def no_sleep(seconds):
    await asyncio.sleep(0)

async def main(n, base_url, key, db, explicit):
    store = SQLiteStore(db)
    clock = Clock(time.monotonic, lambda s: None, no_sleep)
    # The shared-client case: one client made by the app, with the same limits
    # as the runtime's own default (httpx's default of 100 connections chokes
    # the loopback fake, a thread per connection: no run completed in 600 s).
    from modelvault._http import LIMITS
    client = httpx.AsyncClient(limits=LIMITS) if explicit else None
    started = time.perf_counter()
    runs = [
        modelvault.run_async(
            sys.argv[1], {"prompt": f"fox {i}"}, api_key=key, store=store,
            base_url=base_url, clock=clock, client=client,
        )
        for i in range(n)
    ]
    results = await asyncio.gather(*runs, return_exceptions=True)
    elapsed = time.perf_counter() - started
    if client is not None:
        await client.aclose()
    failed = [r for r in results if isinstance(r, BaseException)]
    done = sum(1 for r in results if r not in failed and r.status.value == "completed")
    errors = sorted({type(r).__name__ for r in failed})
    return elapsed, done, errors

n, base_url, key, db, explicit = sys.argv[2:7]
elapsed, done, errors = asyncio.run(main(int(n), base_url, key, db, explicit == "1"))
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(
    {"elapsed_s": elapsed, "completed": done, "errors": errors, "peak_rss_kib": rss_kib}
))
"""

_SUBMIT = """
import asyncio, sys, time
import modelvault
from modelvault import Clock, SQLiteStore

async def no_sleep(seconds):
    await asyncio.sleep(0)

async def main(n, base_url, key, db):
    store = SQLiteStore(db)
    clock = Clock(time.monotonic, lambda s: None, no_sleep)
    sem = asyncio.Semaphore(50)
    async def one(i):
        async with sem:
            await modelvault.run_async(sys.argv[1], {"prompt": f"fox {i}"}, api_key=key,
                store=store, base_url=base_url, clock=clock, wait=False)
    await asyncio.gather(*(one(i) for i in range(n)))

asyncio.run(main(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]))
"""

_RESUME = """
import json, sys, time
import modelvault
from modelvault import Clock, SQLiteStore
started = time.perf_counter()
results = modelvault.resume(store=SQLiteStore(sys.argv[1]), api_key=sys.argv[2],
    base_url=sys.argv[3], clock=Clock(time.monotonic, lambda s: None))
print(json.dumps({
    "elapsed_s": time.perf_counter() - started,
    "completed_here": sum(1 for r in results if r.status.value == "completed"),
    "skipped": len(results.skipped),
    "failures": len(results.failures),
}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(BENCH_DIR.parent)}


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _json_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise RuntimeError(f"child failed ({process.returncode}):\n{err[-3000:]}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def concurrent_case(
    fake: RemoteFake, n: int, tmp: Path, explicit: bool
) -> dict[str, Any]:
    fake.reset()
    db = tmp / f"concurrent-{int(explicit)}.sqlite3"
    flag = "1" if explicit else "0"
    result = _json_of(
        _python(_CONCURRENT, MODEL_ID, str(n), fake.base_url, KEY, str(db), flag)
    )
    result["submits"] = fake.stats()["submit_count"]
    return result


def resume_case(
    fake: RemoteFake, records: int, tmp: Path, processes: int
) -> dict[str, Any]:
    fake.reset()
    db = tmp / f"resume-{processes}.sqlite3"
    _json_of_ok(_python(_SUBMIT, MODEL_ID, str(records), fake.base_url, KEY, str(db)))
    started = time.perf_counter()
    children = [_python(_RESUME, str(db), KEY, fake.base_url) for _ in range(processes)]
    outcomes = [_json_of(child) for child in children]
    elapsed = time.perf_counter() - started
    stats = fake.stats()
    polls = stats["phases"].get("poll", 0)
    from modelvault import SQLiteStore  # noqa: PLC0415 - after the children wrote

    store = SQLiteStore(db)
    finished = store.all_generations()
    return {
        "elapsed_s": elapsed,
        "records": records,
        "completed": sum(1 for r in finished if r.status.value == "completed"),
        "leases_left": sum(1 for r in finished if r.lease_owner is not None),
        "polls": polls,
        "polls_per_record": polls / records,
        "polls_per_task": stats["polls_per_task"],
        "submits": stats["submit_count"],
        "per_process": outcomes,
    }


def _json_of_ok(process: subprocess.Popen[str]) -> None:
    _, err = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise RuntimeError(f"submitting failed:\n{err[-3000:]}")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1000)
    options = parser.parse_args(argv)
    print("modelvault resilience bench")
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    fake = RemoteFake()
    broken = False
    try:
        with tempfile.TemporaryDirectory(prefix="mv-bench-resume-") as folder:
            tmp = Path(folder)
            n = options.concurrent
            shared = concurrent_case(fake, n, tmp, explicit=True)
            default = concurrent_case(fake, n, tmp, explicit=False)
            ratio = default["peak_rss_kib"] / shared["peak_rss_kib"]
            counts_ok = default["completed"] == n and default["submits"] == n
            broken |= shared["completed"] != n
            print(f"(4) {n} concurrent run_async")
            for name, case in (("explicit client", shared), ("default args", default)):
                print(
                    f"    {name:16} peak RSS {case['peak_rss_kib'] / 1024:7.1f} MiB  "
                    f"{case['elapsed_s']:6.2f} s  completed {case['completed']}  "
                    f"submits {case['submits']}  errors {case['errors'] or '-'}"
                )
            print(
                f"    RSS default/explicit = {ratio:.2f}x "
                f"(target <= {MEMORY_TARGET}x): "
                f"{_verdict(ratio <= MEMORY_TARGET and counts_ok)}\n"
            )
            records = options.records
            one = resume_case(fake, records, tmp, processes=1)
            two = resume_case(fake, records, tmp, processes=2)
            print(f"(5) resume over {records} unfinished records")
            for name, case in (("1 process", one), ("2 processes", two)):
                print(
                    f"    {name:12} {case['elapsed_s']:6.2f} s  completed "
                    f"{case['completed']}/{records}  polls {case['polls']} "
                    f"({case['polls_per_record']:.3f}/record, per task "
                    f"{case['polls_per_task']})  submits {case['submits']}  "
                    f"leases left {case['leases_left']}"
                )
            for i, part in enumerate(two["per_process"]):
                print(
                    f"      process {i + 1}: skipped {part['skipped']} records the "
                    "other process held at that moment"
                )
            ok = (
                two["completed"] == records
                and two["polls_per_record"] <= POLLS_TARGET
                and two["leases_left"] == 0
                and two["submits"] == records
            )
            print(
                f"    2-process polls/record = {two['polls_per_record']:.3f} "
                f"(target <= {POLLS_TARGET}): {_verdict(ok)}"
            )
            broken |= one["completed"] != records
    finally:
        fake.stop()
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

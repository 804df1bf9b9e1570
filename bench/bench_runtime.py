"""Runtime benchmark: what `modelvault.run_async` costs over hand-written httpx.

    python bench/bench_runtime.py [--n 300] [--rounds 5] [--concurrent 1000]
                                  [--cold-repeat 7] [--profile]

Three measurements, each against a baseline measured in the same run:

  (1) overhead: N generations of flux-schnell-replicate through run_async
      (SQLiteStore in a temp dir, one shared httpx.AsyncClient, a Clock whose
      sleeps are no-ops), 20 in flight, against the Replicate fake with polls=0
      (the first poll finishes). Baseline: the same submit POST + poll GET made
      with a bare httpx.AsyncClient, same concurrency, same payload bytes. The
      fake's recorded requests confirm both made 1 submit + 1 poll per
      generation. Target: runtime <= 1.25x raw per generation. For information,
      the same with MemoryStore and the store calls alone, which splits the extra
      time into SQLite writes and the rest.
  (2) concurrency: 1,000 generations at once (asyncio.gather) on one
      SQLiteStore; exactly 1,000 distinct completed records and 1,000 submits
      at the fake (no duplicates); generations/s and peak memory.
  (3) cold start: `python -c "import modelvault; modelvault.get(ID)"` on a
      1,000-model synthetic catalog (built with bench_foundation's helpers)
      against `python -c "import httpx, pydantic"`, interleaved; target <= 1.5x.

The fake runs in a child process: in this process it would share the GIL with
the client, so its own request handling would be added to both sides of the
ratio (and the ratio diluted). Its CPU use is reported, to show it is not the
bottleneck. The script exits 0 whether targets pass or fail; 1 only when the
benchmark itself breaks (wrong counts, failed runs).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import multiprocessing
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import httpx

import modelvault
from modelvault import Clock, GenerationStatus, MemoryStore, SQLiteStore
from modelvault.store import GenerationStore
from modelvault.testing import FakeProvider, Family

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
MODEL_ID = "flux-schnell-replicate"
FAMILY: Family = "replicate"
KEY = "r8-bench-0123456789abcdef0123456789"
OVERHEAD_TARGET = 1.25
COLD_TARGET = 1.5
HTTP_TIMEOUT_S = 30.0  # what the model file passes on every request


# -- the fake, in its own process ----------------------------------------------
def _fake_stats(fake: FakeProvider) -> dict[str, Any]:
    requests = fake.requests
    phases = Counter(str(r.phase) for r in requests)
    statuses = Counter(str(r.status) for r in requests)
    submitted = [r.task_id for r in requests if r.phase == "submit"]
    polls = Counter(r.task_id for r in requests if r.phase == "poll")
    return {
        "requests": len(requests),
        "submit_count": fake.submit_count,
        "phases": dict(phases),
        "statuses": dict(statuses),
        "distinct_submitted": len(set(submitted)),
        "polls_per_task": sorted(set(polls.values())),
        "tasks": len(fake.tasks),
        "cpu_s": time.process_time(),
    }


def _fake_main(conn: Connection, api_key: str) -> None:
    """Serve the Replicate fake (polls=0) and answer "stats" / "reset" / "stop"."""
    fake = FakeProvider(FAMILY, api_key=api_key, polls=0)
    fake.start()
    conn.send(fake.base_url)
    try:
        while True:
            command = conn.recv()
            if command == "stats":
                conn.send(_fake_stats(fake))
            elif command == "reset":
                fake.reset()
                conn.send(None)
            else:
                break
    finally:
        fake.stop()
        conn.send(None)


class RemoteFake:
    """The fake in a child process, driven over a pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_fake_main, args=(child, KEY), name="fake-replicate", daemon=True
        )
        self._process.start()
        self.base_url: str = self._conn.recv()

    def stats(self) -> dict[str, Any]:
        self._conn.send("stats")
        return cast(dict[str, Any], self._conn.recv())

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._conn.recv()
        self._process.join(timeout=10)


# -- one generation, two ways --------------------------------------------------
async def _no_sleep(seconds: float) -> None:
    return None


NO_WAIT_CLOCK = Clock(time.monotonic, lambda seconds: None, _no_sleep)


def prompt(i: int) -> str:
    return f"a red fox in the snow, number {i}"


async def runtime_generation(
    i: int, client: httpx.AsyncClient, base_url: str, store: GenerationStore
) -> str:
    record = await modelvault.run_async(
        MODEL_ID,
        {"prompt": prompt(i)},
        api_key=KEY,
        store=store,
        base_url=base_url,
        client=client,
        clock=NO_WAIT_CLOCK,
    )
    if record.status is not GenerationStatus.COMPLETED or not record.outputs:
        raise SystemExit(f"bench: generation {i} ended {record.status}")
    return record.id


@dataclass(frozen=True)
class RawRequestShape:
    """What the hand-written client sends: the model's endpoint path and the
    payload defaults the model fills in (so both send the same bytes)."""

    submit_path: str
    input_defaults: dict[str, Any]


def raw_shape() -> RawRequestShape:
    module = modelvault.get(MODEL_ID)
    payload = module.prepare_payload({"prompt": "x"})["input"]
    defaults = {k: v for k, v in payload.items() if k != "prompt"}
    path = "/" + str(module.MODEL_CONFIG["endpoint"]).split("/", 3)[3]
    return RawRequestShape(path, defaults)


async def raw_generation(
    i: int, client: httpx.AsyncClient, base_url: str, shape: RawRequestShape
) -> str:
    """Submit + poll with bare httpx, as a hand-written client would."""
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    payload = {"input": {"prompt": prompt(i), **shape.input_defaults}}
    submitted = await client.request(
        "POST",
        base_url + shape.submit_path,
        json=payload,
        headers=headers,
        timeout=HTTP_TIMEOUT_S,
    )
    if submitted.status_code != 201:
        raise SystemExit(f"bench: raw submit answered {submitted.status_code}")
    task_id = submitted.json()["id"]
    polled = await client.request(
        "GET",
        f"{base_url}/v1/predictions/{task_id}",
        headers=headers,
        timeout=HTTP_TIMEOUT_S,
    )
    body = polled.json()
    if polled.status_code != 200 or body["status"] != "succeeded":
        raise SystemExit(f"bench: raw poll answered {polled.status_code} {body}")
    return str(task_id)


Generation = Callable[[int], Awaitable[str]]


async def bounded(count: int, limit: int, one: Generation) -> list[str]:
    """Run `one(0..count-1)` with at most `limit` in flight."""
    gate = asyncio.Semaphore(limit)

    async def gated(i: int) -> str:
        async with gate:
            return await one(i)

    return await asyncio.gather(*(gated(i) for i in range(count)))


# -- measurement helpers -------------------------------------------------------
@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)  # seconds per generation
    cpu: list[float] = field(default_factory=list)  # client CPU s per generation
    fake_cpu: list[float] = field(default_factory=list)  # fake CPU s / wall s

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def min(self) -> float:
        return min(self.wall)


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds:7.2f} s "


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def check_requests(
    fake: RemoteFake, label: str, count: int, before: dict[str, Any]
) -> dict[str, Any]:
    """The fake saw exactly one submit and one poll per generation, all answered
    201/200, each submit a new task; returns the stats."""
    stats = fake.stats()
    expected = {
        "requests": 2 * count,
        "submit_count": count,
        "phases": {"submit": count, "poll": count},
        "statuses": {"201": count, "200": count},
        "distinct_submitted": count,
        "polls_per_task": [1],
        "tasks": count,
    }
    got = {k: stats[k] for k in expected}
    if got != expected:
        raise SystemExit(f"bench: {label}: the fake saw {got}, expected {expected}")
    stats["fake_cpu_s"] = stats["cpu_s"] - before["cpu_s"]
    return stats


async def timed_pass(
    fake: RemoteFake, label: str, count: int, limit: int, one: Generation
) -> tuple[float, float, float]:
    """One pass of `count` generations: (wall s, client CPU s, fake CPU s)."""
    fake.reset()
    before = fake.stats()
    cpu = time.process_time()
    start = time.perf_counter()
    ids = await bounded(count, limit, one)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if len(set(ids)) != count:
        raise SystemExit(f"bench: {label}: {len(set(ids))} distinct ids of {count}")
    stats = check_requests(fake, label, count, before)
    return wall, cpu, float(stats["fake_cpu_s"])


# -- (1) overhead --------------------------------------------------------------
@dataclass
class Overhead:
    n: int
    limit: int
    samples: dict[str, Samples]
    store_alone: dict[str, float]  # s per generation, store calls only
    profile: str = ""


def store_alone(n: int, tmp: Path) -> dict[str, float]:
    """The store calls one generation makes (create, 2 updates, 1 read), alone."""
    module = modelvault.get(MODEL_ID)
    inputs = module.validate({"prompt": prompt(0)})
    payload = module.prepare_payload(inputs)
    answer = {"id": "x" * 26, "status": "starting", "input": payload["input"]}
    final = {**answer, "status": "succeeded", "output": ["https://cdn.example/a"]}
    out: dict[str, float] = {}
    for name in ("SQLiteStore", "MemoryStore"):
        best = float("inf")
        for attempt in range(3):
            store: GenerationStore = (
                SQLiteStore(tmp / f"alone-{attempt}.sqlite3")
                if name == "SQLiteStore"
                else MemoryStore()
            )
            start = time.perf_counter()
            for i in range(n):
                gid = f"gen-{attempt}-{i}"
                store.create_generation(
                    {
                        "id": gid,
                        "model_id": MODEL_ID,
                        "model_record_id": "rec",
                        "inputs": inputs,
                        "cost": "0.3",
                        "status": "pending",
                        "provider_task_id": None,
                        "provider_request": payload,
                    }
                )
                store.update_generation(
                    gid,
                    {
                        "status": "processing",
                        "provider_task_id": "t",
                        "provider_response": answer,
                    },
                )
                store.update_generation(
                    gid,
                    {
                        "status": "completed",
                        "outputs": final["output"],
                        "provider_response": final,
                        "error": None,
                    },
                )
                store.get_generation(gid)
            best = min(best, (time.perf_counter() - start) / n)
        out[name] = best
    return out


async def measure_overhead(
    fake: RemoteFake, tmp: Path, n: int, rounds: int, limit: int
) -> Overhead:
    shape = raw_shape()
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    samples = {name: Samples() for name in ("raw", "sqlite", "memory")}
    async with httpx.AsyncClient(limits=limits) as client:
        url = fake.base_url
        stores: list[GenerationStore] = []

        def new_store(kind: str) -> GenerationStore:
            store: GenerationStore = (
                SQLiteStore(tmp / f"overhead-{len(stores)}.sqlite3")
                if kind == "sqlite"
                else MemoryStore()
            )
            stores.append(store)
            return store

        def generation(kind: str) -> Generation:
            if kind == "raw":
                return lambda i: raw_generation(i, client, url, shape)
            store = new_store(kind)
            return lambda i: runtime_generation(i, client, url, store)

        # Warm-up (untimed): model file loaded, connections open, caches hot.
        for kind in samples:
            await timed_pass(fake, f"warm-up {kind}", n, limit, generation(kind))
        for _ in range(rounds):
            for kind, sample in samples.items():
                one = generation(kind)  # the store is created before the clock
                wall, cpu, fake_cpu = await timed_pass(fake, kind, n, limit, one)
                sample.wall.append(wall / n)
                sample.cpu.append(cpu / n)
                sample.fake_cpu.append(fake_cpu / wall)
    for store in stores:
        if isinstance(store, SQLiteStore):
            store.close()
    alone = store_alone(n, tmp)
    return Overhead(n, limit, samples, alone)


async def profile_runtime(fake: RemoteFake, tmp: Path, n: int, limit: int) -> str:
    """cProfile of one run_async + SQLite pass (top functions by own time)."""
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    store = SQLiteStore(tmp / "profiled.sqlite3")
    async with httpx.AsyncClient(limits=limits) as client:
        url = fake.base_url

        async def one(i: int) -> str:
            return await runtime_generation(i, client, url, store)

        await timed_pass(fake, "profile warm-up", limit, limit, one)
        profiler = cProfile.Profile()
        profiler.enable()
        await timed_pass(fake, "profiled run_async", n, limit, one)
        profiler.disable()
    store.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(12)
    # what the runtime itself calls besides HTTP (cumulative, per pass)
    stats.print_callees(r"_run.py.*\(run_async\)|\(execute_async\)|\(resume_async\)")
    text = out.getvalue().replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")
    return "\n".join(line for line in text.splitlines() if line.strip())


# -- (2) concurrency -----------------------------------------------------------
@dataclass
class Concurrency:
    count: int
    connections: int
    runtime_s: float
    raw_s: float
    records: int
    completed: int
    distinct_tasks: int
    fake: dict[str, Any]
    rss_delta_kib: int | None
    rss_how: str
    traced_peak: int | None
    correct: bool
    errors: list[str]


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def proc_status_kib(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def gather_runtime(
    count: int, client: httpx.AsyncClient, url: str, store: GenerationStore
) -> tuple[list[str], list[str]]:
    """All at once; (generation ids, errors) - an error does not stop the rest."""
    results = await asyncio.gather(
        *(runtime_generation(i, client, url, store) for i in range(count)),
        return_exceptions=True,
    )
    ids = [r for r in results if isinstance(r, str)]
    errors = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, str)]
    return ids, errors


async def measure_concurrency(
    fake: RemoteFake, tmp: Path, count: int, connections: int, traced: bool
) -> Concurrency:
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections
    )
    shape = raw_shape()
    url = fake.base_url
    async with httpx.AsyncClient(limits=limits) as client:
        # warm-up (untimed): model file loaded, pool filled
        _, warm_errors = await gather_runtime(connections, client, url, MemoryStore())
        if warm_errors:
            raise SystemExit(f"bench: (2) warm-up failed: {warm_errors[0]}")
        fake.reset()
        store = SQLiteStore(tmp / "concurrent.sqlite3")
        hwm_reset = reset_peak_rss()
        rss_before = proc_status_kib("VmRSS") if hwm_reset else None
        maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        ids, errors = await gather_runtime(count, client, url, store)
        runtime_s = time.perf_counter() - start
        if hwm_reset and rss_before is not None:
            peak = proc_status_kib("VmHWM")
            rss_delta = None if peak is None else peak - rss_before
            how = "VmHWM after - VmRSS before (peak reset via clear_refs)"
        else:
            maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss_delta = maxrss - maxrss_before
            how = "ru_maxrss delta (a high-water mark: 0 if an earlier peak was higher)"
        fake_stats = fake.stats()
        stored = store.all_generations()
        completed = sum(r.status is GenerationStatus.COMPLETED for r in stored)
        distinct_tasks = len({r.provider_task_id for r in stored})
        store.close()

        traced_peak: int | None = None
        if traced:  # Python allocations, on a second identical run (slower)
            fake.reset()
            traced_store = SQLiteStore(tmp / "concurrent-traced.sqlite3")
            tracemalloc.start()
            _, traced_errors = await gather_runtime(count, client, url, traced_store)
            traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            traced_store.close()
            errors += [f"(tracemalloc run) {e}" for e in traced_errors]

        # Baseline: the same requests from bare httpx, all at once.
        fake.reset()
        start = time.perf_counter()
        raw_ids = await asyncio.gather(
            *(raw_generation(i, client, url, shape) for i in range(count))
        )
        raw_s = time.perf_counter() - start
        check_requests(fake, "concurrent raw", count, fake.stats())
    correct = (
        len(set(ids)) == count
        and len(stored) == count
        and len({r.id for r in stored}) == count
        and completed == count
        and distinct_tasks == count
        and fake_stats["submit_count"] == count
        and fake_stats["distinct_submitted"] == count
        and fake_stats["phases"] == {"submit": count, "poll": count}
        and len(set(raw_ids)) == count
        and not errors
    )
    return Concurrency(
        count=count,
        connections=connections,
        runtime_s=runtime_s,
        raw_s=raw_s,
        records=len({r.id for r in stored}),
        completed=completed,
        distinct_tasks=distinct_tasks,
        fake=fake_stats,
        rss_delta_kib=rss_delta,
        rss_how=how,
        traced_peak=traced_peak,
        correct=correct,
        errors=errors,
    )


# -- (3) cold start ------------------------------------------------------------
@dataclass
class ColdStart:
    count: int
    model_id: str
    generate_s: float
    get: list[float]
    baseline: list[float]
    importtime: str


def measure_cold_start(count: int, repeat: int) -> ColdStart:
    """bench_foundation builds the catalog; subprocess timings, interleaved."""
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import bench_foundation as foundation  # noqa: PLC0415 - imports the generator

    with tempfile.TemporaryDirectory(prefix="modelvault-bench-rt-") as tmp:
        root = foundation.new_repo(tmp)
        generated = foundation.generate(root, count, 4)
        env = foundation.subprocess_env(root)  # PYTHONDONTWRITEBYTECODE removed
        py, model_id = sys.executable, generated.first_id
        get_code = f"import modelvault; modelvault.get({model_id!r})"
        check_code = (
            f"import modelvault, sys; m = modelvault.get({model_id!r}); "
            "print(len(modelvault.list_models()), m.MODEL_CONFIG['id'], "
            "'httpx' in sys.modules)"
        )
        warm = foundation.run([py, "-c", check_code], env, root)
        expected = f"{count} {model_id} True"
        if warm.returncode != 0 or warm.stdout.strip() != expected:
            raise SystemExit(
                f"bench: cold-start warm-up printed {warm.stdout.strip()!r}, "
                f"expected {expected!r}:\n{warm.stderr[-2000:]}"
            )
        timings = foundation.interleaved(
            {
                "baseline": [py, "-c", "import httpx, pydantic"],
                "get": [py, "-c", get_code],
            },
            env,
            root,
            repeat,
        )
        importtime = foundation.import_time(get_code, env, root, top=12)
    return ColdStart(
        count=count,
        model_id=model_id,
        generate_s=generated.seconds["total"],
        get=timings["get"].samples,
        baseline=timings["baseline"].samples,
        importtime=importtime,
    )


# -- report --------------------------------------------------------------------
Row = tuple[str, str, str, str, str, str]


def print_table(rows: Sequence[Row]) -> None:
    header: Row = ("what", "measured", "baseline", "ratio", "target", "result")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)


def overhead_rows(o: Overhead) -> list[Row]:
    raw, sql, mem = o.samples["raw"], o.samples["sqlite"], o.samples["memory"]
    ratio = sql.median / raw.median
    paired = statistics.median(s / r for s, r in zip(sql.wall, raw.wall, strict=True))
    extra = sql.median - raw.median
    sqlite_part = sql.median - mem.median
    alone = o.store_alone
    return [
        (
            f"(1) run_async+SQLite vs raw httpx, per gen [median of {len(sql.wall)}]",
            fmt_s(sql.median),
            fmt_s(raw.median),
            f"{ratio:5.2f}x",
            f"<= {OVERHEAD_TARGET}x",
            verdict(ratio <= OVERHEAD_TARGET),
        ),
        (
            "    (same, min)",
            fmt_s(sql.min),
            fmt_s(raw.min),
            f"{sql.min / raw.min:5.2f}x",
            "",
            "",
        ),
        (
            "    paired: median of per-round ratios",
            "",
            "",
            f"{paired:5.2f}x",
            "(info)",
            "",
        ),
        (
            "    client CPU per gen [median]",
            fmt_s(statistics.median(sql.cpu)),
            fmt_s(statistics.median(raw.cpu)),
            f"{statistics.median(sql.cpu) / statistics.median(raw.cpu):5.2f}x",
            "(info)",
            "",
        ),
        (
            "(1i) run_async+MemoryStore vs raw httpx, per gen [median]",
            fmt_s(mem.median),
            fmt_s(raw.median),
            f"{mem.median / raw.median:5.2f}x",
            "(info)",
            "",
        ),
        (
            "(1i) extra per gen: total / SQLite (sqlite-memory) / rest",
            f"{fmt_s(extra).strip()} / {fmt_s(sqlite_part).strip()} / "
            f"{fmt_s(mem.median - raw.median).strip()}",
            "",
            f"{sqlite_part / extra:5.0%} SQL" if extra > 0 else "",
            "(info)",
            "",
        ),
        (
            "(1i) store calls alone per gen (create+2 updates+get)",
            f"SQLite {fmt_s(alone['SQLiteStore']).strip()}",
            f"Memory {fmt_s(alone['MemoryStore']).strip()}",
            "",
            "(info)",
            "",
        ),
    ]


def concurrency_rows(c: Concurrency) -> list[Row]:
    rate, raw_rate = c.count / c.runtime_s, c.count / c.raw_s
    rss = "n/a" if c.rss_delta_kib is None else f"{c.rss_delta_kib / 1024:.1f} MiB"
    traced = "" if c.traced_peak is None else f" / {c.traced_peak / 2**20:.1f} MiB"
    return [
        (
            f"(2) {c.count} concurrent run_async, one SQLiteStore: records ok",
            f"{c.records} recs, {c.completed} done, {c.fake['submit_count']} submits",
            "",
            "",
            f"{c.count}/{c.count}/{c.count}",
            verdict(c.correct),
        ),
        (
            "    throughput, generations/s (vs raw httpx, same 1000)",
            f"{rate:7.0f} /s",
            f"{raw_rate:7.0f} /s",
            f"{c.runtime_s / c.raw_s:5.2f}x",
            "(info)",
            "",
        ),
        (
            "    peak memory: RSS growth" + (" / tracemalloc peak" if traced else ""),
            rss + traced,
            "",
            "",
            "(info)",
            "",
        ),
    ]


def cold_rows(c: ColdStart) -> list[Row]:
    med, base = statistics.median(c.get), statistics.median(c.baseline)
    return [
        (
            f"(3) cold start get(id), {c.count}-model catalog [median of {len(c.get)}]",
            fmt_s(med),
            fmt_s(base),
            f"{med / base:5.2f}x",
            f"<= {COLD_TARGET}x",
            verdict(med <= COLD_TARGET * base),
        ),
        (
            "    (same, min)",
            fmt_s(min(c.get)),
            fmt_s(min(c.baseline)),
            f"{min(c.get) / min(c.baseline):5.2f}x",
            "",
            "",
        ),
    ]


def print_notes(
    options: argparse.Namespace, o: Overhead, c: Concurrency, cold: ColdStart
) -> None:
    raw, sql, mem = o.samples["raw"], o.samples["sqlite"], o.samples["memory"]
    print(
        f"(1) {o.n} generations per pass, {o.limit} in flight, one shared "
        f"AsyncClient (pool {o.limit}), after one untimed warm-up pass of each; "
        f"passes interleaved raw/SQLite/Memory x{len(raw.wall)}. Per gen = pass "
        "wall time / N. Checked on every pass via the fake's recorded requests: "
        "1 submit (201) + 1 poll (200) per generation, both sides, no duplicates."
    )
    print(
        "    fake CPU / wall during passes (median; 1.00 = one core saturated): "
        + ", ".join(
            f"{name} {statistics.median(s.fake_cpu):.2f}"
            for name, s in (("raw", raw), ("SQLite", sql), ("Memory", mem))
        )
    )
    print(
        f"(2) {c.count} run_async at once via asyncio.gather, pool of "
        f"{c.connections} connections; {c.distinct_tasks} distinct provider task "
        f"ids stored; fake saw {c.fake['phases']}. Peak RSS: {c.rss_how}"
        + (
            "; tracemalloc on a second, identical run (Python allocations only)."
            if c.traced_peak is not None
            else "."
        )
    )
    errors = Counter(e[:160] for e in c.errors)
    for error, times in errors.most_common(3):
        print(f"    (2) ERROR x{times}: {error}")
    print(
        f"(3) catalog of {cold.count} models built with bench_foundation helpers "
        f"in {cold.generate_s:.1f} s; get({cold.model_id!r}); "
        "PYTHONDONTWRITEBYTECODE unset for the subprocesses; one untimed warm-up "
        "run first (caches .pyc files, checks list/get); baseline "
        "`python -c 'import httpx, pydantic'`, interleaved."
    )
    print("samples:")
    for name, sample in (("raw", raw), ("SQLite", sql), ("Memory", mem)):
        print(
            f"    (1) {name:<7} per gen ms {[round(x * 1e3, 3) for x in sample.wall]}"
        )
    print(f"    (3) get      s {[round(x, 3) for x in cold.get]}")
    print(f"    (3) baseline s {[round(x, 3) for x in cold.baseline]}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="generations per pass")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes each")
    parser.add_argument("--limit", type=int, default=20, help="in flight in (1)")
    parser.add_argument("--concurrent", type=int, default=1000, help="size of (2)")
    parser.add_argument(
        "--connections", type=int, default=100, help="httpx pool size in (2)"
    )
    parser.add_argument("--catalog", type=int, default=1000, help="models in (3)")
    parser.add_argument("--cold-repeat", type=int, default=7, help="runs in (3)")
    parser.add_argument(
        "--profile", action="store_true", help="always print the profiles"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="(2): also a second run under tracemalloc (slow; may hit pool timeouts "
        "on a loaded machine)",
    )
    return parser.parse_args(argv)


async def run_in_process(
    options: argparse.Namespace, tmp: Path
) -> tuple[Concurrency, Overhead]:
    fake = RemoteFake()
    try:
        print(f"fake: Replicate, polls=0, in child process at {fake.base_url}")
        concurrency = await measure_concurrency(
            fake, tmp, options.concurrent, options.connections, options.tracemalloc
        )
        print(f"(2) done in {concurrency.runtime_s:.2f} s")
        overhead = await measure_overhead(
            fake, tmp, options.n, options.rounds, options.limit
        )
        raw = overhead.samples["raw"]
        failed = overhead.samples["sqlite"].median / raw.median > OVERHEAD_TARGET
        if failed or options.profile:  # show where the time goes
            overhead.profile = await profile_runtime(
                fake, tmp, options.n, options.limit
            )
        print("(1) done")
        return concurrency, overhead
    finally:
        fake.stop()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    os.environ.pop("MODELVAULT_CATALOG", None)  # (1) and (2) use the repo's catalog
    print("modelvault runtime bench")
    print(
        f"python {sys.version.split()[0]} on {os.cpu_count()} CPU(s), "
        f"httpx {httpx.__version__}"
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="modelvault-bench-rt-db-") as tmp:
        concurrency, overhead = asyncio.run(run_in_process(options, Path(tmp)))
    cold = measure_cold_start(options.catalog, options.cold_repeat)
    rows = [*overhead_rows(overhead), *concurrency_rows(concurrency), *cold_rows(cold)]
    print()
    print_table(rows)
    print_notes(options, overhead, concurrency, cold)
    print(
        f"load average at end: {os.getloadavg()[0]:.2f}; "
        f"bench took {time.perf_counter() - started:.0f} s"
    )
    failed = any(row[5] == "FAIL" for row in rows)
    if failed or options.profile:
        print("\n--- profile ---")
        if overhead.profile:
            print(f"cProfile of one run_async+SQLite pass ({options.n} gens):")
            print(overhead.profile)
        print(f"python -X importtime, get (slowest cumulative):\n{cold.importtime}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

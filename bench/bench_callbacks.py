"""Callback benchmark: generations finished by provider callbacks versus polling.

    python bench/bench_callbacks.py [--n 1000] [--rate 50] [--concurrency 250]
                                    [--rounds 3]

Both ways run flux-schnell-replicate against the same Replicate fake
(modelvault.testing.FakeProvider, in a child process, so that its server and
callback sender do not share the runs' GIL): n generations through
`modelvault.run_async(wait=True, outputs=False)`, each way in a SQLite file of
its own, started at a steady --rate per second with at most --concurrency in
flight (a semaphore over asyncio.gather). The steady start is deliberate:
started all at once, the generations move in lockstep waves (same schedule,
same answers), and the bursts of a whole wave at once dominate every p99.
Every task takes D = the model's estimated_seconds at the provider. The
receiver is the stand-alone `python -m modelvault webhooks serve --no-copy`
(uvicorn, one process) on a loopback port, over the callback run's SQLite file.

  (1) provider requests per generation: every request the fake received / n.
      polling: no callback_base; the model's default schedule in real time (no
        clock scaling: D is a few seconds). The fake answers "pending" to the
        k polls the schedule makes before D (k from MODEL_CONFIG["polling"])
        and "succeeded" to the next one.
      callbacks: callback_base = the receiver. The fake completes each task D s
        after its submit and POSTs the signed webhook; the run waits, with the
        slow fallback schedule (first poll 60 s after the submit), re-reading
        its record every second, and returns once the receiver completed it.
      Target: callbacks <= 1.1. Checks: every run returns its record completed
      (wait=True), every record ends completed, each polled task got k+1 polls.
  (2) provider completion -> `completed` in the store, p50/p99, on the wall
      clock: the record's updated_at (stamped by the store as it writes the
      completion) minus the provider's completion.
      callbacks: the fake's completion instant of the task (Delivery.completed_at).
      polling: the fake answers by poll count, so it has no completion instant;
        a task finishing at any moment of the wait before the terminal poll
        gets the same answers, and real tasks finish at any phase of the
        schedule, so the completion is placed in that wait (from the answer of
        the previous request to the sending of the terminal poll, both timed
        by httpx event hooks) at a fixed, evenly spread fraction per generation.
  (3) receiver throughput, one process: n signed Replicate deliveries, each
      finishing a processing record of its own (signature, token, store
      compare-and-set), 32 keep-alive connections from this process (asyncio
      streams, requests encoded beforehand); deliveries per second and the
      receiver's CPU per delivery (/proc). Baseline: the same n POSTs to an
      unknown provider (404 after reading the body: HTTP + routing). --rounds
      interleaved rounds, the median shown (other work on the machine moves
      single rounds a lot).

Output copy MB/s is bench/bench_outputs.py's. Exits 0 whether the target
passes or fails; 1 when a check fails (the benchmark or the runtime is broken).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import hashlib
import json
import math
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

import modelvault
from modelvault.store import Generation, GenerationStatus, SQLiteStore
from modelvault.testing import Delivery, FakeProvider

MODEL_ID = "flux-schnell-replicate"
TARGET = 1.1
SENDERS = 32  # connections delivering to the receiver in (3)
PHASE = (math.sqrt(5) - 1) / 2  # golden ratio: evenly spread phases in (2)

# -- request timing (httpx event hooks) ----------------------------------------
_GENERATION: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "generation", default=None
)


@dataclass
class Exchange:
    method: str
    sent: float  # wall clock
    answered: float | None = None


@dataclass
class Trace:
    """The requests each generation's run made, in order (by its index)."""

    exchanges: dict[int, list[Exchange]] = field(default_factory=dict)

    async def on_request(self, request: httpx.Request) -> None:
        index = _GENERATION.get()
        if index is not None:
            exchange = Exchange(request.method, time.time())
            request.extensions["bench_exchange"] = exchange
            self.exchanges.setdefault(index, []).append(exchange)

    async def on_response(self, response: httpx.Response) -> None:
        exchange = response.request.extensions.get("bench_exchange")
        if isinstance(exchange, Exchange):
            exchange.answered = time.time()


# -- the fake, in its own process ----------------------------------------------
def _fake_main(conn: Connection, polls: int, delay: float) -> None:
    fake = FakeProvider("replicate", polls=polls, callback_delay_s=delay).start()
    conn.send((fake.base_url, fake.api_key, fake.webhook_secret))
    while True:
        command, count = conn.recv()
        answer: Any = None
        try:
            if command == "reset":
                fake.reset()
                fake.configure(polls=polls, callback_delay_s=delay)
            elif command == "phases":
                answer = Counter(str(r.phase) for r in fake.requests)
            elif command == "settle":  # the callbacks of `count` tasks delivered
                fake.wait_for_deliveries(count, timeout=delay + 120)
                fake.wait_callbacks_idle(timeout=120)
            elif command == "deliveries":
                answer = fake.deliveries
            elif command == "stop":
                fake.stop()
                conn.send((None, None))
                return
        except Exception as exc:  # reported in the parent, which goes on
            conn.send((None, f"{command}: {type(exc).__name__}: {exc}"))
            continue
        conn.send((answer, None))


class RemoteFake:
    """The Replicate fake in a child process, driven over a pipe."""

    def __init__(self, polls: int, delay: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_fake_main, args=(child, polls, delay), daemon=True
        )
        self._process.start()
        self.base_url, self.api_key, self.webhook_secret = self._conn.recv()

    def ask(self, command: str, count: int = 0) -> Any:
        self._conn.send((command, count))
        answer, error = self._conn.recv()
        if error is not None:
            raise RuntimeError(f"the fake failed: {error}")
        return answer

    def stop(self) -> None:
        if self._process.is_alive():
            self.ask("stop")
        self._process.join(timeout=10)


# -- the receiver, in its own process ------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """`python -m modelvault webhooks serve` over `db`, on a free loopback port
    (its log goes to `log`)."""

    def __init__(self, db: Path, secret: str, log: Path) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        env = {
            **os.environ,
            "REPLICATE_WEBHOOK_SECRET": secret,
            "MODELVAULT_FAL_JWKS_URL": f"http://127.0.0.1:{_free_port()}/jwks",
        }
        command = [sys.executable, "-m", "modelvault", "webhooks", "serve"]
        options = ["--port", str(port), "--db", str(db), "--no-copy"]
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [*command, *options, "--log-level", "warning"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.post(f"{self.base}/nobody/x", content=b"{}").status_code:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the receiver did not start:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def cpu_s(self) -> float:
        """User + system CPU seconds of the receiver process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)
        utime, stime = fields[1].split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- (1) and (2): n generations, one way ---------------------------------------
@dataclass
class Run:
    stored: list[Generation | None]  # as stored at the end, by generation index
    returned: Counter[str]  # status of the record each run_async returned
    errors: Counter[str]
    trace: Trace
    requests: Counter[str]  # at the fake, by phase
    wall_s: float


def _wall(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


@dataclass(frozen=True)
class Load:
    n: int  # generations
    limit: int  # at most this many in flight
    rate: float  # arrivals per second


async def generations(
    fake: RemoteFake, store: SQLiteStore, load: Load, base: str | None
) -> tuple[list[Generation | BaseException], Trace]:
    trace = Trace()
    gate = asyncio.Semaphore(load.limit)
    hooks: Mapping[str, list[Any]] = {
        "request": [trace.on_request],
        "response": [trace.on_response],
    }
    from modelvault._http import LIMITS  # noqa: PLC0415 - the runtime's own limits

    async with httpx.AsyncClient(limits=LIMITS, event_hooks=hooks) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def one(i: int) -> Generation:
            await asyncio.sleep(max(0.0, start + i / load.rate - loop.time()))
            async with gate:
                _GENERATION.set(i)
                return await modelvault.run_async(
                    MODEL_ID,
                    {"prompt": f"a red fox in the snow, number {i}"},
                    api_key=fake.api_key,
                    base_url=fake.base_url,
                    store=store,
                    client=client,
                    wait=True,
                    callback_base=base,
                    outputs=False,
                )

        results = await asyncio.gather(
            *(one(i) for i in range(load.n)), return_exceptions=True
        )
    return list(results), trace


def run_mode(fake: RemoteFake, db: Path, load: Load, base: str | None) -> Run:
    store = SQLiteStore(db)
    started = time.perf_counter()
    results, trace = asyncio.run(generations(fake, store, load, base))
    if base is not None:  # runs may return before their callback: wait for it
        fake.ask("settle", load.n)
    wall = time.perf_counter() - started
    returned: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    ids: list[str | None] = []
    for result in results:
        if isinstance(result, BaseException):
            errors[type(result).__name__] += 1
            ids.append(None)
        else:
            returned[str(result.status)] += 1
            ids.append(result.id)
    stored = [None if i is None else store.get_generation(i) for i in ids]
    store.close()
    requests: Counter[str] = fake.ask("phases")
    return Run(stored, returned, errors, trace, requests, wall)


def schedule_polls_before(polling: Mapping[str, Any], seconds: float) -> int:
    """How many polls the model's default schedule makes before `seconds`."""
    at, count = float(polling["first_delay_s"]), 0
    while at < seconds:
        count += 1
        every = polling["then_every_s"]
        for band in polling["bands"]:
            if at < band["until_s"]:
                every = band["every_s"]
                break
        at += float(every)
    return count


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def p50_p99(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return f"p50 {_ms(percentile(values, 0.5))}  p99 {_ms(percentile(values, 0.99))}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms" if abs(seconds) < 1 else f"{seconds:7.3f} s "


@dataclass
class PollTiming:
    total: list[float] = field(default_factory=list)  # completion -> store
    wait: list[float] = field(default_factory=list)  # before the terminal poll
    exchange: list[float] = field(default_factory=list)  # the terminal poll
    tail: list[float] = field(default_factory=list)  # its answer -> store
    wrong: int = 0  # runs that did not make 1 + k + 1 requests


def poll_latencies(run: Run, k: int) -> PollTiming:
    timing = PollTiming()
    for index, record in enumerate(run.stored):
        exchanges = run.trace.exchanges.get(index, [])
        if len(exchanges) != k + 2 or any(e.answered is None for e in exchanges):
            timing.wrong += 1
            continue
        if record is None:
            continue
        before, terminal = exchanges[k], exchanges[k + 1]
        assert before.answered is not None and terminal.answered is not None
        phase = (index * PHASE) % 1.0
        completed = before.answered + phase * (terminal.sent - before.answered)
        stored = _wall(record.updated_at)
        timing.total.append(stored - completed)
        timing.wait.append(terminal.sent - before.answered)
        timing.exchange.append(terminal.answered - terminal.sent)
        timing.tail.append(stored - terminal.answered)
    return timing


@dataclass
class CallbackTiming:
    total: list[float] = field(default_factory=list)  # completion -> store
    send_lag: list[float] = field(default_factory=list)  # completion -> sent
    answer: list[float] = field(default_factory=list)  # sent -> 2xx received
    attempts: int = 0
    refused: Counter[str] = field(default_factory=Counter)


def callback_latencies(run: Run, deliveries: Sequence[Delivery]) -> CallbackTiming:
    timing = CallbackTiming(attempts=len(deliveries))
    first_ok: dict[str, Delivery] = {}
    for delivery in deliveries:
        if delivery.ok:
            first_ok.setdefault(delivery.task_id, delivery)
        else:
            timing.refused[str(delivery.status or delivery.error)] += 1
    for record in filter(None, run.stored):
        found = first_ok.get(record.provider_task_id or "")
        if found is None or found.completed_mono is None:
            continue
        completed_at = found.completed_at
        assert completed_at is not None
        timing.total.append(_wall(record.updated_at) - completed_at)
        timing.send_lag.append(found.sent_mono - found.completed_mono)
        timing.answer.append(found.answered_mono - found.sent_mono)
    return timing


# -- (3) receiver throughput ---------------------------------------------------
@dataclass
class Blast:
    per_s: float
    cpu_ms: float  # receiver CPU per delivery
    receiver_cpu: float  # receiver CPU / wall
    sender_cpu: float  # this process's CPU / wall
    statuses: Counter[int]
    results: Counter[str]


Request = tuple[str, dict[str, str], bytes]  # path, headers, body


async def _connection(
    port: int, queue: list[bytes], statuses: Counter[int], results: Counter[str]
) -> None:
    """Send queued requests one after another on one keep-alive connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            writer.write(queue.pop())
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = json.loads(await reader.readexactly(length))
            statuses[status] += 1
            results[str(answer.get("result", "-"))] += 1
    finally:
        writer.close()


def blast(receiver: Receiver, requests: Sequence[Request]) -> Blast:
    """POST every request over SENDERS keep-alive connections (asyncio streams
    and requests encoded beforehand: a sender far cheaper than the receiver)."""
    port = int(receiver.base.rsplit(":", 1)[1])
    queue = [
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
        for path, headers, body in reversed(requests)
    ]
    statuses: Counter[int] = Counter()
    results: Counter[str] = Counter()

    async def send_all() -> None:
        await asyncio.gather(
            *(_connection(port, queue, statuses, results) for _ in range(SENDERS))
        )

    cpu0, mine0, t0 = receiver.cpu_s(), time.process_time(), time.perf_counter()
    asyncio.run(send_all())
    elapsed = time.perf_counter() - t0
    used = receiver.cpu_s() - cpu0
    return Blast(
        per_s=len(requests) / elapsed,
        cpu_ms=used / len(requests) * 1000,
        receiver_cpu=used / elapsed,
        sender_cpu=(time.process_time() - mine0) / elapsed,
        statuses=statuses,
        results=results,
    )


def processing_records(
    store: SQLiteStore, n: int, prefix: str
) -> list[tuple[str, str, str]]:
    """n processing generations awaiting a callback: (id, task id, token)."""
    module = modelvault.get(MODEL_ID)
    made = []
    for i in range(n):
        gen_id, task_id = f"{prefix}-{i:05d}", f"tp{secrets.token_hex(10)}"
        token = secrets.token_urlsafe(32)
        store.create_generation(
            {
                "id": gen_id,
                "model_id": MODEL_ID,
                "model_record_id": module.MODEL_CONFIG["record_id"],
                "inputs": {"prompt": f"throughput {i}"},
                "cost": "0.3",
                "callback_token_sha256": hashlib.sha256(token.encode()).hexdigest(),
            }
        )
        store.update_generation(
            gen_id, {"status": "processing", "provider_task_id": task_id}
        )
        made.append((gen_id, task_id, token))
    return made


def signed(secret: str, template: Any, task_id: str) -> tuple[dict[str, str], bytes]:
    text = json.dumps({**template, "id": task_id}, separators=(",", ":"))
    msg_id = f"msg_{secrets.token_hex(12)}"
    stamp = datetime.fromtimestamp(int(time.time()), UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, text),
        "content-type": "application/json",
    }
    return headers, text.encode()


@dataclass
class Throughput:
    floor: list[Blast] = field(default_factory=list)
    verified: list[Blast] = field(default_factory=list)
    records: int = 0
    completed: int = 0


def throughput(
    receiver: Receiver, db: Path, secret: str, template: Any, *, n: int, rounds: int
) -> Throughput:
    """`rounds` interleaved rounds of n floor POSTs, then n verified deliveries
    to n fresh processing records."""
    found = Throughput()
    store = SQLiteStore(db)
    plain = {"content-type": "application/json"}
    for round_ in range(rounds):
        made = processing_records(store, n, f"bench-tp{round_}")
        floor: list[Request] = [(f"/nobody/{g}", plain, b"{}") for g, _, _ in made]
        verified: list[Request] = []
        for gen_id, task_id, token in made:
            headers, body = signed(secret, template, task_id)
            verified.append((f"/replicate/{gen_id}?token={token}", headers, body))
        found.floor.append(blast(receiver, floor))
        found.verified.append(blast(receiver, verified))
        found.records += n
        found.completed += sum(
            1
            for gen_id, _, _ in made
            if (r := store.get_generation(gen_id))
            and r.status is GenerationStatus.COMPLETED
        )
    store.close()
    return found


# -- report ----------------------------------------------------------------------
def _per_gen(run: Run, n: int) -> str:
    total = sum(run.requests.values())
    polls = run.requests.get("poll", 0)
    submits = run.requests.get("submit", 0)
    return (
        f"{total / n:6.3f}  (submits {submits / n:.3f} + polls {polls / n:.3f}; "
        f"{total} requests)  wall {run.wall_s:5.1f} s"
    )


def _checks(name: str, run: Run, n: int) -> list[str]:
    problems = []
    if run.errors:
        problems.append(f"{name}: runs raised {dict(run.errors)}")
    if run.returned.get("completed", 0) != n:
        early = {k: v for k, v in run.returned.items() if k != "completed"}
        problems.append(
            f"{name}: run_async(wait=True) returned {run.returned.get('completed', 0)}"
            f"/{n} records completed, the others {early}: they returned before "
            "the generation ended"
        )
    done = sum(1 for r in run.stored if r and r.status is GenerationStatus.COMPLETED)
    if done != n:
        problems.append(f"{name}: {done}/{n} records completed in the store")
    return problems


def report_requests(polled: Run, called: Run, n: int) -> None:
    ratio = sum(called.requests.values()) / n
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    if called.returned.get("completed", 0) != n:
        verdict += (
            " (but runs returned before their callback, so no fallback poll "
            "could happen: see the failed check)"
        )
    print("(1) provider requests per generation (all requests at the fake / n)")
    print(f"    polling   (default schedule)     {_per_gen(polled, n)}")
    print(f"    callbacks (fallback schedule)    {_per_gen(called, n)}")
    print(
        f"    callbacks {ratio:.3f} vs polling "
        f"{sum(polled.requests.values()) / n:.3f}; target callbacks <= "
        f"{TARGET}: {verdict}\n"
    )


def report_latency(
    polled: Run, called: Run, deliveries: Sequence[Delivery], k: int
) -> list[str]:
    polls = poll_latencies(polled, k)
    timing = callback_latencies(called, deliveries)
    rows = [
        ("polling", polls.total, f"({len(polls.total)} generations)"),
        ("  the wait before the terminal poll", polls.wait, "(answer -> send)"),
        ("  the terminal poll, sent -> answered", polls.exchange, "(pool + fake)"),
        ("  terminal poll answered -> stored", polls.tail, ""),
        ("callbacks", timing.total, f"({len(timing.total)} generations)"),
        ("  the fake's sender lag", timing.send_lag, "(completion -> send)"),
        ("  delivery sent -> receiver's 2xx back", timing.answer, ""),
    ]
    print("(2) provider completion -> completed in the store (updated_at)")
    for name, values, note in rows:
        print(f"    {name:42} {p50_p99(values)}  {note}")
    print(
        f"    {timing.attempts} callback delivery attempts; refused or failed: "
        f"{dict(timing.refused) or 'none'}\n"
    )
    if polls.wrong:
        return [f"polling: {polls.wrong} runs did not make 1 + {k + 1} requests"]
    return []


def _median(blasts: list[Blast]) -> Blast:
    return sorted(blasts, key=lambda b: b.per_s)[len(blasts) // 2]


def report_throughput(found: Throughput, n: int) -> list[str]:
    print(
        "(3) receiver throughput, one process (`modelvault webhooks serve`): "
        f"{len(found.verified)} rounds of {n} POSTs over {SENDERS} keep-alive "
        "connections; the median round"
    )
    for name, blasts in (
        ("unknown provider (404: HTTP floor)", found.floor),
        ("verified, finished (200)", found.verified),
    ):
        mid = _median(blasts)
        rounds = " ".join(f"{b.per_s:.0f}" for b in blasts)
        print(
            f"    {name:34} {mid.per_s:6.0f}/s  receiver CPU {mid.cpu_ms:4.2f} ms "
            f"each ({mid.receiver_cpu:.2f} of a core; sender "
            f"{mid.sender_cpu:.2f})  rounds: {rounds}/s"
        )
    ratio = _median(found.verified).per_s / _median(found.floor).per_s
    print(f"    verified callbacks/s = {ratio:.2f} x the floor\n")
    statuses: Counter[int] = sum((b.statuses for b in found.verified), Counter())
    results: Counter[str] = sum((b.results for b in found.verified), Counter())
    if found.completed != found.records or results.get("finished", 0) != found.records:
        return [
            f"throughput: {found.completed}/{found.records} records completed, "
            f"answers {dict(statuses)} {dict(results)}"
        ]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=250)
    parser.add_argument("--rate", type=float, default=50.0, help="arrivals per second")
    parser.add_argument("--rounds", type=int, default=3, help="of (3)")
    options = parser.parse_args(argv)
    n = options.n
    load = Load(n, options.concurrency, options.rate)
    config = modelvault.get(MODEL_ID).MODEL_CONFIG
    delay = float(config["estimated_seconds"])
    k = schedule_polls_before(config["polling"], delay)
    print("modelvault callbacks bench")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(
        f"{MODEL_ID} x {n}: {load.rate:g} started per second, at most "
        f"{load.limit} in flight; each task takes {delay:g} s at the Replicate "
        "fake (the model's estimated_seconds); SQLite stores\n"
    )
    problems: list[str] = []
    said = ""
    fake = RemoteFake(k, delay)
    receiver: Receiver | None = None
    try:
        with TemporaryDirectory(prefix="mv-bench-callbacks-") as folder:
            db = Path(folder) / "callbacks.sqlite3"
            log = Path(folder) / "receiver.log"
            receiver = Receiver(db, fake.webhook_secret, log)
            polled = run_mode(fake, Path(folder) / "polling.sqlite3", load, None)
            fake.ask("reset")
            called = run_mode(fake, db, load, receiver.base)
            deliveries: list[Delivery] = fake.ask("deliveries")
            problems += _checks("polling", polled, n) + _checks("callbacks", called, n)
            report_requests(polled, called, n)
            problems += report_latency(polled, called, deliveries, k)
            template = next((d.json for d in deliveries if d.ok), None)
            if template is None:
                raise SystemExit("bench: no callback was delivered; nothing to replay")
            found = throughput(
                receiver, db, fake.webhook_secret, template, n=n, rounds=options.rounds
            )
            problems += report_throughput(found, n)
            receiver.stop()
            said = "\n".join(
                line
                for line in receiver.tail().splitlines()
                if line.strip() and not line.startswith("modelvault webhooks: POST")
            )
    finally:
        if receiver is not None:
            receiver.stop()
        fake.stop()
    print("(info) output copy MB/s: python bench/bench_outputs.py")
    if said:
        print(f"the receiver's log (warnings and above), last part:\n{said}")
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

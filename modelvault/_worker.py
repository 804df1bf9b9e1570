"""`Worker`: a long-running poller that finishes what web requests submitted
with `run(..., wait=False)`, sharing the work with every other worker on the
same store.

It claims unfinished generations in batches (`claim_unfinished`: on PostgreSQL
`FOR UPDATE SKIP LOCKED`, on SQLite a conditional update), and polls each with
its model file's own `resume` and schedule, on a thread of its own (model files
wait with `sleep`, and their async twins still write to the store without
awaiting, so threads keep the database off any event loop). The lease is
renewed while polling through the model file's progress callback, exactly as
`resume` does (the same pieces: `session_for`-style SessionStore, `_poll`,
`translated`). `stop()` (SIGTERM) stops claiming and lets held generations go
on until the drain deadline, then interrupts their waits and releases their
leases; a SIGKILLed worker's leases simply expire and another worker takes
over, without a second submit (workers never submit) and without a second
finish (terminal writes are compare-and-set).

A generation that cannot be finished now (no key, provider down, polling
limit reached) is parked: its lease is kept for `retry_after_s`, then any
worker tries again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from modelvault._api import get
from modelvault._durable import Outputs, copy_generation
from modelvault._http import LIMITS, shared_client
from modelvault._leases import lease_ttl_s, process_owner
from modelvault._resume import _Options, _poll, fail_submit_unknown, key_for
from modelvault._run import Clock
from modelvault._session import SessionStore
from modelvault._worker_parts import (
    EventLog,
    StoppableClock,
    Tally,
    Watched,
    WorkerStoppedError,
    generation_fields,
)
from modelvault.errors import (
    LeaseLostError,
    ModelVaultError,
    ProviderError,
    StoreError,
)
from modelvault.store import Generation, GenerationStore


@dataclass
class WorkerOptions:
    """How a worker runs. `models`: the model ids it serves (None: any).
    `lease_ttl_s`: None takes the longest lease the served models need.
    `speedup` > 1 makes waits pass faster (the bundled fakes only).
    `outputs`: where completed outputs are copied; free slots also take copies
    that are pending, failed or stale (retried after `retry_after_s`)."""

    concurrency: int = 8
    models: Collection[str] | None = None
    once: bool = False
    drain_s: float = 30.0
    idle_s: float = 1.0
    retry_after_s: float = 60.0
    lease_ttl_s: float | None = None
    api_key: str | None = None
    api_keys: Mapping[str, str] = field(default_factory=dict)
    base_urls: Mapping[str, str] = field(default_factory=dict)
    speedup: float = 1.0
    owner: str | None = None
    # Copy completed outputs here (and retry failed copies); None: no copying.
    outputs: Outputs | None = None


class Worker:
    """Claims, polls and finishes generations until stopped (or, with
    `once`, until nothing claimable is left). Thread-safe `stop()`/`abort()`."""

    def __init__(
        self,
        store: GenerationStore,
        options: WorkerOptions | None = None,
        *,
        log: EventLog | None = None,
    ) -> None:
        self.store = store
        self.options = options or WorkerOptions()
        if self.options.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.owner = self.options.owner or process_owner()
        self.log = log or EventLog()
        self.tally = Tally()
        self.ttl_s = self.options.lease_ttl_s or _longest_lease(self.options.models)
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._wake = threading.Event()
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._attempts: Counter[str] = Counter()
        self._drain_deadline: float | None = None
        # One client for every thread (httpx.Client is thread-safe): a client
        # per thread would cost a connection pool and an SSL context each.
        self._http: httpx.Client | None = None

    # --- control ---------------------------------------------------------------

    def stop(self, drain_s: float | None = None) -> None:
        """Stop claiming; finish what is held within the drain deadline."""
        if not self._stopping.is_set():
            wait = self.options.drain_s if drain_s is None else drain_s
            self._drain_deadline = time.monotonic() + wait
            self._stopping.set()
        self._wake.set()

    def abort(self) -> None:
        """Stop now: interrupt every wait, release every lease."""
        self.stop(0)
        self._abort.set()

    # --- the loop --------------------------------------------------------------

    def run(self) -> Tally:
        options = self.options
        self.log(
            "worker_started",
            worker=self.owner,
            concurrency=options.concurrency,
            models=None if options.models is None else sorted(options.models),
            lease_ttl_s=self.ttl_s,
            once=options.once,
        )
        started = time.monotonic()
        batch_min = max(1, options.concurrency // 8)
        last_claim = 0.0
        self._http = httpx.Client(limits=LIMITS)
        with (
            self._http,
            ThreadPoolExecutor(options.concurrency, "modelvault-worker") as pool,
        ):
            while not self._stopping.is_set():
                self._wake.clear()
                with self._lock:
                    free = options.concurrency - len(self._active)
                idle_for = time.monotonic() - last_claim
                if free < batch_min and not (free and idle_for >= options.idle_s):
                    self._wake.wait(options.idle_s)
                    continue
                last_claim = time.monotonic()
                claimed = self._claim(free)
                if claimed is None:  # the store is down: try again shortly
                    self._wake.wait(options.idle_s)
                    continue
                copies = self._claim_copies(free - len(claimed))
                for record in claimed:
                    with self._lock:
                        self._active.add(record.id)
                    future = pool.submit(self._follow, record)
                    future.add_done_callback(self._finished_one(record.id))
                for record in copies:
                    with self._lock:
                        self._active.add(record.id)
                    future = pool.submit(self._copy, record)
                    future.add_done_callback(self._finished_one(record.id))
                with self._lock:
                    idle = not self._active
                if options.once and not claimed and not copies and idle:
                    break
                if len(claimed) + len(copies) < free:  # nothing more to claim now
                    self._wake.wait(options.idle_s)
            self._drain()
        self.log(
            "worker_stopped",
            worker=self.owner,
            elapsed_s=round(time.monotonic() - started, 3),
            **self.tally.as_fields(),
        )
        return self.tally

    def _claim(self, free: int) -> list[Generation] | None:
        try:
            return self.store.claim_unfinished(
                self.owner, self.ttl_s, limit=free, model_ids=self.options.models
            )
        except StoreError as exc:
            self.tally.add("store_errors")
            self.log("store_error", worker=self.owner, message=str(exc))
            return None

    def _claim_copies(self, free: int) -> list[Generation]:
        if self.options.outputs is None or free <= 0 or self._stopping.is_set():
            return []
        try:
            return self.store.claim_output_copies(
                limit=free, stale_after_s=self.options.retry_after_s
            )
        except StoreError as exc:
            self.tally.add("store_errors")
            self.log("store_error", worker=self.owner, message=str(exc))
            return []

    def _copy(self, record: Generation) -> None:
        assert self.options.outputs is not None
        try:
            done = copy_generation(
                self.store, record, self.options.outputs, claimed=True
            )
        except Exception as exc:  # left "copying": it goes stale and is retried
            self.tally.add("copy_errors")
            self.log("copy_error", worker=self.owner, id=record.id, message=str(exc))
            return
        state = done.output_state.value if done.output_state else "-"
        self.tally.copied(state)
        self.log("copied", worker=self.owner, id=record.id, output_state=state)

    def _drain(self) -> None:
        deadline = self._drain_deadline or time.monotonic()
        with self._lock:
            held = len(self._active)
        if held:
            self.log("worker_draining", worker=self.owner, held=held)
        while True:
            with self._lock:
                if not self._active:
                    return
            left = deadline - time.monotonic()
            if left <= 0:
                self._abort.set()  # interrupt every wait: the leases get released
                return
            self._wake.clear()
            self._wake.wait(min(left, 0.5))

    def _finished_one(self, generation_id: str) -> Any:
        def done(_: Future[None]) -> None:
            with self._lock:
                self._active.discard(generation_id)
            self._wake.set()

        return done

    # --- one generation ----------------------------------------------------------

    def _follow(self, record: Generation) -> None:
        with self._lock:
            self._attempts[record.id] += 1
            attempt = self._attempts[record.id]
        fields = generation_fields(record, attempt)
        self.tally.add("claimed")
        self.log("claimed", worker=self.owner, **fields)
        watched = Watched(self.store)
        polls = [0]
        keep_lease = False
        try:
            self._poll(record, watched, polls)
        except WorkerStoppedError:
            self.tally.add("released")
            self.log("released", worker=self.owner, reason="drain", **fields)
        except LeaseLostError:
            keep_lease = True  # it is not ours any more
            self.tally.add("lease_lost")
            self.log("lease_lost", worker=self.owner, **fields)
        except ProviderError as exc:
            if exc.resumable:
                keep_lease = self._park(record, fields, str(exc))
        except StoreError as exc:  # parked, not released: no hot loop on it
            self.tally.add("store_errors")
            keep_lease = self._park(record, fields, str(exc))
        except ModelVaultError as exc:
            keep_lease = self._park(record, fields, str(exc))
        except Exception as exc:  # one broken record must not stop the worker
            message = f"unexpected {type(exc).__name__}: {exc}"
            keep_lease = self._park(record, fields, message)
        finally:
            if not keep_lease:
                self._release(record.id)
        if watched.finished is not None:
            self.tally.finish(watched.finished)
            fields["status"] = watched.finished
            self.log("finished", worker=self.owner, polls=polls[0], **fields)
        elif self._quiet_status(record.id) in ("completed", "failed", "cancelled"):
            self.tally.add("already_finished")
            self.log("already_finished", worker=self.owner, **fields)

    def _poll(self, record: Generation, watched: Watched, polls: list[int]) -> None:
        module = get(record.model_record_id)
        options = self.options
        key = key_for(module, options.api_keys, options.api_key)
        session = self._session(watched, key)
        session.token_sha256 = record.callback_token_sha256
        if record.provider_task_id is None:
            # Its lease expired before a task id was stored: the submitting
            # process died mid-submit (as `resume` decides).
            fail_submit_unknown(watched, record.id)
            return
        clock = StoppableClock(self._abort, options.speedup)

        def progress(rec: Generation, state: str, elapsed: float, nxt: float) -> None:
            polls[0] += 1
            self.tally.add("polls")

        poll_options = _Options(
            store=watched,
            http=self._http or shared_client(),
            api_key=key,
            api_keys={},
            base_url=None,
            base_urls=options.base_urls,
            timeout=None,
            on_progress=progress,
            clock=Clock(monotonic=clock.monotonic, sleep=clock.sleep),
        )
        _poll(module, record, key, session, poll_options)

    def _release(self, generation_id: str) -> None:
        """Give the lease up; failing to is harmless (it expires)."""
        try:
            self.store.release_lease(generation_id, self.owner)
        except StoreError as exc:
            self.log("store_error", worker=self.owner, message=str(exc))

    def _session(self, watched: Watched, key: str) -> SessionStore:
        session = SessionStore(watched, key, self.owner, self.ttl_s)
        session.copy_outputs = self.options.outputs is not None
        return session

    def _park(self, record: Generation, fields: dict[str, Any], why: str) -> bool:
        """Keep the lease for retry_after_s: no worker retries it before then."""
        self.tally.add("parked")
        self.log(
            "parked",
            worker=self.owner,
            retry_in_s=self.options.retry_after_s,
            message=why[:500],
            **fields,
        )
        try:
            parked = self.store.claim_generation(
                record.id, self.owner, self.options.retry_after_s
            )
        except StoreError:
            return False
        return parked is not None

    def _quiet_status(self, generation_id: str) -> str | None:
        try:
            record = self.store.get_generation(generation_id)
        except StoreError:
            return None
        return None if record is None else record.status.value


def _longest_lease(models: Collection[str] | None) -> float:
    """The lease every served model's schedule needs (see `lease_ttl_s`)."""
    from modelvault._api import list_models  # noqa: PLC0415

    ids = set(models) if models is not None else None
    longest = 0.0
    for info in list_models():
        if ids is None or info.id in ids:
            longest = max(longest, lease_ttl_s(get(info.id).MODEL_CONFIG))
    return longest or lease_ttl_s({})

"""Callback deliveries: who sends them, when, and the record of each attempt.

A `Courier` keeps one chain of pending events per task (a Replicate prediction
may have start, logs, output and completed events; a Runware batch one delivery
per result item) and sends them in order from daemon worker threads, over real
HTTP (http.client: no redirects are followed, as a provider would not). A
non-2xx answer or a connection error is retried after `retry_delay * 2**n`,
`retries` times, with the same body and event id and a fresh timestamp (and
signature); the next event of that task waits until then, so a receiver sees
a task's events in order.

What the providers document about retries: fal retries a failed delivery 10
times over 2 hours (docs.fal.ai/model-apis/model-endpoints/webhooks, "Retry
policy"); Runware retries a non-2xx answer automatically, schedule not given
(runware.ai/docs/platform/webhooks); Replicate says a slow or failed endpoint
"might be retried" and keeps the webhook-id on resends
(replicate.com/docs/topics/webhooks/receive-webhook, verify-webhook); kie.ai
gives a 15 s timeout and no retry schedule
(docs.kie.ai/veo3-api/generate-veo-3-video-callbacks).
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import queue
import secrets
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# (task id, event) -> (bodies to deliver, the task's completion time or None)
Render = Callable[[str, str], tuple[list[bytes], float | None]]
# (task id, body, event id, timestamp) -> signature headers
Sign = Callable[[str, bytes, str, int], dict[str, str]]
# -> (retries, first retry delay, timeout)
Policy = Callable[[], tuple[int, float, float]]

_ANSWER_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt as the fake sent it.

    `completed_mono` is when the task completed (the provider's side; monotonic
    clock) for completion events, so `answered_mono - completed_mono` and a
    receiver's own store timestamps give callback latency. `status` is the
    receiver's HTTP answer (None when no answer came; `error` says why).
    """

    index: int
    task_id: str
    event: str
    url: str
    headers: dict[str, str]
    body: bytes
    event_id: str
    timestamp: int
    attempt: int
    status: int | None
    error: str | None
    sent_at: float
    sent_mono: float
    answered_mono: float
    completed_mono: float | None
    redelivery_of: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def completed_at(self) -> float | None:
        """The task's completion on the wall clock (from `completed_mono`)."""
        if self.completed_mono is None:
            return None
        return self.sent_at - (self.sent_mono - self.completed_mono)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[int | None, str | None]:
    """POST `body` to `url`; (HTTP status, None) or (None, why no answer came)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None, f"not an http(s) URL: {url!r}"
    try:
        port = parts.port
    except ValueError as exc:
        return None, f"bad port in {url!r}: {exc}"
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl_context or ssl.create_default_context()
        conn = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(_ANSWER_LIMIT)
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


@dataclass
class _Pending:
    event: str
    due: float
    body: bytes | None = None
    event_id: str = ""
    attempt: int = 1
    completed_mono: float | None = None


@dataclass
class _Chain:
    task_id: str
    url: str
    items: deque[_Pending] = field(default_factory=deque)
    busy: bool = False


class Courier:
    """Sends one fake's callbacks (see the module docstring)."""

    def __init__(
        self,
        render: Render,
        sign: Sign,
        policy: Policy,
        *,
        base_headers: dict[str, str],
        workers: int = 8,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._render, self._sign, self._policy = render, sign, policy
        self._base_headers = dict(base_headers)
        self._workers = max(1, workers)
        self._ssl_context = ssl_context
        self._cond = threading.Condition()
        self._chains: dict[str, _Chain] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._ready: queue.Queue[_Chain | None] = queue.Queue()
        self._deliveries: list[Delivery] = []
        self._threads: list[threading.Thread] = []
        self._running = False
        self._name = "callbacks"

    # -- lifecycle ---------------------------------------------------------------
    def start(self, name: str) -> None:
        """Accept events; the threads start with the first tracked task."""
        with self._cond:
            self._running, self._name = True, name

    def _spawn(self) -> None:
        """Under the lock: start the scheduler and senders if not yet running."""
        if self._threads or not self._running:
            return
        name = self._name
        self._threads = [
            threading.Thread(target=self._schedule, name=f"{name}-sched", daemon=True)
        ] + [
            threading.Thread(target=self._work, name=f"{name}-send{i}", daemon=True)
            for i in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop sending; pending events are dropped (daemon threads: a POST
        under way finishes or times out on its own)."""
        with self._cond:
            if not self._running:
                return
            self._running = False
            self._chains.clear()
            self._heap.clear()
            self._cond.notify_all()
            threads, self._threads = self._threads, []
            ready, self._ready = self._ready, queue.Queue()
        for _ in threads:
            ready.put(None)
        for thread in threads:
            thread.join(timeout=0.2)

    def reset(self) -> None:
        """Forget pending events and recorded deliveries."""
        with self._cond:
            self._chains.clear()
            self._heap.clear()
            self._deliveries.clear()
            self._cond.notify_all()

    # -- scheduling ----------------------------------------------------------------
    def track(self, task_id: str, url: str, plan: list[tuple[str, float]]) -> None:
        """Deliver `plan` (event, due on the monotonic clock) for a task, in order."""
        if not plan:
            return
        with self._cond:
            self._spawn()
            chain = _Chain(task_id, url, deque(_Pending(e, due) for e, due in plan))
            self._chains[task_id] = chain
            self._push(chain)

    def expedite(self, task_id: str, events: tuple[str, ...], due: float) -> None:
        """Bring the task's pending `events` forward to `due` (a cancel)."""
        with self._cond:
            chain = self._chains.get(task_id)
            if chain is None:
                return
            for item in chain.items:
                if item.event in events and item.body is None:
                    item.due = min(item.due, due)
            if not chain.busy:
                self._push(chain)

    def _push(self, chain: _Chain) -> None:
        if chain.items:
            heapq.heappush(
                self._heap, (chain.items[0].due, next(self._seq), chain.task_id)
            )
            self._cond.notify_all()

    def _schedule(self) -> None:
        with self._cond:
            while self._running:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, _, task_id = heapq.heappop(self._heap)
                    chain = self._chains.get(task_id)
                    if (
                        chain is not None
                        and not chain.busy
                        and chain.items
                        and chain.items[0].due <= now
                    ):
                        chain.busy = True
                        self._ready.put(chain)
                wait = self._heap[0][0] - now if self._heap else None
                self._cond.wait(timeout=wait)

    def _work(self) -> None:
        ready = self._ready
        while True:
            chain = ready.get()
            if chain is None:
                return
            try:
                self._advance(chain)
            finally:
                with self._cond:
                    chain.busy = False
                    if self._chains.get(chain.task_id) is chain:
                        if chain.items:
                            self._push(chain)
                        else:
                            del self._chains[chain.task_id]
                    self._cond.notify_all()

    def _advance(self, chain: _Chain) -> None:
        """Send the head event of `chain` once; keep it for a retry or drop it."""
        item = chain.items[0]
        if item.body is None:
            bodies, completed = self._render(chain.task_id, item.event)
            with self._cond:
                chain.items.popleft()
                for body in reversed(bodies):
                    chain.items.appendleft(
                        _Pending(
                            item.event,
                            item.due,
                            body,
                            "msg_" + secrets.token_hex(12),
                            completed_mono=completed,
                        )
                    )
            if not bodies:
                return
            item = chain.items[0]
        assert item.body is not None
        retries, delay, _ = self._policy()
        delivery = self._send(chain.task_id, chain.url, item)
        with self._cond:
            if delivery.ok or item.attempt > retries:
                chain.items.popleft()
            else:
                item.due = time.monotonic() + delay * 2 ** (item.attempt - 1)
                item.attempt += 1

    def _send(self, task_id: str, url: str, item: _Pending) -> Delivery:
        assert item.body is not None
        timestamp = int(time.time())
        headers = {
            **self._base_headers,
            **self._sign(task_id, item.body, item.event_id, timestamp),
        }
        return self.send(
            task_id=task_id,
            event=item.event,
            url=url,
            headers=headers,
            body=item.body,
            event_id=item.event_id,
            timestamp=timestamp,
            attempt=item.attempt,
            completed_mono=item.completed_mono,
        )

    # -- sending and records -------------------------------------------------------
    def send(
        self,
        *,
        task_id: str,
        event: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        event_id: str,
        timestamp: int,
        attempt: int,
        completed_mono: float | None,
        redelivery_of: int | None = None,
    ) -> Delivery:
        """POST one delivery now and record it."""
        _, _, timeout = self._policy()
        sent_at, sent_mono = time.time(), time.monotonic()
        status, error = post(
            url, body, headers, timeout=timeout, ssl_context=self._ssl_context
        )
        answered = time.monotonic()
        with self._cond:
            delivery = Delivery(
                index=len(self._deliveries),
                task_id=task_id,
                event=event,
                url=url,
                headers=dict(headers),
                body=body,
                event_id=event_id,
                timestamp=timestamp,
                attempt=attempt,
                status=status,
                error=error,
                sent_at=sent_at,
                sent_mono=sent_mono,
                answered_mono=answered,
                completed_mono=completed_mono,
                redelivery_of=redelivery_of,
            )
            self._deliveries.append(delivery)
            self._cond.notify_all()
        return delivery

    @property
    def base_headers(self) -> dict[str, str]:
        return dict(self._base_headers)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._deliveries)

    def delivery(self, index: int) -> Delivery:
        with self._cond:
            try:
                return self._deliveries[index]
            except IndexError:
                count = len(self._deliveries)
                raise IndexError(
                    f"no delivery {index}: {count} recorded so far"
                ) from None

    @property
    def pending(self) -> int:
        """Events not yet delivered (or still being retried)."""
        with self._cond:
            return sum(len(c.items) for c in self._chains.values())

    def wait_for(self, count: int, timeout: float) -> list[Delivery]:
        """Wait until `count` deliveries are recorded; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{len(self._deliveries)} of {count} callback deliveries "
                        f"after {timeout} s; pending events: "
                        f"{sum(len(c.items) for c in self._chains.values())}"
                    )
                self._cond.wait(timeout=left)
            return list(self._deliveries)

    def idle(self, timeout: float) -> None:
        """Wait until no event is pending (every chain delivered or given up)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._chains:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"callbacks still pending after {timeout} s")
                self._cond.wait(timeout=min(left, 0.05))

"""Callback scheduling: who sends a fake's callbacks, when, and how often.

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
import itertools
import queue
import secrets
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from modelvault.testing._deliveries import Delivery, post

# (task id, event) -> (bodies to deliver, the task's completion time or None)
Render = Callable[[str, str], tuple[list[bytes], float | None]]
# (task id, body, event id, timestamp) -> signature headers
Sign = Callable[[str, bytes, str, int], dict[str, str]]
# -> (retries, first retry delay, timeout)
Policy = Callable[[], tuple[int, float, float]]


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
    epoch: int = 0


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
        self._epoch = 0  # reset() and stop() start a new one: late sends go unrecorded
        self.errors: list[str] = []  # events dropped because rendering them failed

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
            self._epoch += 1
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
            self._epoch += 1
            self._chains.clear()
            self._heap.clear()
            self._deliveries.clear()
            self.errors.clear()
            self._cond.notify_all()

    # -- scheduling ----------------------------------------------------------------
    def track(self, task_id: str, url: str, plan: list[tuple[str, float]]) -> None:
        """Deliver `plan` (event, due on the monotonic clock) for a task, in order."""
        if not plan:
            return
        with self._cond:
            self._spawn()
            items = deque(_Pending(e, due) for e, due in plan)
            chain = _Chain(task_id, url, items, epoch=self._epoch)
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
            except Exception as exc:  # a broken event must not spin: drop it
                with self._cond:
                    if chain.items:
                        event = chain.items.popleft().event
                        self.errors.append(f"{chain.task_id} {event}: {exc!r}")
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
        delivery = self._send(chain, item)
        with self._cond:
            if delivery.ok or item.attempt > retries:
                chain.items.popleft()
            else:
                item.due = time.monotonic() + delay * 2 ** (item.attempt - 1)
                item.attempt += 1

    def _send(self, chain: _Chain, item: _Pending) -> Delivery:
        assert item.body is not None
        timestamp = int(time.time())
        headers = {
            **self._base_headers,
            **self._sign(chain.task_id, item.body, item.event_id, timestamp),
        }
        return self.send(
            task_id=chain.task_id,
            event=item.event,
            url=chain.url,
            headers=headers,
            body=item.body,
            event_id=item.event_id,
            timestamp=timestamp,
            attempt=item.attempt,
            completed_mono=item.completed_mono,
            epoch=chain.epoch,
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
        epoch: int | None = None,
    ) -> Delivery:
        """POST one delivery now and record it (unless it belongs to an `epoch`
        before the last reset or stop: index -1, not recorded)."""
        _, _, timeout = self._policy()
        sent_at, sent_mono = time.time(), time.monotonic()
        status, error = post(
            url, body, headers, timeout=timeout, ssl_context=self._ssl_context
        )
        answered = time.monotonic()
        with self._cond:
            current = epoch is None or epoch == self._epoch
            delivery = Delivery(
                index=len(self._deliveries) if current else -1,
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
            if current:
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

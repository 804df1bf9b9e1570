"""The pieces a worker is built from, free of its threads: structured log
lines, the store view that notices which generations this worker finished, a
clock whose waits end when the worker must stop, and the worker's tally."""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import IO, Any

from modelvault._redact import redact_text
from modelvault.store import TERMINAL, Generation, GenerationStore

_TERMINAL = frozenset(status.value for status in TERMINAL)


class WorkerStoppedError(Exception):
    """Raised inside a model file's wait once the drain deadline has passed:
    the generation is left unfinished (and its lease released) for another
    worker; nothing is lost."""


class EventLog:
    """One JSON object per line per event, flushed at once; every value passes
    through the redaction of every API key the worker knows."""

    def __init__(
        self, stream: IO[str] | None = None, secrets: Iterable[str] = ()
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.secrets = [s for s in secrets if s]
        self._lock = threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        line = json.dumps(
            {"ts": stamp.replace("+00:00", "Z"), "event": event, **fields},
            default=str,
        )
        for secret in self.secrets:
            line = redact_text(line, secret)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def generation_fields(record: Generation, attempt: int) -> dict[str, Any]:
    return {
        "generation_id": record.id,
        "model": record.model_id,
        "status": record.status.value,
        "attempt": attempt,
    }


class Watched:
    """A store that notes the terminal status this worker wrote, if any: the
    compare-and-set makes that write happen once per generation fleet-wide."""

    def __init__(self, store: GenerationStore) -> None:
        self.store = store
        self.finished: str | None = None

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self.store.create_generation(record)

    def update_generation(
        self,
        generation_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> None:
        self.store.update_generation(
            generation_id, changes, expected_version=expected_version
        )
        status = changes.get("status")
        if status is not None and str(status) in _TERMINAL:
            self.finished = str(status)

    def get_generation(self, generation_id: str) -> Generation | None:
        return self.store.get_generation(generation_id)

    def unfinished_generations(self) -> list[Generation]:
        return self.store.unfinished_generations()

    def claim_generation(
        self,
        generation_id: str,
        owner: str,
        ttl_s: float,
        *,
        take_over_from: str | None = None,
    ) -> Generation | None:
        return self.store.claim_generation(
            generation_id, owner, ttl_s, take_over_from=take_over_from
        )

    def claim_unfinished(
        self,
        owner: str,
        ttl_s: float,
        *,
        limit: int,
        model_ids: Collection[str] | None = None,
    ) -> list[Generation]:
        return self.store.claim_unfinished(
            owner, ttl_s, limit=limit, model_ids=model_ids
        )

    def renew_lease(self, generation_id: str, owner: str, ttl_s: float) -> bool:
        return self.store.renew_lease(generation_id, owner, ttl_s)

    def record_output_copy(
        self,
        generation_id: str,
        output_state: str,
        output_copy: Mapping[str, Any] | None,
        *,
        expected_version: int | None = None,
    ) -> Generation:
        return self.store.record_output_copy(
            generation_id, output_state, output_copy, expected_version=expected_version
        )

    def claim_output_copies(
        self, *, limit: int, stale_after_s: float
    ) -> list[Generation]:
        return self.store.claim_output_copies(limit=limit, stale_after_s=stale_after_s)

    def release_lease(self, generation_id: str, owner: str) -> None:
        self.store.release_lease(generation_id, owner)


class StoppableClock:
    """What one generation's model file waits with: `speedup` times faster than
    real time (the fakes), and interrupted (WorkerStoppedError) once `stop` is
    set. Each generation gets its own, as the skipped time is its own."""

    def __init__(self, stop: threading.Event, speedup: float = 1.0) -> None:
        self._stop = stop
        self._speedup = speedup
        self._skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        real = max(seconds, 0.0) / self._speedup
        if self._stop.wait(real):
            raise WorkerStoppedError("the worker's drain deadline passed")
        self._skipped += max(seconds, 0.0) - real


@dataclass
class Tally:
    """What one worker did (the `worker_stopped` event)."""

    claimed: int = 0
    finished: Counter[str] = field(default_factory=Counter)
    already_finished: int = 0
    released: int = 0
    parked: int = 0
    lease_lost: int = 0
    store_errors: int = 0
    polls: int = 0
    copies: Counter[str] = field(default_factory=Counter)  # by output_state
    copy_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def finish(self, status: str) -> None:
        with self._lock:
            self.finished[status] += 1

    def copied(self, output_state: str) -> None:
        with self._lock:
            self.copies[output_state] += 1

    def as_fields(self) -> dict[str, Any]:
        names = [f.name for f in fields(self) if not f.name.startswith("_")]
        with self._lock:
            data = {name: getattr(self, name) for name in names}
        data["finished"] = dict(self.finished)
        data["copies"] = dict(self.copies)
        data["peak_rss_kb"] = peak_rss_kb()
        return data


def peak_rss_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def counting(tally: Tally) -> Callable[[Generation, str, float, float], None]:
    """A resume progress callback counting polls (a model file reports once
    before each poll)."""

    def progress(record: Generation, state: str, elapsed: float, nxt: float) -> None:
        tally.add("polls")

    return progress

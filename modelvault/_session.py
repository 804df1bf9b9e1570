"""What a model file writes through while this process runs or polls a
generation: every write redacted, the record leased to this process.

The creator's lease is taken in the same write that creates the record, so no
other process can mistake a submit in flight for an abandoned one; it is renewed
while polling (through the model file's progress callback) and released when
this process stops following the generation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from modelvault._redact import redact, redact_token
from modelvault.errors import LeaseLostError
from modelvault.store import TERMINAL, Generation, GenerationStore, OutputState

ProgressCallback = Callable[[str, float, float], None]
_TERMINAL = frozenset(status.value for status in TERMINAL)


class SessionStore:
    """A store as one run (or one resume) of one generation sees it."""

    def __init__(
        self,
        store: GenerationStore,
        secret: str,
        owner: str,
        ttl_s: float,
        wall_clock: Callable[[], float] = time.time,
        *,
        create_ttl_s: float | None = None,
    ) -> None:
        self.store = store
        self._secret = secret
        self.owner = owner
        self.ttl_s = ttl_s
        self.wall_clock = wall_clock
        # The creator's lease outlives the submit (see _leases.creation_ttl_s).
        self.create_ttl_s = ttl_s if create_ttl_s is None else create_ttl_s
        self.finished = False
        # Fields this runtime adds to the new record (the callback token's hash).
        self.create_extra: dict[str, Any] = {}
        # The record's callback token hash: providers may echo the callback URL.
        self.token_sha256: str | None = None
        # Whether a completed record's outputs are to be copied (output_state).
        self.copy_outputs = False

    def create_generation(self, record: Mapping[str, Any]) -> None:
        leased = {
            **self._redacted(record),
            **self.create_extra,
            "lease_owner": self.owner,
            "lease_expires_at": self.wall_clock() + self.create_ttl_s,
        }
        self.store.create_generation(leased)

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        written = self._redacted(changes)
        if (
            self.copy_outputs
            and changes.get("status") == "completed"
            and changes.get("outputs")
        ):
            written = {**written, "output_state": OutputState.PENDING.value}
        self.store.update_generation(generation_id, written)
        # A terminal write clears the lease in the store itself.
        self.finished = changes.get("status") in _TERMINAL

    def get_generation(self, generation_id: str) -> Generation | None:
        return self.store.get_generation(generation_id)

    def _redacted(self, values: Mapping[str, Any]) -> dict[str, Any]:
        digest = self.token_sha256 or self.create_extra.get("callback_token_sha256")
        return dict(redact_token(redact(values, self._secret), digest))

    def renewing(
        self, generation_id: str, on_progress: ProgressCallback | None
    ) -> ProgressCallback:
        """A progress callback that keeps the lease alive, then calls `on_progress`.

        Renews once a quarter of the lease has passed; a lease taken by another
        poller meanwhile stops this one (LeaseLostError) instead of doubling it.
        """
        renewed_at = self.wall_clock()

        def progress(state: str, elapsed: float, next_in: float) -> None:
            nonlocal renewed_at
            now = self.wall_clock()
            if now - renewed_at >= self.ttl_s / 4:
                if not self.store.renew_lease(generation_id, self.owner, self.ttl_s):
                    raise LeaseLostError(generation_id)
                renewed_at = now
            if on_progress is not None:
                on_progress(state, elapsed, next_in)

        return progress

    def release(self, generation_id: str) -> None:
        """Stop holding the lease (nothing to do once this session finished the
        record: the terminal write released it)."""
        if not self.finished:
            self.store.release_lease(generation_id, self.owner)


class AsyncSessionStore:
    """The async path's view of a SessionStore: every store call runs on the
    loop's default executor, so a SQLite write or a PostgreSQL round trip never
    blocks the event loop (model files from template v3 await these)."""

    def __init__(self, session: SessionStore) -> None:
        self.session = session

    async def create_generation(self, record: Mapping[str, Any]) -> None:
        await asyncio.to_thread(self.session.create_generation, record)

    async def update_generation(
        self, generation_id: str, changes: Mapping[str, Any]
    ) -> None:
        await asyncio.to_thread(self.session.update_generation, generation_id, changes)

    async def get_generation(self, generation_id: str) -> Generation | None:
        return await asyncio.to_thread(self.session.get_generation, generation_id)

    def renewing(
        self, generation_id: str, on_progress: ProgressCallback | None
    ) -> ProgressCallback:
        """As SessionStore.renewing, with the renewal on a thread: each call
        reads the answer of the renewal before it (LeaseLostError if the lease
        was taken) and starts the next one when due."""
        session = self.session
        renewed_at = session.wall_clock()
        pending: asyncio.Future[bool] | None = None

        def progress(state: str, elapsed: float, next_in: float) -> None:
            nonlocal renewed_at, pending
            if pending is not None and pending.done():
                held = pending.exception() is not None or pending.result()
                pending = None
                if not held:  # a store error is no proof of loss: try again
                    raise LeaseLostError(generation_id)
            now = session.wall_clock()
            if pending is None and now - renewed_at >= session.ttl_s / 4:
                pending = asyncio.get_running_loop().run_in_executor(
                    None,
                    session.store.renew_lease,
                    generation_id,
                    session.owner,
                    session.ttl_s,
                )
                renewed_at = now
            if on_progress is not None:
                on_progress(state, elapsed, next_in)

        return progress

"""`AsyncStore`: any GenerationStore, awaitable, for the async path.

`AsyncStore` runs each call on a small thread pool of its own (PostgresStore's
connection pool and SQLiteStore's per-thread connections are made for that),
so the loop keeps serving other generations while the database answers: for an
application's own async code. `run_async` does the same for the model files
(template v3 awaits its store) through modelvault._session.AsyncSessionStore.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar, runtime_checkable

from modelvault.store import Generation, GenerationStore

T = TypeVar("T")


@runtime_checkable
class AsyncGenerationStore(Protocol):
    """GenerationStore's methods as coroutines (same rules, same errors)."""

    async def create_generation(self, record: Mapping[str, Any]) -> None: ...

    async def update_generation(
        self,
        generation_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> None: ...

    async def get_generation(self, generation_id: str) -> Generation | None: ...


class AsyncStore:
    """`store`'s methods, each awaited on a thread of this object's pool."""

    def __init__(self, store: GenerationStore, *, threads: int = 8) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(threads, "modelvault-store")

    async def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, functools.partial(method, *args, **kwargs)
        )

    async def create_generation(self, record: Mapping[str, Any]) -> None:
        await self._call(self.store.create_generation, record)

    async def update_generation(
        self,
        generation_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> None:
        await self._call(
            self.store.update_generation,
            generation_id,
            changes,
            expected_version=expected_version,
        )

    async def get_generation(self, generation_id: str) -> Generation | None:
        return await self._call(self.store.get_generation, generation_id)

    async def unfinished_generations(self) -> list[Generation]:
        return await self._call(self.store.unfinished_generations)

    async def claim_generation(
        self,
        generation_id: str,
        owner: str,
        ttl_s: float,
        *,
        take_over_from: str | None = None,
    ) -> Generation | None:
        return await self._call(
            self.store.claim_generation,
            generation_id,
            owner,
            ttl_s,
            take_over_from=take_over_from,
        )

    async def claim_unfinished(
        self,
        owner: str,
        ttl_s: float,
        *,
        limit: int,
        model_ids: Collection[str] | None = None,
    ) -> list[Generation]:
        return await self._call(
            self.store.claim_unfinished, owner, ttl_s, limit=limit, model_ids=model_ids
        )

    async def renew_lease(self, generation_id: str, owner: str, ttl_s: float) -> bool:
        return await self._call(self.store.renew_lease, generation_id, owner, ttl_s)

    async def release_lease(self, generation_id: str, owner: str) -> None:
        await self._call(self.store.release_lease, generation_id, owner)

    async def record_output_copy(
        self,
        generation_id: str,
        output_state: str,
        output_copy: Mapping[str, Any] | None,
        *,
        expected_version: int | None = None,
    ) -> Generation:
        return await self._call(
            self.store.record_output_copy,
            generation_id,
            output_state,
            output_copy,
            expected_version=expected_version,
        )

    async def claim_output_copies(
        self, *, limit: int, stale_after_s: float
    ) -> list[Generation]:
        return await self._call(
            self.store.claim_output_copies, limit=limit, stale_after_s=stale_after_s
        )

    def close(self) -> None:
        """Stop the threads (the wrapped store stays open)."""
        self._pool.shutdown(wait=True)

"""AsyncStore keeps the event loop free while the database works: a write that
waits on a row lock in PostgreSQL does not stop other coroutines; and it is the
same store (same rules, same errors) on every store of the contract suite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_support import cluster, fresh_schema
from store_contract import STORE_FACTORIES, FakeClock, close, record

from modelvault._store_async import AsyncGenerationStore, AsyncStore
from modelvault.store import GenerationConflictError, GenerationStore


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GenerationStore]:
    made = STORE_FACTORIES[request.param](tmp_path, FakeClock())
    yield made
    close(made)


def test_same_rules_awaited(store: GenerationStore) -> None:
    async def main() -> None:
        astore = AsyncStore(store)
        assert isinstance(astore, AsyncGenerationStore)
        await astore.create_generation(record())
        claimed = await astore.claim_unfinished("w", 30, limit=5)
        assert [g.id for g in claimed] == ["gen-1"]
        assert await astore.renew_lease("gen-1", "w", 30)
        await astore.update_generation("gen-1", {"status": "completed"})
        with pytest.raises(GenerationConflictError):
            await astore.update_generation("gen-1", {"status": "failed"})
        got = await astore.get_generation("gen-1")
        assert got is not None and got.status.value == "completed"
        astore.close()

    asyncio.run(main())


def test_a_write_waiting_on_postgresql_does_not_block_the_loop() -> None:
    import psycopg

    from modelvault._store_pg import PostgresStore

    pg = cluster()
    store = PostgresStore(pg.dsn(), schema=fresh_schema())
    store.create_generation(record())
    blocker = psycopg.connect(pg.dsn())
    blocker.execute(f"SELECT * FROM {store.table} WHERE id = 'gen-1' FOR UPDATE")

    async def main() -> int:
        astore = AsyncStore(store)
        ticks = 0

        async def heartbeat() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(heartbeat())
        write = asyncio.create_task(
            astore.update_generation("gen-1", {"status": "processing"})
        )
        await asyncio.sleep(0.3)
        assert not write.done()  # waiting on the row lock, in its thread
        blocker.rollback()  # let it through
        await write
        beat.cancel()
        astore.close()
        return ticks

    started = time.monotonic()
    ticks = asyncio.run(main())
    blocker.close()
    assert ticks >= 15, ticks  # the loop ran all along (about 30 at 10 ms)
    assert time.monotonic() - started < 5
    got = store.get_generation("gen-1")
    assert got is not None and got.version == 2
    store.close()

"""Shared HTTP clients: one `httpx.AsyncClient` per event loop, one `httpx.Client`
per thread, made on first use and closed cleanly.

A client owns a connection pool and an SSL context (about 1.5 MB each): 1,000
concurrent generations with a client each took 1.7 GB and overflowed the
provider's listen queue. Model files pass their own timeout on every request,
so the clients need none.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import weakref
from collections.abc import AsyncIterator

import httpx

# A burst of concurrent generations queues for these connections (the model
# file bounds that wait with its own pool timeout). More is not faster: 1,000
# concurrent runs against one loopback fake (a thread per connection) took
# 8.8 s with 16 connections, 11.4 s with 32, 15.1 s with 64 and 26.6 s with 256.
LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=32)

_async_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, httpx.AsyncClient
] = weakref.WeakKeyDictionary()
# Each loop keeps its closer alive until `loop.shutdown_asyncgens()` (which
# asyncio.run calls) finalises it, closing that loop's client inside the loop.
_closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncIterator[None]] = (
    weakref.WeakKeyDictionary()
)
_thread_clients = threading.local()
_all_sync_clients: weakref.WeakSet[httpx.Client] = weakref.WeakSet()
_lock = threading.Lock()


async def _close_at_shutdown(client: httpx.AsyncClient) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await client.aclose()


async def shared_async_client() -> httpx.AsyncClient:
    """This event loop's client (made on first use)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(limits=LIMITS)
        _async_clients[loop] = client
        closer = _close_at_shutdown(client)
        await closer.__anext__()  # now suspended inside try: finalised at shutdown
        _closers[loop] = closer
    return client


def shared_client() -> httpx.Client:
    """This thread's client (made on first use; closed at interpreter exit)."""
    client: httpx.Client | None = getattr(_thread_clients, "client", None)
    if client is None or client.is_closed:
        client = httpx.Client(limits=LIMITS)
        _thread_clients.client = client
        with _lock:
            _all_sync_clients.add(client)
    return client


@atexit.register
def _close_sync_clients() -> None:
    with _lock:
        clients = list(_all_sync_clients)
    for client in clients:
        client.close()

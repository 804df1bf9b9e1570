"""Running models: run/run_async, cost and status over one model file each.

The model file does the work (validate, record, submit, poll); this module finds
the file, supplies the API key, the store (redacted, leased to this process), the
shared HTTP client and the clock, and turns the file's own exceptions into the
runtime's typed errors. `resume` lives in modelvault._resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from types import ModuleType
from typing import Any

import httpx

from modelvault._api import get
from modelvault._callbacks import CallbackConfigError, new_callback, supports_callbacks
from modelvault._durable import (
    OutputsSetting,
    copy_if_wanted,
    outputs_from,
    wants_copy,
)
from modelvault._http import shared_async_client, shared_client
from modelvault._leases import creation_ttl_s, lease_ttl_s, process_owner
from modelvault._redact import redact_text
from modelvault._session import AsyncSessionStore, SessionStore
from modelvault._store_open import open_store
from modelvault.errors import (
    GenerationConflictError,
    GenerationNotFoundError,
    GenerationTimeoutError,
    InvalidApiKeyError,
    InvalidInputsError,
    MissingApiKeyError,
    ProviderError,
    RecordNotSavedError,
    StoreError,
)
from modelvault.store import Generation, GenerationStore

ProgressCallback = Callable[[str, float, float], None]
# The first template version whose async flow awaits the store.
AWAITS_STORE_FROM = 3


@dataclass(frozen=True)
class Clock:
    """What a model file uses for time: a monotonic reading and a way to wait."""

    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    async_sleep: Callable[[float], Awaitable[None]] | None = None


def clock_kwargs(clock: Clock | None, *, aio: bool) -> dict[str, Any]:
    if clock is None:
        return {}
    if not aio:
        return {"monotonic": clock.monotonic, "sleep": clock.sleep}
    if clock.async_sleep is None:
        raise ValueError("an async run needs a Clock with async_sleep")
    return {"monotonic": clock.monotonic, "sleep": clock.async_sleep}


@cache
def default_store() -> GenerationStore:
    """The store at $MODELVAULT_DB (a SQLite file or a PostgreSQL URL), else the
    SQLite file in the user's data folder."""
    return open_store(None)


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an API key (it would be refused or unsendable)."""
    if any(ch in "\r\n\t" or not ch.isprintable() for ch in key):
        return "a line break or control character"
    if any(ch.isspace() for ch in key):
        return "a space"
    if not key.isascii():
        return "a non-ASCII character"
    return None


def api_key_for(module: ModuleType, api_key: str | None) -> str:
    """The key to use: `api_key`, else the model's env var; checked before use."""
    config = module.MODEL_CONFIG
    key = api_key or os.environ.get(config["api_key_env"], "")
    if not key:
        raise MissingApiKeyError(config["id"], config["api_key_env"])
    problem = key_problem(key)
    if problem is not None:
        raise InvalidApiKeyError(config["id"], config["api_key_env"], problem)
    return str(key)


def validated(module: ModuleType, inputs: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(module.validate(inputs))
    except module.InputValidationError as exc:
        raise InvalidInputsError(module.MODEL_CONFIG["id"], exc.errors) from None


def cost(model_id: str, inputs: Mapping[str, Any]) -> Decimal:
    """Credits one run of `model_id` with `inputs` costs (inputs are validated)."""
    module = get(model_id)
    validated(module, inputs)
    return Decimal(module.calculate_cost(inputs))


def callback_kwargs(
    module: ModuleType,
    session: SessionStore,
    generation_id: str,
    callback_base: str | None,
) -> dict[str, Any]:
    """The execute keyword for a callback to `callback_base` (the receiver's
    public URL), with the token's hash added to the new record; {} without."""
    if callback_base is None:
        return {}
    if not supports_callbacks(module):
        raise CallbackConfigError(
            f"the model file of {module.MODEL_CONFIG['id']} predates callbacks "
            f"(template v{getattr(module, 'TEMPLATE_VERSION', 1)}): run it "
            "without a callback base (it is polled), or regenerate it"
        )
    url, digest = new_callback(
        callback_base, module.MODEL_CONFIG["provider"], generation_id
    )
    session.create_extra["callback_token_sha256"] = digest
    return {"callback_url": url}


def session_for(module: ModuleType, store: GenerationStore, key: str) -> SessionStore:
    return SessionStore(
        store,
        key,
        process_owner(),
        lease_ttl_s(module.MODEL_CONFIG),
        create_ttl_s=creation_ttl_s(module),
    )


@contextlib.contextmanager
def translated(
    module: ModuleType, generation_id: str, store: GenerationStore, key: str
) -> Iterator[None]:
    """Turn a model file's exceptions into the runtime's, naming the generation.

    A store conflict means another process finished the generation first: its
    record stands, and this run simply returns it.
    """
    model_id = module.MODEL_CONFIG["id"]
    not_saved = getattr(module, "RecordNotSavedError", None)
    try:
        yield
    except GenerationConflictError:
        return
    except module.InputValidationError as exc:
        raise InvalidInputsError(model_id, exc.errors) from None
    except module.MissingApiKeyError:
        raise MissingApiKeyError(model_id, module.MODEL_CONFIG["api_key_env"]) from None
    except module.PollTimeout as exc:
        raise GenerationTimeoutError(
            f"{exc}; continue with `modelvault resume {generation_id}`",
            generation_id=generation_id,
            task_id=exc.task_id,
        ) from None
    except module.ProviderError as exc:
        final = getattr(exc, "final", None)
        if final is None:  # a model file older than the `final` flag
            record = _quiet_get(store, generation_id)
            final = record is None or record.finished
        message = f"{model_id} (generation {generation_id}): {exc}"
        if not final:
            message += (
                "; the generation is still running at the provider and is kept: "
                f"`modelvault resume {generation_id}` continues it"
            )
        raise ProviderError(
            redact_text(message, key),
            kind=exc.kind,
            generation_id=generation_id,
            status_code=exc.status_code,
            provider_message=exc.provider_message,
            task_id=exc.task_id,
            resumable=not final,
        ) from None
    except Exception as exc:
        if not_saved is not None and isinstance(exc, not_saved):
            raise RecordNotSavedError(
                redact_text(str(exc), key),
                generation_id=exc.generation_id,
                task_id=exc.task_id,
            ) from None
        raise


def _quiet_get(store: GenerationStore, generation_id: str) -> Generation | None:
    try:
        return store.get_generation(generation_id)
    except StoreError:
        return None


def release(session: SessionStore, generation_id: str) -> None:
    """Give the lease up; failing to is harmless (it expires), so never raises."""
    with contextlib.suppress(StoreError):
        session.release(generation_id)


def stored(store: GenerationStore, generation_id: str) -> Generation:
    record = store.get_generation(generation_id)
    if record is None:
        raise GenerationNotFoundError(generation_id, type(store).__name__)
    return record


def run(
    model_id: str,
    inputs: Mapping[str, Any],
    *,
    api_key: str | None = None,
    store: GenerationStore | None = None,
    wait: bool = True,
    timeout: float | None = None,
    base_url: str | None = None,
    client: httpx.Client | None = None,
    on_progress: ProgressCallback | None = None,
    clock: Clock | None = None,
    callback_base: str | None = None,
    outputs: OutputsSetting = None,
) -> Generation:
    """Run one generation and return its record.

    Inputs are checked before the key, and both before anything is written or
    sent. wait=False returns once the provider accepted the task (status
    "processing"); `status()` and `resume()` (or a worker) follow it up.
    `timeout` (seconds) overrides the model's polling limit; `base_url` sends
    every request to another origin (the bundled fakes, a proxy). Without
    `client`, this thread's shared client is used. `callback_base` is the
    public URL of a modelvault.webhooks receiver: the provider calls back there
    and polling becomes the slow fallback. A completed generation's outputs
    are copied to `outputs` (default: $MODELVAULT_OUTPUTS, else the user data
    folder; a folder, s3://bucket/prefix, an OutputStore, or False for none)
    before this returns; a failed copy is recorded (output_state) and retried
    by workers, and never fails the run.
    """
    module = get(model_id)
    validated(module, inputs)
    key = api_key_for(module, api_key)
    store = store if store is not None else default_store()
    generation_id = str(uuid.uuid4())
    durable = outputs_from(outputs)
    session = session_for(module, store, key)
    session.copy_outputs = durable is not None
    callback = callback_kwargs(module, session, generation_id, callback_base)
    try:
        with translated(module, generation_id, store, key):
            module.execute(
                inputs,
                api_key=key,
                store=session,
                client=client if client is not None else shared_client(),
                generation_id=generation_id,
                wait=wait,
                base_url=base_url,
                on_progress=session.renewing(generation_id, on_progress),
                timeout_s=timeout,
                **callback,
                **clock_kwargs(clock, aio=False),
            )
    finally:
        release(session, generation_id)
    return copy_if_wanted(store, stored(store, generation_id), durable)


async def run_async(
    model_id: str,
    inputs: Mapping[str, Any],
    *,
    api_key: str | None = None,
    store: GenerationStore | None = None,
    wait: bool = True,
    timeout: float | None = None,
    base_url: str | None = None,
    client: httpx.AsyncClient | None = None,
    on_progress: ProgressCallback | None = None,
    clock: Clock | None = None,
    callback_base: str | None = None,
    outputs: OutputsSetting = None,
) -> Generation:
    """The async twin of `run` (the model file's `execute_async`); without
    `client`, this event loop's shared client is used."""
    module = get(model_id)
    validated(module, inputs)
    key = api_key_for(module, api_key)
    store = store if store is not None else default_store()
    generation_id = str(uuid.uuid4())
    durable = await asyncio.to_thread(outputs_from, outputs)
    session = session_for(module, store, key)
    session.copy_outputs = durable is not None
    callback = callback_kwargs(module, session, generation_id, callback_base)
    http = client if client is not None else await shared_async_client()
    # Template v3 files await the store: give them one that runs each call on
    # a thread. Older files call it synchronously (on the loop).
    awaits_store = getattr(module, "TEMPLATE_VERSION", 1) >= AWAITS_STORE_FROM
    writes: SessionStore | AsyncSessionStore = (
        AsyncSessionStore(session) if awaits_store else session
    )
    try:
        with translated(module, generation_id, store, key):
            await module.execute_async(
                inputs,
                api_key=key,
                store=writes,
                client=http,
                generation_id=generation_id,
                wait=wait,
                base_url=base_url,
                on_progress=writes.renewing(generation_id, on_progress),
                timeout_s=timeout,
                **callback,
                **clock_kwargs(clock, aio=True),
            )
    finally:
        if not session.finished:  # else the terminal write released it
            await asyncio.to_thread(release, session, generation_id)
    record = await asyncio.to_thread(stored, store, generation_id)
    if durable is None or not wants_copy(record):
        return record  # nothing to copy: no thread hop
    return await asyncio.to_thread(copy_if_wanted, store, record, durable)


def status(generation_id: str, *, store: GenerationStore | None = None) -> Generation:
    """The stored record of one generation."""
    return stored(store if store is not None else default_store(), generation_id)

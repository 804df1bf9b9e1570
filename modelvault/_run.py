"""Running models: run/run_async, cost, status and resume over one model file each.

The model file does the work (validate, record, submit, poll); this module finds
the file, supplies the API key, store, HTTP client and clock, and turns the file's
own exceptions into the runtime's typed errors.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from types import ModuleType
from typing import Any

import httpx

from modelvault._api import get
from modelvault._redact import RedactingStore
from modelvault.errors import (
    GenerationNotFoundError,
    GenerationTimeoutError,
    InvalidInputsError,
    MissingApiKeyError,
    ProviderError,
)
from modelvault.store import Generation, GenerationStore, SQLiteStore

ProgressCallback = Callable[[str, float, float], None]


@dataclass(frozen=True)
class Clock:
    """What a model file uses for time: a monotonic reading and a way to wait."""

    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    async_sleep: Callable[[float], Awaitable[None]] | None = None


def _clock_kwargs(clock: Clock | None, *, aio: bool) -> dict[str, Any]:
    if clock is None:
        return {}
    if not aio:
        return {"monotonic": clock.monotonic, "sleep": clock.sleep}
    if clock.async_sleep is None:
        raise ValueError("an async run needs a Clock with async_sleep")
    return {"monotonic": clock.monotonic, "sleep": clock.async_sleep}


@cache
def default_store() -> SQLiteStore:
    """The SQLite store at $MODELVAULT_DB or the user's data folder."""
    return SQLiteStore()


def _api_key(module: ModuleType, api_key: str | None) -> str:
    config = module.MODEL_CONFIG
    key = api_key or os.environ.get(config["api_key_env"], "")
    if not key:
        raise MissingApiKeyError(config["id"], config["api_key_env"])
    return str(key)


def cost(model_id: str, inputs: Mapping[str, Any]) -> Decimal:
    """Credits one run of `model_id` with `inputs` costs (inputs are validated)."""
    module = get(model_id)
    try:
        return Decimal(module.calculate_cost(inputs))
    except module.InputValidationError as exc:
        raise InvalidInputsError(module.MODEL_CONFIG["id"], exc.errors) from None


class _Translate:
    """Turn a model file's exceptions into the runtime's, naming the generation."""

    def __init__(self, module: ModuleType, generation_id: str) -> None:
        self.module = module
        self.generation_id = generation_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            return
        module, model_id = self.module, self.module.MODEL_CONFIG["id"]
        if isinstance(exc, module.InputValidationError):
            raise InvalidInputsError(model_id, exc.errors) from None
        if isinstance(exc, module.MissingApiKeyError):
            raise MissingApiKeyError(
                model_id, module.MODEL_CONFIG["api_key_env"]
            ) from None
        if isinstance(exc, module.PollTimeout):
            raise GenerationTimeoutError(
                str(exc), generation_id=self.generation_id, task_id=exc.task_id
            ) from None
        if isinstance(exc, module.ProviderError):
            raise ProviderError(
                f"{model_id} (generation {self.generation_id}): {exc}",
                kind=exc.kind,
                generation_id=self.generation_id,
                status_code=exc.status_code,
                provider_message=exc.provider_message,
                task_id=exc.task_id,
            ) from None


def _finished_record(store: GenerationStore, generation_id: str) -> Generation:
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
) -> Generation:
    """Run one generation and return its record.

    wait=False returns once the provider accepted the task (status "processing");
    `status()` and `resume()` follow it up. `timeout` (seconds) overrides the
    model's polling limit; `base_url` sends every request to another origin (the
    bundled fakes, a proxy).
    """
    module = get(model_id)
    key = _api_key(module, api_key)
    store = store if store is not None else default_store()
    generation_id = str(uuid.uuid4())
    owned = client is None
    http = client if client is not None else httpx.Client()
    try:
        with _Translate(module, generation_id):
            module.execute(
                inputs,
                api_key=key,
                store=RedactingStore(store, key),
                client=http,
                generation_id=generation_id,
                wait=wait,
                base_url=base_url,
                on_progress=on_progress,
                timeout_s=timeout,
                **_clock_kwargs(clock, aio=False),
            )
    finally:
        if owned:
            http.close()
    return _finished_record(store, generation_id)


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
) -> Generation:
    """The async twin of `run` (the model file's `execute_async`)."""
    module = get(model_id)
    key = _api_key(module, api_key)
    store = store if store is not None else default_store()
    generation_id = str(uuid.uuid4())
    owned = client is None
    http = client if client is not None else httpx.AsyncClient()
    try:
        with _Translate(module, generation_id):
            await module.execute_async(
                inputs,
                api_key=key,
                store=RedactingStore(store, key),
                client=http,
                generation_id=generation_id,
                wait=wait,
                base_url=base_url,
                on_progress=on_progress,
                timeout_s=timeout,
                **_clock_kwargs(clock, aio=True),
            )
    finally:
        if owned:
            await http.aclose()
    return _finished_record(store, generation_id)


def status(generation_id: str, *, store: GenerationStore | None = None) -> Generation:
    """The stored record of one generation."""
    return _finished_record(
        store if store is not None else default_store(), generation_id
    )


def _elapsed_since(created_at: str) -> float:
    created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return max((datetime.now(UTC) - created).total_seconds(), 0.0)


def resume(
    generation_id: str | None = None,
    *,
    store: GenerationStore | None = None,
    api_keys: Mapping[str, str] | None = None,
    base_urls: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    timeout: float | None = None,
    on_progress: Callable[[Generation, str, float, float], None] | None = None,
    clock: Clock | None = None,
) -> list[Generation]:
    """Continue polling unfinished generations (one, or all) until they end.

    Never submits again: a generation whose task id was never recorded cannot be
    found at the provider, so it is marked failed with a note to check the
    provider's dashboard. `api_keys` maps an env var name (e.g. KIE_API_KEY) to a
    key, `base_urls` a provider family to an origin; both default to nothing.
    Errors of one generation are recorded on it and do not stop the others.
    """
    store = store if store is not None else default_store()
    if generation_id is None:
        pending = store.unfinished_generations()
    else:
        pending = [_finished_record(store, generation_id)]
    owned = client is None
    http = client if client is not None else httpx.Client()
    try:
        for record in pending:
            if not record.finished:
                _resume_one(
                    record,
                    store=store,
                    http=http,
                    api_keys=api_keys or {},
                    base_urls=base_urls or {},
                    timeout=timeout,
                    on_progress=on_progress,
                    clock=clock,
                )
    finally:
        if owned:
            http.close()
    return [_finished_record(store, record.id) for record in pending]


def _resume_one(
    record: Generation,
    *,
    store: GenerationStore,
    http: httpx.Client,
    api_keys: Mapping[str, str],
    base_urls: Mapping[str, str],
    timeout: float | None,
    on_progress: Callable[[Generation, str, float, float], None] | None,
    clock: Clock | None,
) -> None:
    if record.provider_task_id is None:
        store.update_generation(
            record.id,
            {
                "status": "failed",
                "error": {
                    "kind": "submit_unknown",
                    "message": "stopped before the provider confirmed a task id; "
                    "the task may exist: check the provider's dashboard before "
                    "running again",
                    "status_code": None,
                },
            },
        )
        return
    module = get(record.model_record_id)
    env_name = module.MODEL_CONFIG["api_key_env"]
    key = _api_key(module, api_keys.get(env_name))
    progress = None
    if on_progress is not None:
        callback = on_progress

        def progress(state: str, elapsed: float, next_in: float) -> None:
            callback(record, state, elapsed, next_in)

    try:
        with _Translate(module, record.id):
            module.resume(
                record.id,
                record.provider_task_id,
                api_key=key,
                store=RedactingStore(store, key),
                client=http,
                base_url=base_urls.get(module.MODEL_CONFIG["provider"]),
                elapsed_before_s=_elapsed_since(record.created_at),
                on_progress=progress,
                timeout_s=timeout,
                **_clock_kwargs(clock, aio=False),
            )
    except (ProviderError, GenerationTimeoutError):
        pass  # recorded on the generation by the model file

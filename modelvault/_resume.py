"""`resume`: poll unfinished generations to their end, never submitting again.

Each generation is claimed (a lease in the store) before it is polled, so two
resuming processes split the work instead of doubling it, and a record a live
process is still submitting or polling is left to it. One generation's problem
(no key, provider down, a missing model file) is reported and the rest go on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx

from modelvault._api import get
from modelvault._http import shared_client
from modelvault._leases import owner_is_dead
from modelvault._run import (
    Clock,
    api_key_for,
    clock_kwargs,
    default_store,
    release,
    session_for,
    stored,
    translated,
)
from modelvault._session import SessionStore
from modelvault.errors import ModelVaultError, StoreError
from modelvault.store import Generation, GenerationStore

ResumeProgress = Callable[[Generation, str, float, float], None]

_SUBMIT_UNKNOWN = {
    "kind": "submit_unknown",
    "message": "stopped before the provider confirmed a task id; the task may "
    "exist: check the provider's dashboard before running again",
    "status_code": None,
}


@dataclass(frozen=True)
class ResumeFailure:
    """Why one generation was not finished by this resume."""

    generation_id: str
    model_id: str
    message: str
    error: BaseException


class ResumeResults(list[Generation]):
    """The records `resume` looked at (as stored afterwards), plus `failures`
    (one per generation it could not finish) and `skipped` (generation id ->
    why: another live process holds it)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[ResumeFailure] = []
        self.skipped: dict[str, str] = {}


@dataclass
class _Options:
    store: GenerationStore
    http: httpx.Client
    api_key: str | None
    api_keys: Mapping[str, str]
    base_url: str | None
    base_urls: Mapping[str, str]
    timeout: float | None
    on_progress: ResumeProgress | None
    clock: Clock | None
    skipped: dict[str, str] = field(default_factory=dict)


def resume(
    generation_id: str | None = None,
    *,
    task_id: str | None = None,
    store: GenerationStore | None = None,
    api_key: str | None = None,
    api_keys: Mapping[str, str] | None = None,
    base_url: str | None = None,
    base_urls: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    timeout: float | None = None,
    on_progress: ResumeProgress | None = None,
    clock: Clock | None = None,
) -> ResumeResults:
    """Continue polling unfinished generations (one, or all) until they end.

    Never submits again. Keys: `api_key` for every model, or `api_keys` by env
    var name (e.g. {"KIE_API_KEY": ...}), else each model's env var. Origins:
    `base_url` for every model, or `base_urls` by provider family. `task_id`
    records a task id the store could not save (see RecordNotSavedError) on
    `generation_id` first. A generation whose task id was never recorded and
    that no live process holds is marked failed (check the provider's
    dashboard). Every generation is tried; failures are in `.failures`.
    """
    store = store if store is not None else default_store()
    if task_id is not None and generation_id is None:
        raise ValueError("task_id= needs the generation_id it belongs to")
    if generation_id is None:
        pending = store.unfinished_generations()
    else:
        pending = [stored(store, generation_id)]
    options = _Options(
        store=store,
        http=client if client is not None else shared_client(),
        api_key=api_key,
        api_keys=api_keys or {},
        base_url=base_url,
        base_urls=base_urls or {},
        timeout=timeout,
        on_progress=on_progress,
        clock=clock,
    )
    results = ResumeResults()
    for found in pending:
        record = found
        try:
            if task_id is not None:
                record = _record_task_id(store, found, task_id)
            if not record.finished:
                _resume_one(record, options)
        except ModelVaultError as exc:
            results.failures.append(
                ResumeFailure(record.id, record.model_id, str(exc), exc)
            )
        except Exception as exc:  # one broken record must not strand the rest
            message = f"unexpected {type(exc).__name__}: {exc}"
            results.failures.append(
                ResumeFailure(record.id, record.model_id, message, exc)
            )
        try:
            results.append(stored(store, record.id))
        except StoreError:
            results.append(record)
    results.skipped.update(options.skipped)
    return results


def _record_task_id(
    store: GenerationStore, record: Generation, task_id: str
) -> Generation:
    if record.provider_task_id not in (None, task_id):
        raise ModelVaultError(
            f"generation {record.id} already has task id {record.provider_task_id}; "
            "leave out --task-id to resume it"
        )
    if record.provider_task_id is None:
        store.update_generation(
            record.id, {"status": "processing", "provider_task_id": task_id}
        )
    return stored(store, record.id)


def key_for(
    module: ModuleType, api_keys: Mapping[str, str], api_key: str | None
) -> str:
    """The key for this model's provider: by its env var name, else the one
    given for every model, else the environment (checked before use)."""
    env_name = module.MODEL_CONFIG["api_key_env"]
    return api_key_for(module, api_keys.get(env_name) or api_key)


def fail_submit_unknown(store: GenerationStore, generation_id: str) -> None:
    """End a record whose submit never recorded a task id and that no live
    process holds: it cannot be followed up, only checked at the provider."""
    changes = {"status": "failed", "error": _SUBMIT_UNKNOWN}
    store.update_generation(generation_id, changes)


def _resume_one(record: Generation, options: _Options) -> None:
    module = get(record.model_record_id)
    key = key_for(module, options.api_keys, options.api_key)
    store = options.store
    session = session_for(module, store, key)
    dead = record.lease_owner if owner_is_dead(record.lease_owner) else None
    claimed = store.claim_generation(
        record.id, session.owner, session.ttl_s, take_over_from=dead
    )
    if claimed is None:
        now = stored(store, record.id)
        if not now.finished:
            options.skipped[record.id] = (
                f"being followed by {now.lease_owner} (lease until "
                f"{_when(now.lease_expires_at)})"
            )
        return
    session.token_sha256 = claimed.callback_token_sha256
    try:
        if claimed.provider_task_id is None:
            fail_submit_unknown(store, record.id)
            return
        _poll(module, claimed, key, session, options)
    finally:
        release(session, record.id)


def _poll(
    module: ModuleType,
    record: Generation,
    key: str,
    session: SessionStore,
    options: _Options,
) -> None:
    progress = None
    if options.on_progress is not None:
        callback = options.on_progress

        def progress(state: str, elapsed: float, next_in: float) -> None:
            callback(record, state, elapsed, next_in)

    extra: dict[str, Any] = {}
    parameters = inspect.signature(module.resume).parameters
    if "submitted" in parameters:
        extra["submitted"] = record.provider_response
    if "expect_callback" in parameters and record.callback_token_sha256:
        extra["expect_callback"] = True  # polling is the slow fallback
    base_url = options.base_urls.get(module.MODEL_CONFIG["provider"])
    with translated(module, record.id, options.store, key):
        module.resume(
            record.id,
            record.provider_task_id,
            api_key=key,
            store=session,
            client=options.http,
            base_url=base_url or options.base_url,
            elapsed_before_s=_elapsed_since(record.created_at),
            on_progress=session.renewing(record.id, progress),
            timeout_s=options.timeout,
            **extra,
            **clock_kwargs(options.clock, aio=False),
        )


def _elapsed_since(created_at: str) -> float:
    created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return max((datetime.now(UTC) - created).total_seconds(), 0.0)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""The receiver: one Starlette route, `POST /{provider}/{generation_id}`.

Each delivery goes through the checks in this order, and the first that fails
answers (none of them changes a record):
  1. the body, read with a cap (413 above it);
  2. the provider in the path is one modelvault knows (404);
  3. the provider's signature, for those that sign (Replicate, fal; kie.ai
     when `kie_hmac_key` is given): 401 when missing, forged or stale (503
     when it cannot be checked now);
  4. the generation exists (404) and its model belongs to that provider (404);
  5. the `?token=` the runtime put in the callback URL matches the hash on the
     record, compared in constant time (401);
  6. the body is JSON (400);
then `modelvault._callbacks.apply_callback` finishes the record through the
store's state machine with the model file's own parser: 200 when finished or
already finished (a duplicate changes nothing), 202 when not final yet, 409
when apply_callback refuses it (another task's body, one the model file cannot
read, a model file without callbacks), 503 when the record is not ready for it
yet or the store is unavailable (the provider retries). Store calls run in
worker threads; `on_finished(generation)` runs after the answer is sent.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from modelvault._callbacks import CallbackRefusedError, apply_callback, token_matches
from modelvault._catalog import default_catalog
from modelvault.errors import (
    CatalogError,
    GenerationConflictError,
    ModelVaultError,
    StoreError,
    UnknownModelError,
)
from modelvault.store import Generation, GenerationStore
from modelvault.webhooks import _fal, _kie, _replicate
from modelvault.webhooks._body import read_body
from modelvault.webhooks._refusal import RefusalError

PROVIDERS = ("replicate", "fal_queue", "runware", "kie_jobs", "kie_veo", "kie_4o")
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_ID_LENGTH = 200

log = logging.getLogger("modelvault.webhooks")

OnFinished = Callable[[Generation], Any]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    finished: Generation | None = None  # the record this delivery finished


class Receiver:
    """The state behind one app: configuration, fal's key cache and the ids of
    deliveries already applied."""

    def __init__(
        self,
        store: GenerationStore,
        *,
        replicate: Webhook | None,
        fal_keys: _fal.FalKeys,
        kie_hmac_key: str | None,
        max_body_bytes: int,
        on_finished: OnFinished | None,
        replay_cache_size: int,
    ) -> None:
        self.store = store
        self.replicate = replicate
        self.fal_keys = fal_keys
        self.kie_hmac_key = kie_hmac_key
        self.max_body_bytes = max_body_bytes
        self.on_finished = on_finished
        self.seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.replay_cache_size = replay_cache_size

    async def handle(self, request: Request) -> JSONResponse:
        provider = str(request.path_params["provider"])
        generation_id = str(request.path_params["generation_id"])
        try:
            answer = await self._answer(request, provider, generation_id)
        except RefusalError as refusal:
            answer = Answer(refusal.status, {"error": refusal.reason})
        except GenerationConflictError:
            answer = Answer(
                503,
                {
                    "error": "the generation changed while this "
                    "delivery was applied; retry the delivery"
                },
            )
        except StoreError as exc:
            log.warning(
                "webhook %s %r: store unavailable: %s", provider, generation_id, exc
            )
            answer = Answer(
                503,
                {
                    "error": "the generation store is unavailable; "
                    "retry the delivery later"
                },
            )
        except ModelVaultError as exc:  # e.g. the record's model file is unusable
            log.warning("webhook %s %r: cannot apply: %s", provider, generation_id, exc)
            answer = Answer(500, {"error": f"cannot apply this delivery: {exc}"})
        log.info(
            "webhook %s %r -> %d %s",
            provider,
            generation_id,
            answer.status,
            answer.body.get("error") or answer.body.get("result"),
        )
        background = None
        if answer.finished is not None and self.on_finished is not None:
            background = BackgroundTask(self._after_finished, answer.finished)
        return JSONResponse(answer.body, answer.status, background=background)

    async def _answer(
        self, request: Request, provider: str, generation_id: str
    ) -> Answer:
        body = await read_body(request, self.max_body_bytes)
        if provider not in PROVIDERS:
            raise RefusalError(
                404,
                f"unknown provider {provider[:40]!r}: use one of "
                f"{', '.join(PROVIDERS)}",
            )
        delivery_id = await self._verify(provider, request, body)
        record = None
        if len(generation_id) <= MAX_ID_LENGTH:
            record = await asyncio.to_thread(self.store.get_generation, generation_id)
        if record is None or _provider_of(record) != provider:
            # One answer for both: a caller learns nothing about other providers'
            # generations.
            raise RefusalError(
                404,
                f"no generation {generation_id[:MAX_ID_LENGTH]!r} "
                f"for provider {provider}",
            )
        token = request.query_params.get("token")
        if not token_matches(token, record.callback_token_sha256):
            raise RefusalError(
                401,
                "the callback token is missing or wrong (give "
                "providers the URL the runtime built, ?token= "
                "included)",
            )
        try:
            payload = json.loads(body)
        except ValueError:
            raise RefusalError(400, "the body is not JSON") from None
        key = (provider, f"{generation_id}\n{delivery_id}")
        if delivery_id and key in self.seen:
            return Answer(200, {"result": "duplicate", "generation_id": generation_id})
        try:
            result = await asyncio.to_thread(
                apply_callback, self.store, record, payload
            )
        except CallbackRefusedError as exc:
            # retry_later: the record is not ready for it yet (the provider
            # retries); otherwise the body is about another task or unreadable.
            raise RefusalError(503 if exc.retry_later else 409, str(exc)) from None
        kind = result.kind
        if kind in ("finished", "unchanged") and delivery_id:
            self._remember(key)
        generation = result.generation
        return Answer(
            202 if kind == "not_final" else 200,
            {
                "result": kind,
                "generation_id": generation_id,
                "status": str(generation.status),
            },
            finished=generation if kind == "finished" else None,
        )

    async def _verify(self, provider: str, request: Request, body: bytes) -> str:
        if provider == "replicate":
            return _replicate.verify(self.replicate, request.headers, body)
        if provider == "fal_queue":
            return await _fal.verify(self.fal_keys, request.headers, body)
        if provider in ("kie_jobs", "kie_veo", "kie_4o"):
            return _kie.verify(self.kie_hmac_key, request.headers, body)
        return ""  # Runware: the token is the check

    def _remember(self, key: tuple[str, str]) -> None:
        self.seen[key] = None
        while len(self.seen) > self.replay_cache_size:
            self.seen.popitem(last=False)

    async def _after_finished(self, record: Generation) -> None:
        hook = self.on_finished
        if hook is None:
            return
        try:
            if inspect.iscoroutinefunction(hook):
                await hook(record)
            else:
                await asyncio.to_thread(hook, record)
        except Exception:
            log.exception("on_finished failed for generation %r", record.id)


def _provider_of(record: Generation) -> str | None:
    try:
        return default_catalog().resolve(record.model_id).provider
    except (UnknownModelError, CatalogError):
        return None


def create_app(
    store: GenerationStore,
    *,
    replicate_secret: str | None,
    fal_jwks_url: str | Sequence[str] = _fal.FAL_JWKS_URLS,
    kie_hmac_key: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    on_finished: OnFinished | None = None,
    jwks_ttl_s: float = 24 * 3600,
    jwks_min_refresh_s: float = 60.0,
    replay_cache_size: int = 10_000,
) -> Starlette:
    """The webhook receiver as an ASGI app; see `modelvault.webhooks`."""
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes must be at least 1")
    urls = (fal_jwks_url,) if isinstance(fal_jwks_url, str) else tuple(fal_jwks_url)
    receiver = Receiver(
        store,
        replicate=None
        if replicate_secret is None
        else _replicate.verifier(replicate_secret),
        fal_keys=_fal.FalKeys(urls, ttl_s=jwks_ttl_s, min_refresh_s=jwks_min_refresh_s),
        kie_hmac_key=kie_hmac_key or None,
        max_body_bytes=max_body_bytes,
        on_finished=on_finished,
        replay_cache_size=replay_cache_size,
    )
    app = Starlette(
        routes=[Route("/{provider}/{generation_id}", receiver.handle, methods=["POST"])]
    )
    app.state.receiver = receiver
    return app

"""The callback side of a `FakeProvider`: it schedules and signs deliveries,
records them, re-sends them on request, and serves what a receiver or a
downloader fetches from the provider (fal's JWKS, output files).

Mixed into `FakeProvider`, which owns `_lock`, `_book`, `_api` and `family`.
"""

from __future__ import annotations

import dataclasses
import json
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

from modelvault.testing._courier import Courier
from modelvault.testing._deliveries import Delivery
from modelvault.testing._family import FamilyApi, TaskBook
from modelvault.testing._files import FILES_PREFIX, content, file_name, file_reply
from modelvault.testing._http import Incoming, Reply, json_reply
from modelvault.testing._knobs import CallbackKnobs
from modelvault.testing._signing import (
    FalKeyring,
    fal_message,
    kie_signature,
    replicate_headers,
)
from modelvault.testing._types import Family

JWKS_PATH = "/.well-known/jwks.json"
_COMPLETION_EVENTS = ("output", "completed")


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class CallbackSide:
    """Callback deliveries, JWKS and output files of one fake (a mixin)."""

    family: Family
    _lock: threading.Lock
    _book: TaskBook
    _api: FamilyApi

    def _init_callbacks(
        self, *, workers: int, ssl_context: ssl.SSLContext | None
    ) -> None:
        self._keyring = FalKeyring()
        self._initial_knobs = dataclasses.replace(self._book.knobs)
        self._jwks_fetches = 0
        self._file_downloads = 0
        self._courier = Courier(
            self._render,
            self._sign,
            self._policy,
            base_headers={
                "Content-Type": "application/json",
                "User-Agent": f"modelvault-fake-{self.family}/1",
            },
            workers=workers,
            ssl_context=ssl_context,
        )

    def _reset_callbacks(self) -> None:
        """Under the fake's lock: knobs as constructed, no deliveries."""
        for knob in dataclasses.fields(CallbackKnobs):
            value = getattr(self._initial_knobs, knob.name)
            setattr(self._book.knobs, knob.name, value)
        self._book.callbacks_new.clear()
        self._book.callbacks_expedite.clear()
        self._jwks_fetches = self._file_downloads = 0
        self._courier.reset()

    # -- what the fake serves besides the API ------------------------------------------
    def _side_reply(self, req: Incoming) -> Reply | None:
        """The files route and fal's JWKS (no key needed), or None."""
        if req.method in ("GET", "HEAD") and req.path.startswith(FILES_PREFIX):
            name = file_name(req.path)
            with self._lock:
                knobs = self._book.knobs
                size, cut = knobs.output_size, knobs.output_break_after
                if req.method == "GET":
                    self._file_downloads += 1
                if not name:
                    return self._api.no_route(req, "no such file")
            return file_reply(name, size, cut)
        if (
            self.family == "fal_queue"
            and req.method == "GET"
            and req.path.rstrip("/") == JWKS_PATH
        ):
            with self._lock:
                self._jwks_fetches += 1
            headers = {"Cache-Control": "public, max-age=86400"}
            return json_reply(200, self._keyring.jwks(), headers=headers)
        return None

    def _schedule_callbacks(self) -> None:
        """Under the fake's lock, after a request: hand new callback tasks to the
        courier and bring canceled ones forward."""
        book = self._book
        for task_id in book.callbacks_new:
            task = book.tasks[task_id]
            assert task.callback_url is not None
            self._courier.track(
                task_id, task.callback_url, self._api.callback_plan(task)
            )
        for task_id in book.callbacks_expedite:
            self._courier.expedite(task_id, _COMPLETION_EVENTS, time.monotonic())
        book.callbacks_new.clear()
        book.callbacks_expedite.clear()

    # -- courier hooks -----------------------------------------------------------------
    def _render(self, task_id: str, event: str) -> tuple[list[bytes], float | None]:
        with self._lock:
            task = self._book.tasks.get(task_id)
            if task is None:  # forgotten by reset()
                return [], None
            bodies = [_encode(p) for p in self._api.callback_payloads(task, event)]
            completed = task.completes_at if event in _COMPLETION_EVENTS else None
            return bodies, completed

    def _policy(self) -> tuple[int, float, float]:
        knobs = self._book.knobs
        return (
            knobs.callback_retries,
            knobs.callback_retry_delay_s,
            knobs.callback_timeout_s,
        )

    def _sign(
        self, task_id: str, body: bytes, event_id: str, timestamp: int
    ) -> dict[str, str]:
        knobs = self._book.knobs
        if self.family == "replicate":
            return replicate_headers(knobs.webhook_secret, event_id, timestamp, body)
        if self.family == "fal_queue":
            user = knobs.fal_user_id
            message = fal_message(task_id, user, timestamp, body)
            return {
                "X-Fal-Webhook-Request-Id": task_id,
                "X-Fal-Webhook-User-Id": user,
                "X-Fal-Webhook-Timestamp": str(timestamp),
                "X-Fal-Webhook-Signature": self._keyring.sign(message),
            }
        key = knobs.kie_webhook_hmac_key
        if self.family in ("kie_jobs", "kie_veo", "kie_4o") and key:
            signed_id = _body_task_id(body) or task_id  # kie signs the body's taskId
            return {
                "X-Webhook-Timestamp": str(timestamp),
                "X-Webhook-Signature": kie_signature(key, signed_id, timestamp),
            }
        return {}  # Runware (and kie without an HMAC key): unsigned

    # -- public API --------------------------------------------------------------------
    @property
    def deliveries(self) -> list[Delivery]:
        """Every callback delivery attempt so far (retries and redeliveries too)."""
        return self._courier.deliveries

    @property
    def pending_callbacks(self) -> int:
        """Callback events not yet delivered (or still being retried)."""
        return self._courier.pending

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """Block until `count` deliveries are recorded; return them all."""
        return self._courier.wait_for(count, timeout)

    def wait_callbacks_idle(self, timeout: float = 5.0) -> None:
        """Block until every scheduled callback was delivered or given up."""
        self._courier.idle(timeout)

    def redeliver(
        self,
        index: int,
        *,
        body: bytes | Mapping[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        timestamp: float | None = None,
        sign: bool = True,
        url: str | None = None,
    ) -> Delivery:
        """Send recorded delivery `index` again, now, and record the attempt.

        As is (a duplicate): `redeliver(i)`. Signed with the same event id and
        timestamp unless told otherwise; `timestamp=` re-signs with that time
        (an old one: a stale or replayed delivery; now: a provider's retry).
        `body=` replaces the body (bytes, or JSON-encoded); with `sign=False`
        the recorded headers, old signature included, go with it (a forgery).
        `headers=` overrides headers last (a None value removes one), `url=`
        sends it elsewhere. Runware and unkeyed kie deliveries carry no
        signature, so `sign` changes nothing there.
        """
        original = self._courier.delivery(index)
        if body is None:
            raw = original.body
        else:
            raw = body if isinstance(body, bytes) else _encode(body)
        stamp = original.timestamp if timestamp is None else int(timestamp)
        if sign:
            sent = {
                **self._courier.base_headers,
                **self._sign(original.task_id, raw, original.event_id, stamp),
            }
        else:
            sent = dict(original.headers)
        for name, value in (headers or {}).items():
            for existing in [k for k in sent if k.lower() == name.lower()]:
                del sent[existing]
            if value is not None:
                sent[name] = value
        return self._courier.send(
            task_id=original.task_id,
            event=original.event,
            url=url or original.url,
            headers=sent,
            body=raw,
            event_id=original.event_id,
            timestamp=stamp,
            attempt=original.attempt,
            completed_mono=original.completed_mono,
            redelivery_of=index,
        )

    # -- signing keys ------------------------------------------------------------------
    def _require_fal(self, what: str) -> None:
        if self.family != "fal_queue":
            raise ValueError(
                f"{what}: only the fal_queue fake signs with published keys "
                f"(this fake is {self.family}; Replicate uses `webhook_secret`)"
            )

    @property
    def jwks_url(self) -> str:
        """Where the fal fake publishes its public keys (fal's JWKS URL)."""
        self._require_fal("jwks_url")
        return self._book.base_url() + JWKS_PATH

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS the fal fake publishes now."""
        self._require_fal("jwks")
        return self._keyring.jwks()

    @property
    def signing_key_id(self) -> str:
        """The key id (`kid`) of the fal fake's current signing key."""
        self._require_fal("signing_key_id")
        return self._keyring.key_id

    def rotate_signing_key(self, *, keep_previous: bool = False) -> str:
        """fal: sign with a new key from now on; return its key id. The JWKS
        lists the new key, and the ones before it with `keep_previous`."""
        self._require_fal("rotate_signing_key")
        return self._keyring.rotate(keep_previous=keep_previous)

    @property
    def webhook_secret(self) -> str:
        """Replicate's signing secret ("whsec_..."; the `webhook_secret` knob)."""
        return self._book.knobs.webhook_secret

    @property
    def jwks_fetches(self) -> int:
        with self._lock:
            return self._jwks_fetches

    # -- output files ------------------------------------------------------------------
    @property
    def file_downloads(self) -> int:
        """GET requests to the files route so far."""
        with self._lock:
            return self._file_downloads

    def file_bytes(self, url: str, size: int | None = None) -> bytes:
        """The bytes the files route serves for `url` (or a /files/... path)."""
        if size is None:
            size = self._book.knobs.output_size
        return content(file_name(url), size)


def _body_task_id(body: bytes) -> str | None:
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        return None
    task_id = data.get("taskId") if isinstance(data, dict) else None
    return task_id if isinstance(task_id, str) else None

"""fal.ai's webhook signatures: ED25519 with keys published as a JWKS.

fal's docs (https://docs.fal.ai/model-apis/model-endpoints/webhooks, "Verifying
Your Webhook"; also https://fal.ai/docs/model-apis/webhooks) describe each
delivery's headers `X-Fal-Webhook-Request-Id`, `X-Fal-Webhook-User-Id`,
`X-Fal-Webhook-Timestamp` (seconds since the epoch) and `X-Fal-Webhook-Signature`
(hex): an ED25519 signature over the request id, the user id, the timestamp and
the hex SHA-256 of the raw body, joined by newlines; the public keys are a JWKS
(`kty` OKP, `crv` Ed25519, base64url `x`) that may be cached for up to 24 hours,
and a timestamp more than 5 minutes from now is refused. The stored copies of
those pages that could be read here stop before the step list, so the message
layout and the key URLs were checked against several independent verifiers
that cite the page; they agree on the layout. Older ones fetch the keys from
rest.alpha.fal.ai, newer ones from rest.fal.ai: both are fal's own hosts, so
both are read by default and a key from either verifies (`fal_jwks_url`
changes that).

The keys are cached (`ttl_s`, 24 h by default) and fetched again when no cached
key verifies a signature (fal's headers carry no key id, so "a key we do not
know" shows as exactly that), at most once per `min_refresh_s`: a flood of
forged deliveries cannot make this receiver hammer the JWKS URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.datastructures import Headers

from modelvault.webhooks._refusal import RefusalError

FAL_JWKS_URLS = (
    "https://rest.alpha.fal.ai/.well-known/jwks.json",
    "https://rest.fal.ai/.well-known/jwks.json",
)
JWKS_URL_ENV = "MODELVAULT_FAL_JWKS_URL"
HEADERS = (
    "x-fal-webhook-request-id",
    "x-fal-webhook-user-id",
    "x-fal-webhook-timestamp",
    "x-fal-webhook-signature",
)
TOLERANCE_S = 300  # fal's docs: within 5 minutes of now
MAX_JWKS_BYTES = 256 * 1024

log = logging.getLogger("modelvault.webhooks")


class FalKeys:
    """fal's public keys, fetched from `urls` and cached."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        ttl_s: float = 24 * 3600,
        min_refresh_s: float = 60.0,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("give at least one fal JWKS URL")
        self.urls = tuple(urls)
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._keys: list[Ed25519PublicKey] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # JWKS requests sent (every URL counts)

    async def verify(self, message: bytes, signature: bytes) -> bool:
        """True if a current key signed `message`; fetches the keys first when
        none are cached or they are older than ttl_s, and once more (rate
        limited) when no cached key verifies."""
        now = self._clock()
        if self._fetched_at is None or now - self._fetched_at > self.ttl_s:
            await self._refresh()
            if not self._keys:
                raise RefusalError(
                    503,
                    "fal's signing keys could not be fetched, so the delivery "
                    "cannot be verified now; fal retries it",
                )
        if _any_verifies(self._keys, message, signature):
            return True
        return await self._refresh() and _any_verifies(self._keys, message, signature)

    async def _refresh(self) -> bool:
        """Fetch the keys unless an attempt was made less than min_refresh_s
        ago; True if the cached keys changed hands (fetched just now)."""
        seen = self._attempted_at
        async with self._lock:
            if self._attempted_at != seen:  # another delivery just fetched
                return True
            now = self._clock()
            if (
                self._attempted_at is not None
                and now - self._attempted_at < self.min_refresh_s
            ):
                return False
            self._attempted_at = now
            keys = await self._fetch_all()
            if keys:
                self._keys = keys
                self._fetched_at = now
            return bool(keys)

    async def _fetch_all(self) -> list[Ed25519PublicKey]:
        keys: list[Ed25519PublicKey] = []
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for url in self.urls:
                self.fetches += 1
                try:
                    keys += await _fetch(client, url)
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("fal JWKS %s not usable: %s", url, exc)
        return keys


async def _fetch(client: httpx.AsyncClient, url: str) -> list[Ed25519PublicKey]:
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > MAX_JWKS_BYTES:
                raise ValueError(f"larger than {MAX_JWKS_BYTES} bytes")
    document = json.loads(bytes(data))
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("no `keys` list")
    keys = [key for key in map(_ed25519, entries) if key is not None]
    if not keys:
        raise ValueError("no Ed25519 key in it")
    return keys


def _ed25519(entry: object) -> Ed25519PublicKey | None:
    if not isinstance(entry, dict):
        return None
    x = entry.get("x")
    if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
        return None
    if not isinstance(x, str):
        return None
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return None


def _any_verifies(
    keys: list[Ed25519PublicKey], message: bytes, signature: bytes
) -> bool:
    for key in keys:
        try:
            key.verify(signature, message)
        except InvalidSignature:
            continue
        return True
    return False


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """What fal signs: the three header values and the body's hex SHA-256,
    joined by newlines."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([request_id, user_id, timestamp, digest]).encode()


async def verify(
    keys: FalKeys, headers: Headers, body: bytes, *, now: float | None = None
) -> str:
    """The delivery's request id once its signature checks out; a RefusalError
    otherwise (401 missing, stale or forged; 503 keys unavailable)."""
    request_id, user_id, timestamp, signature = (headers.get(h, "") for h in HEADERS)
    missing = [h for h in HEADERS if not headers.get(h, "")]
    if missing:
        raise RefusalError(401, f"missing signature header(s): {', '.join(missing)}")
    if not timestamp.isdigit():
        raise RefusalError(401, "x-fal-webhook-timestamp is not epoch seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > TOLERANCE_S:
        raise RefusalError(
            401,
            "x-fal-webhook-timestamp is outside the 5-minute tolerance (a replayed "
            "or delayed delivery; check this machine's clock if all are)",
        )
    try:
        raw = bytes.fromhex(signature)
    except ValueError:
        raise RefusalError(401, "x-fal-webhook-signature does not match") from None
    message = signed_message(request_id, user_id, timestamp, body)
    if len(raw) != 64 or not await keys.verify(message, raw):
        raise RefusalError(401, "x-fal-webhook-signature does not match")
    return request_id

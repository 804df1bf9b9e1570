"""How the providers sign their callbacks, written from their docs (not from the
libraries a receiver uses to check them, so a test that verifies a fake's
delivery with such a library cross-checks both).

- Replicate (replicate.com/docs/topics/webhooks/verify-webhook), the Standard
  Webhooks scheme (github.com/standard-webhooks/standard-webhooks, spec.md):
  headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
  `webhook-signature` = "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))
  where key is the base64-decoded part of the "whsec_..." secret; several
  signatures may be listed, space-separated. The id stays the same when a
  delivery is retried.
- fal.ai (docs.fal.ai/model-apis/model-endpoints/webhooks, "Verifying Your
  Webhook"): headers `X-Fal-Webhook-Request-Id`, `X-Fal-Webhook-User-Id`,
  `X-Fal-Webhook-Timestamp` (Unix seconds) and `X-Fal-Webhook-Signature`, the
  hex ED25519 signature of "\\n".join([request_id, user_id, timestamp,
  sha256(body).hexdigest()]) encoded UTF-8; the public keys are a JWKS
  (https://rest.fal.ai/.well-known/jwks.json; OKP / Ed25519 keys, `x` in
  base64url). The delivery names no key: a receiver tries every published key
  (and refetches the set when none verifies). Receivers are told to refuse
  timestamps more than 300 s away and to cache the JWKS at most 24 h.
- kie.ai (docs.kie.ai/common-api/webhook-verification): optional, when the
  account enables a webhookHmacKey: `X-Webhook-Timestamp` (Unix seconds) and
  `X-Webhook-Signature` = base64(HMAC-SHA256(key, f"{taskId}.{timestamp}")).
  It signs the task id, not the body. Off by default in the fakes; nothing
  requires it.
- Runware documents no signature (runware.ai/docs/platform/webhooks: secure the
  URL with your own token in its query).

`cryptography` is imported only when a fal key is first needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from typing import TYPE_CHECKING, Any

from modelvault.testing._knobs import secret_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def standard_webhooks_signature(
    secret: str, msg_id: str, timestamp: int, body: bytes
) -> str:
    """The `webhook-signature` value ("v1,<base64>") of one delivery."""
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def replicate_headers(
    secret: str, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhooks_signature(
            secret, msg_id, timestamp, body
        ),
    }


def fal_message(request_id: str, user_id: str, timestamp: int, body: bytes) -> bytes:
    """The bytes fal signs for one delivery."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([request_id, user_id, str(timestamp), digest]).encode("utf-8")


def kie_signature(key: str, task_id: str, timestamp: int) -> str:
    """kie.ai's optional `X-Webhook-Signature` value."""
    mac = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FalKeyring:
    """The fal fake's ED25519 signing keys and the JWKS it publishes.

    The first key is made on first use. `rotate` makes a new signing key; the
    JWKS then lists it alone, or it and the keys published before
    (`keep_previous=True`, as a provider does while receivers catch up).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: tuple[str, Ed25519PrivateKey] | None = None
        self._published: list[tuple[str, Ed25519PrivateKey]] = []

    @staticmethod
    def _generate() -> Ed25519PrivateKey:
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
                Ed25519PrivateKey,
            )
        except ImportError as exc:  # pragma: no cover - cryptography is a dev dep
            raise RuntimeError(
                "fal callbacks are signed with ED25519, which needs the "
                "'cryptography' package: pip install 'modelvault[webhooks]'"
            ) from exc
        return Ed25519PrivateKey.generate()

    def _ensure(self) -> tuple[str, Ed25519PrivateKey]:
        if self._current is None:
            self._rotate(keep_previous=False)
        assert self._current is not None
        return self._current

    def _rotate(self, *, keep_previous: bool) -> str:
        key = self._generate()
        kid = "fake-fal-" + secrets.token_hex(6)
        self._current = (kid, key)
        self._published = [self._current, *(self._published if keep_previous else [])]
        return kid

    def rotate(self, *, keep_previous: bool = False) -> str:
        """Switch to a new signing key; return its key id."""
        with self._lock:
            return self._rotate(keep_previous=keep_previous)

    @property
    def key_id(self) -> str:
        with self._lock:
            return self._ensure()[0]

    def sign(self, message: bytes) -> str:
        """The hex ED25519 signature of `message` with the current key."""
        with self._lock:
            key = self._ensure()[1]
        return key.sign(message).hex()

    def jwks(self) -> dict[str, Any]:
        """The published public keys as a JSON Web Key Set (RFC 7517/8037)."""
        with self._lock:
            self._ensure()
            published = list(self._published)
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": _b64url(key.public_key().public_bytes_raw()),
                    "kid": kid,
                    "use": "sig",
                    "alg": "EdDSA",
                }
                for kid, key in published
            ]
        }

"""Replicate's webhook signatures: the Standard Webhooks scheme.

Replicate's docs (https://replicate.com/docs/topics/webhooks/verify-webhook)
name three headers: `webhook-id` (unique per message, the same when a delivery
is retried), `webhook-timestamp` (seconds since the epoch) and
`webhook-signature` (space-separated `v1,<base64>` signatures), signed with
HMAC-SHA256 over `id.timestamp.body` using the account's signing secret
(`whsec_...`, from `GET https://api.replicate.com/v1/webhooks/default/secret`).
The check itself is the scheme's reference library, `standardwebhooks`
(https://github.com/standard-webhooks/standard-webhooks), whose tolerance for
the timestamp is 5 minutes either way: an older or newer delivery is refused.
"""

from __future__ import annotations

import binascii
import re

from standardwebhooks.webhooks import (
    EmptyWebhookSecretError,
    Webhook,
    WebhookVerificationError,
)
from starlette.datastructures import Headers

from modelvault.webhooks._refusal import RefusalError

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
SECRET_ENV = "REPLICATE_WEBHOOK_SECRET"
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def verifier(secret: str) -> Webhook:
    """A verifier for this signing secret; a ValueError (that never repeats the
    secret) if it is not one."""
    secret = secret.strip()
    if _BASE64.fullmatch(secret.removeprefix("whsec_")):
        try:
            return Webhook(secret)
        except (binascii.Error, ValueError, RuntimeError, EmptyWebhookSecretError):
            pass
    raise ValueError(
        "the Replicate signing secret is not a Standard Webhooks secret "
        "(whsec_ followed by base64): copy the `key` of GET "
        "https://api.replicate.com/v1/webhooks/default/secret"
    )


def verify(webhook: Webhook | None, headers: Headers, body: bytes) -> str:
    """The delivery's webhook-id once its signature checks out; a RefusalError
    otherwise (401 missing, stale or forged; 503 if no secret is configured)."""
    if webhook is None:
        raise RefusalError(
            503,
            "this receiver has no Replicate signing secret, so it cannot verify "
            f"Replicate deliveries: set {SECRET_ENV} (or create_app("
            "replicate_secret=...))",
        )
    values = {name: headers.get(name, "") for name in HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise RefusalError(401, f"missing signature header(s): {', '.join(missing)}")
    try:
        webhook.verify(body, values, json_parse=False)
    except WebhookVerificationError as exc:
        text = str(exc)
        if "timestamp" in text.lower():
            raise RefusalError(
                401,
                "webhook-timestamp is outside the 5-minute tolerance (a replayed "
                "or delayed delivery; check this machine's clock if all are)",
            ) from None
        raise RefusalError(401, "webhook-signature does not match") from None
    except (ValueError, TypeError):  # malformed signature list, base64, UTF-8
        raise RefusalError(401, "webhook-signature does not match") from None
    return values["webhook-id"]

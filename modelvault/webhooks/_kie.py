"""kie.ai's optional callback signature.

kie.ai signs callbacks only when the account turns on its `webhookHmacKey` in
the settings page (https://docs.kie.ai/common-api/webhook-verification):
`X-Webhook-Timestamp` (seconds since the epoch) and `X-Webhook-Signature` =
base64(HMAC-SHA256(taskId + "." + timestamp, webhookHmacKey)), where taskId is
the task id in the callback body. The signature does not cover the rest of the
body, so the per-generation token stays the main check; with `kie_hmac_key`
given, kie deliveries must carry this signature as well. kie states no time
window: 5 minutes, as for the other providers, is applied here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from starlette.datastructures import Headers

from modelvault.webhooks._refusal import RefusalError

HEADERS = ("x-webhook-timestamp", "x-webhook-signature")
SECRET_ENV = "KIE_WEBHOOK_HMAC_KEY"
TOLERANCE_S = 300


def task_id_of(payload: Any) -> str | None:
    """The task id of a kie callback body (`data.taskId`, or `data.task_id` as
    kie's own verification example reads it)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    found = data.get("taskId", data.get("task_id"))
    return found if isinstance(found, str) and found else None


def verify(
    key: str | None, headers: Headers, body: bytes, *, now: float | None = None
) -> str:
    """'' when no key is configured; else the task id once the signature
    checks out, or a RefusalError (401 missing, stale or forged; 400 when the
    body is not JSON, so no task id can be read to check it)."""
    if key is None:
        return ""
    timestamp, signature = (headers.get(h, "") for h in HEADERS)
    missing = [h for h in HEADERS if not headers.get(h, "")]
    if missing:
        raise RefusalError(
            401,
            f"missing signature header(s): {', '.join(missing)} (this receiver "
            "expects kie.ai's webhookHmacKey signature)",
        )
    if not timestamp.isdigit():
        raise RefusalError(401, "x-webhook-timestamp is not epoch seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > TOLERANCE_S:
        raise RefusalError(
            401,
            "x-webhook-timestamp is outside the 5-minute tolerance (a replayed "
            "or delayed delivery; check this machine's clock if all are)",
        )
    try:
        task_id = task_id_of(json.loads(body))
    except ValueError:
        raise RefusalError(400, "the body is not JSON") from None
    if task_id is None:
        raise RefusalError(401, "x-webhook-signature cannot be checked: no taskId")
    expected = hmac.new(
        key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256
    ).digest()
    try:
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        given = b""
    if not hmac.compare_digest(expected, given):
        raise RefusalError(401, "x-webhook-signature does not match")
    return f"{task_id}.{timestamp}"

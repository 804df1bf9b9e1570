"""A callback token echoed back by a provider is kept out of records; any
other `token=` value (a CDN's signed output URL) is kept exactly."""

from __future__ import annotations

import hashlib
import secrets

from modelvault._redact import REDACTED, redact_token


def test_only_the_records_own_token_is_replaced() -> None:
    token = secrets.token_urlsafe(32)
    other = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    body = {
        "data": {
            "param": '{"callBackUrl": "https://app.example/hooks/kie_jobs/g1?token='
            + token
            + '"}',
            "encoded": "https://queue.fal.run/x?fal_webhook=https%3A%2F%2Fa%2Fb%3Ftoken%3D"
            + token,
            "resultUrls": [f"https://cdn.example/out.png?token={other}"],
            f"token={token}": "keys too",
        }
    }

    cleaned = redact_token(body, digest)

    assert token not in repr(cleaned)
    assert cleaned["data"]["resultUrls"] == body["data"]["resultUrls"]
    assert f"token={REDACTED}" in cleaned["data"]["param"]
    assert f"token%3D{REDACTED}" in cleaned["data"]["encoded"]
    assert redact_token(body, None) == body

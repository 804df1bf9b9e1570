"""Callback delivery records and the one POST that makes each: `Delivery` is
what a fake sent and what came back; `post` sends over real HTTP (http.client:
no redirects are followed, as a provider would not). The `Courier`
(`_courier`) decides when.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_ANSWER_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt as the fake sent it.

    `completed_mono` is when the task completed (the provider's side; monotonic
    clock) for completion events, so `answered_mono - completed_mono` and a
    receiver's own store timestamps give callback latency. `status` is the
    receiver's HTTP answer (None when no answer came; `error` says why).
    """

    index: int
    task_id: str
    event: str
    url: str
    headers: dict[str, str]
    body: bytes
    event_id: str
    timestamp: int
    attempt: int
    status: int | None
    error: str | None
    sent_at: float
    sent_mono: float
    answered_mono: float
    completed_mono: float | None
    redelivery_of: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def completed_at(self) -> float | None:
        """The task's completion on the wall clock (from `completed_mono`)."""
        if self.completed_mono is None:
            return None
        return self.sent_at - (self.sent_mono - self.completed_mono)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[int | None, str | None]:
    """POST `body` to `url`; (HTTP status, None) or (None, why no answer came)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None, f"not an http(s) URL: {url!r}"
    try:
        port = parts.port
    except ValueError as exc:
        return None, f"bad port in {url!r}: {exc}"
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl_context or ssl.create_default_context()
        conn = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(_ANSWER_LIMIT)
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()

"""fal.ai deliveries: ED25519 signatures over fal's documented message, with
test keys whose JWKS a loopback server publishes; the key cache, its refetch on
an unknown key (rotation) and its rate limit under a flood of forgeries. The
receiver runs under a real uvicorn server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from webhook_support import FalKey, JwksServer, make_record, new_token, post, serve

from modelvault.store import GenerationStore, SQLiteStore
from modelvault.webhooks import create_app

BODY = json.dumps(
    {
        "request_id": "task-1",
        "gateway_request_id": "task-1",
        "status": "OK",
        "payload": {
            "images": [
                {
                    "url": "https://v3.fal.media/files/fox.png",
                    "content_type": "image/png",
                }
            ],
            "seed": 42,
        },
    }
).encode()

Hooks = Callable[..., AbstractContextManager[tuple[GenerationStore, str, Any]]]


@pytest.fixture
def hooks(tmp_path: Path) -> Hooks:
    """hooks(jwks_url, **create_app options) -> context of (store, base URL,
    the app's receiver)."""

    @contextmanager
    def start(
        jwks_url: str | list[str], **options: Any
    ) -> Iterator[tuple[GenerationStore, str, Any]]:
        store = SQLiteStore(tmp_path / "generations.db")
        app = create_app(store, replicate_secret=None, fal_jwks_url=jwks_url, **options)
        with serve(app) as base:
            yield store, base, app.state.receiver

    return start


def test_signature_checks_come_before_the_record(hooks: Hooks) -> None:
    """Well signed: on to the record (404 for an unknown one); anything else
    401, and the record is never read or changed."""
    key, other = FalKey("k1"), FalKey("k-not-published")
    with (
        JwksServer([key]) as jwks,
        hooks(jwks.url, jwks_min_refresh_s=0) as (
            store,
            base,
            _,
        ),
    ):
        token, digest = new_token()
        gen = make_record(store, "fal_queue", token_sha256=digest)
        before = store.get_generation(gen)
        assert (
            post(base, "fal_queue/gen-nope", BODY, key.headers(BODY)).status_code == 404
        )
        now = int(time.time())
        good = key.headers(BODY)
        cases = {
            "unknown key": other.headers(BODY),
            "tampered body": key.headers(BODY.replace(b"fox", b"cat")),
            "stale": key.headers(BODY, timestamp=now - 301 - 5),
            "future": key.headers(BODY, timestamp=now + 400),
            "missing signature": {
                k: v for k, v in good.items() if k != "X-Fal-Webhook-Signature"
            },
            "missing user": {
                k: v for k, v in good.items() if k != "X-Fal-Webhook-User-Id"
            },
            "not hex": {**good, "X-Fal-Webhook-Signature": "zz" * 64},
            "short": {
                **good,
                "X-Fal-Webhook-Signature": good["X-Fal-Webhook-Signature"][:64],
            },
            "other request id": {**good, "X-Fal-Webhook-Request-Id": "task-2"},
            "timestamp text": {**good, "X-Fal-Webhook-Timestamp": "yesterday"},
        }
        for case, headers in cases.items():
            answer = post(base, f"fal_queue/{gen}", BODY, headers, token=token)
            assert answer.status_code == 401, (case, answer.text)
        assert store.get_generation(gen) == before
        stale = post(base, f"fal_queue/{gen}", BODY, cases["stale"], token=token)
        assert "5-minute" in stale.json()["error"]


def test_a_rotated_key_is_fetched_and_a_retired_one_refused(hooks: Hooks) -> None:
    old, new = FalKey("2026-01"), FalKey("2026-07")
    with (
        JwksServer([old]) as jwks,
        hooks(jwks.url, jwks_min_refresh_s=0) as (
            _,
            base,
            receiver,
        ),
    ):
        assert post(base, "fal_queue/gen-x", BODY, old.headers(BODY)).status_code == 404
        assert jwks.hits == 1
        # cached: no fetch for the next delivery signed by a known key
        assert post(base, "fal_queue/gen-x", BODY, old.headers(BODY)).status_code == 404
        assert jwks.hits == 1
        jwks.keys = [new]  # fal rotates: the new key only
        assert post(base, "fal_queue/gen-x", BODY, new.headers(BODY)).status_code == 404
        assert jwks.hits == 2
        retired = post(base, "fal_queue/gen-x", BODY, old.headers(BODY))
        assert retired.status_code == 401
        assert receiver.fal_keys.fetches == jwks.hits


def test_a_flood_of_forgeries_fetches_the_keys_at_most_once_a_minute(
    hooks: Hooks,
) -> None:
    key, forger = FalKey("k1"), FalKey("forger")
    with JwksServer([key]) as jwks, hooks(jwks.url) as (_, base, _receiver):
        assert post(base, "fal_queue/gen-x", BODY, key.headers(BODY)).status_code == 404
        for _ in range(30):
            answer = post(base, "fal_queue/gen-x", BODY, forger.headers(BODY))
            assert answer.status_code == 401
        assert jwks.hits == 1


def test_keys_expire_after_their_ttl(hooks: Hooks) -> None:
    key = FalKey("k1")
    with (
        JwksServer([key]) as jwks,
        hooks(jwks.url, jwks_ttl_s=0.3, jwks_min_refresh_s=0) as (_, base, _receiver),
    ):
        assert post(base, "fal_queue/gen-x", BODY, key.headers(BODY)).status_code == 404
        time.sleep(0.4)
        assert post(base, "fal_queue/gen-x", BODY, key.headers(BODY)).status_code == 404
        assert jwks.hits == 2


def test_unreachable_keys_are_503_and_not_hammered(hooks: Hooks) -> None:
    key = FalKey("k1")
    with JwksServer([key]) as jwks, hooks(jwks.url) as (_, base, _receiver):
        jwks.status = 500
        for _ in range(5):
            answer = post(base, "fal_queue/gen-x", BODY, key.headers(BODY))
            assert answer.status_code == 503
            assert "retries" in answer.json()["error"]
        assert jwks.hits == 1


def test_keys_from_any_of_several_urls_verify(hooks: Hooks) -> None:
    key = FalKey("k1")
    with JwksServer([]) as broken, JwksServer([key]) as good:
        broken.status = 404
        with hooks([broken.url, good.url]) as (_, base, _receiver):
            answer = post(base, "fal_queue/gen-x", BODY, key.headers(BODY))
            assert answer.status_code == 404
            assert (broken.hits, good.hits) == (1, 1)


def test_a_signed_delivery_finishes_the_generation_once(hooks: Hooks) -> None:
    key = FalKey("k1")
    with JwksServer([key]) as jwks, hooks(jwks.url) as (store, base, _receiver):
        token, digest = new_token()
        gen = make_record(store, "fal_queue", task_id="task-1", token_sha256=digest)
        headers = key.headers(BODY, request_id="task-1")
        first = post(base, f"fal_queue/{gen}", BODY, headers, token=token)
        assert first.status_code == 200, first.text
        record = store.get_generation(gen)
        assert record is not None and record.status == "completed"
        assert record.outputs == ["https://v3.fal.media/files/fox.png"]
        again = post(base, f"fal_queue/{gen}", BODY, headers, token=token)
        assert again.status_code == 200
        assert again.json()["result"] in ("duplicate", "unchanged")
        assert store.get_generation(gen) == record
        wrong = post(base, f"fal_queue/{gen}", BODY, headers, token=token + "x")
        assert wrong.status_code == 401

"""The fakes' callbacks, over real HTTP: each family's fake POSTs its provider's
documented body to a small receiver here (http.server in a thread), signed as
the provider signs, and the test checks shapes and signatures by independent
means: Replicate's with the `standardwebhooks` library (the fake's signer is
hand-written from the spec), fal's with `cryptography` against the JWKS fetched
from the fake, kie's optional HMAC by hand. Also: retries, the redeliver
helpers (duplicate, stale, forged, re-signed), key rotation, and the output
files route."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from callback_support import Received, Receiver

from modelvault.testing import FakeProvider, Family
from modelvault.testing._deliveries import Delivery

standardwebhooks = pytest.importorskip("standardwebhooks.webhooks")
ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
crypto_exceptions = pytest.importorskip("cryptography.exceptions")

KEY = "test-key"
IMAGE = "https://example.com/input.png"
OUTCOMES: dict[Family, tuple[str, ...]] = {
    "kie_jobs": ("success", "failed"),
    "kie_veo": ("success", "failed"),
    "runware": ("success", "failed"),
    "fal_queue": ("success", "failed", "canceled"),
    "replicate": ("success", "failed", "canceled", "aborted"),
}
CASES = [(family, outcome) for family, ends in OUTCOMES.items() for outcome in ends]


# -- fixtures --------------------------------------------------------------------------
@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as shared:
        yield shared


def make_fake(family: Family, **knobs: Any) -> FakeProvider:
    return FakeProvider(family, api_key=KEY, **knobs)


# -- submitting and polling ------------------------------------------------------------
def auth(family: str) -> dict[str, str]:
    return {"Authorization": f"{'Key' if family == 'fal_queue' else 'Bearer'} {KEY}"}


def submit(
    client: httpx.Client,
    fake: FakeProvider,
    callback: str | None,
    **extra: Any,
) -> httpx.Response:
    base, headers = fake.base_url, auth(fake.family)
    if fake.family == "kie_jobs":
        body: Any = {"model": "recraft/crisp-upscale", "input": {"image": IMAGE}}
        body |= {"callBackUrl": callback} if callback else {}
        return client.post(f"{base}/api/v1/jobs/createTask", json=body, headers=headers)
    if fake.family == "kie_veo":
        body = {
            "prompt": "a fox",
            "model": "veo3_fast",
            "generationType": "TEXT_2_VIDEO",
        }
        body |= {"callBackUrl": callback} if callback else {}
        return client.post(f"{base}/api/v1/veo/generate", json=body, headers=headers)
    if fake.family == "runware":
        task = {
            "taskType": "imageInference",
            "taskUUID": str(uuid.uuid4()),
            "model": "runware:100@1",
            "positivePrompt": "a fox",
            "width": 1024,
            "height": 1024,
            "deliveryMethod": "async",
            **({"webhookURL": callback} if callback else {}),
            **extra,
        }
        return client.post(f"{base}/v1", json=[task], headers=headers)
    if fake.family == "fal_queue":
        params = {"fal_webhook": callback} if callback else {}
        return client.post(
            f"{base}/fal-ai/flux/schnell",
            params=params,
            json={"prompt": "a fox"},
            headers=headers,
        )
    body = {"input": {"prompt": "a fox"}, **extra}
    body |= {"webhook": callback} if callback else {}
    path = "/v1/models/black-forest-labs/flux-schnell/predictions"
    return client.post(f"{base}{path}", json=body, headers=headers)


def task_id_of(family: str, response: httpx.Response) -> str:
    assert response.status_code in (200, 201), response.text
    body = response.json()
    if family in ("kie_jobs", "kie_veo"):
        return str(body["data"]["taskId"])
    if family == "runware":
        return str(body["data"][0]["taskUUID"])
    return str(body["request_id"] if family == "fal_queue" else body["id"])


def poll_state(client: httpx.Client, fake: FakeProvider, task_id: str) -> Any:
    """The state a poll answers now (kie's invisible first poll skipped)."""
    base, headers = fake.base_url, auth(fake.family)
    for _ in range(3):
        if fake.family == "kie_jobs":
            url = f"{base}/api/v1/jobs/recordInfo"
            body = client.get(url, params={"taskId": task_id}, headers=headers).json()
            if body["data"] is None:
                continue
            return body["data"]["state"]
        if fake.family == "kie_veo":
            url = f"{base}/api/v1/veo/record-info"
            body = client.get(url, params={"taskId": task_id}, headers=headers).json()
            return body["data"]["successFlag"]
        if fake.family == "runware":
            poll = [{"taskType": "getResponse", "taskUUID": task_id}]
            body = client.post(f"{base}/v1", json=poll, headers=headers).json()
            return body["data"][0]["status"] if body["data"] else "error"
        if fake.family == "fal_queue":
            url = f"{base}/fal-ai/flux/requests/{task_id}/status"
            return client.get(url, headers=headers).json()["status"]
        url = f"{base}/v1/predictions/{task_id}"
        return client.get(url, headers=headers).json()["status"]
    raise AssertionError("kie never showed the task")


PENDING = {
    "kie_jobs": ("waiting", "queuing", "generating"),
    "kie_veo": (0,),
    "runware": ("pending", "processing"),
    "fal_queue": ("IN_QUEUE", "IN_PROGRESS"),
    "replicate": ("starting", "processing"),
}
FINAL: dict[str, dict[str, Any]] = {
    "kie_jobs": {"success": "success", "failed": "fail"},
    "kie_veo": {"success": 1, "failed": 3},
    "runware": {"success": "success", "failed": "error"},
    "fal_queue": {
        "success": "COMPLETED",
        "failed": "COMPLETED",
        "canceled": "COMPLETED",
    },
    "replicate": {
        "success": "succeeded",
        "failed": "failed",
        "canceled": "canceled",
        "aborted": "aborted",
    },
}


# -- independent signature checks ------------------------------------------------------
def check_replicate(fake: FakeProvider, got: Received) -> None:
    """Standard Webhooks verification by the library a receiver would use."""
    standardwebhooks.Webhook(fake.webhook_secret).verify(got.body, got.headers)


def jwk_keys(client: httpx.Client, fake: FakeProvider) -> list[Any]:
    jwks = client.get(fake.jwks_url).json()
    keys = []
    for jwk in jwks["keys"]:
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys.append(ed25519.Ed25519PublicKey.from_public_bytes(raw))
    return keys


def fal_verifies(keys: list[Any], got: Received) -> bool:
    """fal's documented check: ED25519 over request id, user id, timestamp and
    the body's sha256 hex, newline-joined, against any published key."""
    h = got.headers
    message = "\n".join(
        [
            h["x-fal-webhook-request-id"],
            h["x-fal-webhook-user-id"],
            h["x-fal-webhook-timestamp"],
            hashlib.sha256(got.body).hexdigest(),
        ]
    ).encode()
    signature = bytes.fromhex(h["x-fal-webhook-signature"])
    for key in keys:
        try:
            key.verify(signature, message)
        except crypto_exceptions.InvalidSignature:
            continue
        return True
    return False


def check_body(family: Family, outcome: str, fake: FakeProvider, body: Any) -> str:
    """Check one family's documented callback body; return its task id."""
    if family == "replicate":
        assert body["status"] == FINAL["replicate"][outcome]
        assert (body["output"] is not None) == (outcome == "success")
        assert (body["error"] is not None) == (outcome == "failed")
        assert body["webhook"].startswith("http://127.0.0.1")
        return str(body["id"])
    if family == "fal_queue":
        task_id = str(body["request_id"])
        assert body["gateway_request_id"] == task_id
        if outcome == "success":
            assert body["status"] == "OK" and body["error"] is None
            urls = [image["url"] for image in body["payload"]["images"]]
            assert urls == list(fake.task(task_id).result_urls)
        else:
            assert body["status"] == "ERROR" and body["error"]
            assert "detail" in body["payload"]
        return task_id
    if family == "runware":
        if outcome == "success":
            (item,) = body["data"]
            assert item["status"] == "success" and item["imageURL"]
            return str(item["taskUUID"])
        (error,) = body["errors"]
        assert error["status"] == "error" and error["message"]
        return str(error["taskUUID"])
    if family == "kie_jobs":
        data = body["data"]
        if outcome == "success":
            assert body["code"] == 200 and data["state"] == "success"
            urls = json.loads(data["resultJson"])["resultUrls"]
            assert urls == list(fake.task(data["taskId"]).result_urls)
        else:
            assert body["code"] == 501 and data["state"] == "fail" and data["failMsg"]
        return str(data["taskId"])
    data = body["data"]
    assert data["fallbackFlag"] is False
    if outcome == "success":
        assert body["code"] == 200 and body["msg"]
        assert data["info"]["resultUrls"] == list(fake.task(data["taskId"]).result_urls)
        assert set(data["info"]) == {"resultUrls", "originUrls", "resolution"}
    else:
        assert body["code"] == 501 and "info" not in data
    return str(data["taskId"])


# -- every family delivers every documented end ----------------------------------------
@pytest.mark.parametrize(("family", "outcome"), CASES)
def test_every_family_calls_back_with_its_documented_body(
    family: Family, outcome: str, receiver: Receiver, client: httpx.Client
) -> None:
    events = ["completed"] if family == "replicate" else []
    extra = {"webhook_events_filter": events} if events else {}
    with make_fake(family, outcome=outcome, callback_delay_s=0.15) as fake:
        task_id = task_id_of(family, submit(client, fake, receiver.url(), **extra))
        assert poll_state(client, fake, task_id) in PENDING[family]
        if outcome == "canceled" and family == "fal_queue":
            url = f"{fake.base_url}/fal-ai/flux/requests/{task_id}/cancel"
            assert client.put(url, headers=auth(family)).status_code == 202
        (got,) = receiver.wait(1)
        assert got.path == "/hook"
        assert got.headers["content-type"] == "application/json"
        assert check_body(family, outcome, fake, got.json) == task_id
        assert poll_state(client, fake, task_id) == FINAL[family][outcome]
        (delivery,) = fake.wait_for_deliveries(1)
        assert delivery.ok and delivery.status == 200 and delivery.body == got.body
        assert delivery.task_id == task_id and delivery.attempt == 1
        assert delivery.completed_mono is not None
        assert delivery.sent_mono >= delivery.completed_mono - 0.001
        if family == "replicate":
            check_replicate(fake, got)
        elif family == "fal_queue":
            assert fal_verifies(jwk_keys(client, fake), got)
            assert got.headers["x-fal-webhook-user-id"] == "fake-fal-user"
        else:
            assert not any(h.startswith(("webhook-", "x-fal")) for h in got.headers)


def test_polls_answer_pending_until_the_callback_time(
    receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake("fal_queue", callback_delay_s=0.25, polls=0) as fake:
        task_id = task_id_of("fal_queue", submit(client, fake, receiver.url()))
        result = f"{fake.base_url}/fal-ai/flux/requests/{task_id}"
        for _ in range(3):  # polls=0 would finish a polled task at once
            assert poll_state(client, fake, task_id) in PENDING["fal_queue"]
        assert client.get(result, headers=auth("fal_queue")).status_code == 400
        receiver.wait(1)
        assert poll_state(client, fake, task_id) == "COMPLETED"
        assert client.get(result, headers=auth("fal_queue")).status_code == 200


def test_tasks_without_a_callback_still_complete_by_polls(
    client: httpx.Client,
) -> None:
    with make_fake("replicate", polls=1) as fake:
        task_id = task_id_of("replicate", submit(client, fake, None))
        assert poll_state(client, fake, task_id) == "starting"
        assert poll_state(client, fake, task_id) == "succeeded"
        assert fake.deliveries == [] and fake.pending_callbacks == 0


# -- Replicate: events, cancel, secret -------------------------------------------------
@pytest.mark.parametrize(
    ("events", "outcome", "expected"),
    [
        (None, "success", ["processing", "succeeded"]),  # default: output + completed
        (None, "failed", ["failed"]),  # no output to announce
        (
            ["start", "logs", "output", "completed"],
            "success",
            ["starting", "processing", "processing", "succeeded"],
        ),
        (["start"], "success", ["starting"]),  # only what was asked for
    ],
)
def test_replicate_sends_the_filtered_events_in_order(
    events: list[str] | None,
    outcome: str,
    expected: list[str],
    receiver: Receiver,
    client: httpx.Client,
) -> None:
    extra = {} if events is None else {"webhook_events_filter": events}
    with make_fake("replicate", outcome=outcome) as fake:
        submit(client, fake, receiver.url(), **extra)
        fake.wait_for_deliveries(len(expected))
        fake.wait_callbacks_idle()
        got = receiver.wait(len(expected))
        assert [r.json["status"] for r in got] == expected
        for r in got:
            check_replicate(fake, r)
        ids = [r.headers["webhook-id"] for r in got]
        assert len(set(ids)) == len(ids)  # one id per event
        if events and "logs" in events:
            assert got[1].json["logs"] and got[2].json["output"]
        assert len(fake.deliveries) == len(expected)


def test_replicate_cancel_calls_back_at_once(
    receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake("replicate", callback_delay_s=30) as fake:
        task_id = task_id_of("replicate", submit(client, fake, receiver.url()))
        cancel = f"{fake.base_url}/v1/predictions/{task_id}/cancel"
        assert client.post(cancel, headers=auth("replicate")).status_code == 200
        (got,) = receiver.wait(1, timeout=3)
        assert got.json["status"] == "canceled" and got.json["output"] is None
        check_replicate(fake, got)


def test_replicate_refuses_bad_webhook_fields(client: httpx.Client) -> None:
    with make_fake("replicate") as fake:
        for extra in (
            {"webhook": "ftp://example.com/hook"},
            {"webhook": "https://x.test/h", "webhook_events_filter": ["finished"]},
        ):
            path = "/v1/models/black-forest-labs/flux-schnell/predictions"
            body = {"input": {"prompt": "x"}, **extra}
            answer = client.post(
                f"{fake.base_url}{path}", json=body, headers=auth("replicate")
            )
            assert answer.status_code == 422
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["invalid_fields"][0]["field"].startswith("webhook")
        assert fake.tasks == {}
        alone = submit(client, fake, None, webhook_events_filter=["completed"])
        assert alone.status_code == 201  # a filter without a webhook: ignored
        assert fake.pending_callbacks == 0
    with pytest.raises(TypeError, match="no_such_knob"):
        FakeProvider("replicate", no_such_knob=1)  # type: ignore[call-arg]


def test_replicate_serves_and_signs_with_its_secret(
    receiver: Receiver, client: httpx.Client
) -> None:
    secret = "whsec_" + base64.b64encode(b"another-32-byte-key-for-signing!").decode()
    with make_fake("replicate", webhook_secret=secret) as fake:
        url = f"{fake.base_url}/v1/webhooks/default/secret"
        assert client.get(url, headers=auth("replicate")).json() == {"key": secret}
        assert client.get(url).status_code == 401
        submit(client, fake, receiver.url(), webhook_events_filter=["completed"])
        (got,) = receiver.wait(1)
        check_replicate(fake, got)
        default = FakeProvider("replicate").webhook_secret
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            standardwebhooks.Webhook(default).verify(got.body, got.headers)
    with pytest.raises(ValueError, match="whsec_"):
        FakeProvider("replicate", webhook_secret="not-a-secret")


# -- retries and redeliveries ----------------------------------------------------------
def test_refused_deliveries_are_retried_with_the_same_id(
    receiver: Receiver, client: httpx.Client
) -> None:
    receiver.answers = [500, 503]
    with make_fake("replicate", callback_retry_delay_s=0.02) as fake:
        submit(client, fake, receiver.url(), webhook_events_filter=["completed"])
        got = receiver.wait(3)
        fake.wait_callbacks_idle()
        deliveries = fake.deliveries
        assert [d.status for d in deliveries] == [500, 503, 200]
        assert [d.attempt for d in deliveries] == [1, 2, 3]
        assert len({r.headers["webhook-id"] for r in got}) == 1
        assert len({r.body for r in got}) == 1
        for r in got:
            check_replicate(fake, r)
        assert deliveries[1].sent_mono - deliveries[0].answered_mono >= 0.015


def test_retries_end_after_the_configured_count(client: httpx.Client) -> None:
    dead = Receiver()
    url = dead.url()
    dead.close()  # nothing listens there any more
    with make_fake("kie_veo", callback_retries=2, callback_retry_delay_s=0.01) as fake:
        submit(client, fake, url)
        deliveries = fake.wait_for_deliveries(3)
        fake.wait_callbacks_idle()
        assert len(fake.deliveries) == 3 and fake.pending_callbacks == 0
        assert all(d.status is None and d.error for d in deliveries)
        assert not any(d.ok for d in deliveries)


def test_redeliver_variants(receiver: Receiver, client: httpx.Client) -> None:
    with make_fake("replicate") as fake:
        submit(client, fake, receiver.url(), webhook_events_filter=["completed"])
        (first,) = receiver.wait(1)
        original = fake.wait_for_deliveries(1)[0]
        verifier = standardwebhooks.Webhook(fake.webhook_secret)

        duplicate = fake.redeliver(0)  # as is
        got = receiver.wait(2)[1]
        assert got.body == first.body and duplicate.redelivery_of == 0
        assert all(
            got.headers[h] == first.headers[h]
            for h in first.headers
            if h.startswith("webhook-")
        )
        verifier.verify(got.body, got.headers)

        stale = fake.redeliver(0, timestamp=time.time() - 3600)  # re-signed, old
        got = receiver.wait(3)[2]
        assert got.headers["webhook-timestamp"] == str(stale.timestamp)
        with pytest.raises(standardwebhooks.WebhookVerificationError, match="too old"):
            verifier.verify(got.body, got.headers)
        signed = verifier.sign(
            got.headers["webhook-id"],
            datetime.fromtimestamp(stale.timestamp, tz=UTC),
            got.body.decode(),
        )
        assert got.headers["webhook-signature"] == signed  # valid, only stale

        tampered = json.loads(first.body) | {"status": "failed"}
        fake.redeliver(0, body=tampered, sign=False)  # forged: old signature
        got = receiver.wait(4)[3]
        assert got.json["status"] == "failed"
        assert got.headers["webhook-signature"] == first.headers["webhook-signature"]
        with pytest.raises(
            standardwebhooks.WebhookVerificationError, match="signature"
        ):
            verifier.verify(got.body, got.headers)

        fake.redeliver(0, body=tampered)  # re-signed over the new body
        verifier.verify(receiver.wait(5)[4].body, receiver.received[4].headers)

        fake.redeliver(0, headers={"webhook-signature": None}, url=receiver.url("/x"))
        got = receiver.wait(6)[5]
        assert got.path == "/x" and "webhook-signature" not in got.headers

        fresh = fake.redeliver(0, timestamp=time.time())  # a provider's retry
        got = receiver.wait(7)[6]
        verifier.verify(got.body, got.headers)
        assert got.headers["webhook-id"] == original.event_id
        assert fresh.timestamp >= original.timestamp
        assert [d.redelivery_of for d in fake.deliveries] == [None, 0, 0, 0, 0, 0, 0]
        with pytest.raises(IndexError, match="7 recorded"):
            fake.redeliver(99)


# -- fal: JWKS, rotation, payload errors -----------------------------------------------
def test_fal_key_rotation(receiver: Receiver, client: httpx.Client) -> None:
    with make_fake("fal_queue") as fake:
        submit(client, fake, receiver.url())
        first = receiver.wait(1)[0]
        old_keys = jwk_keys(client, fake)
        old_kid = fake.signing_key_id
        assert fal_verifies(old_keys, first)

        new_kid = fake.rotate_signing_key()
        assert new_kid != old_kid and fake.signing_key_id == new_kid
        submit(client, fake, receiver.url())
        second = receiver.wait(2)[1]
        assert not fal_verifies(old_keys, second)  # a cached JWKS no longer does
        new_keys = jwk_keys(client, fake)
        assert fal_verifies(new_keys, second) and not fal_verifies(new_keys, first)
        assert [k["kid"] for k in fake.jwks["keys"]] == [new_kid]

        fake.rotate_signing_key(keep_previous=True)
        both = jwk_keys(client, fake)
        assert len(both) == 2 and fal_verifies(both, second)
        assert fake.jwks_fetches == 3

        fake.redeliver(0)  # re-signed with the current key, same timestamp
        again = receiver.wait(3)[2]
        assert (
            again.headers["x-fal-webhook-timestamp"]
            == first.headers["x-fal-webhook-timestamp"]
        )
        assert fal_verifies(jwk_keys(client, fake), again)
        fake.redeliver(0, sign=False)  # the original signature, old key
        assert not fal_verifies(jwk_keys(client, fake), receiver.wait(4)[3])


def test_fal_stale_and_forged(receiver: Receiver, client: httpx.Client) -> None:
    with make_fake("fal_queue", fal_user_id="user-7") as fake:
        submit(client, fake, receiver.url())
        first = receiver.wait(1)[0]
        # the fake records a delivery once its answer is back: wait for that
        # before re-sending it (the receiver may see it a moment earlier)
        fake.wait_for_deliveries(1)
        keys = jwk_keys(client, fake)
        old = int(time.time()) - 3600
        fake.redeliver(0, timestamp=old)
        stale = receiver.wait(2)[1]
        assert stale.headers["x-fal-webhook-timestamp"] == str(old)
        assert fal_verifies(keys, stale)  # genuine signature, stale time
        assert stale.headers["x-fal-webhook-user-id"] == "user-7"
        forged = first.json | {"status": "ERROR"}
        fake.redeliver(0, body=forged, sign=False)
        assert not fal_verifies(keys, receiver.wait(3)[2])


def test_fal_payload_error_shape(receiver: Receiver, client: httpx.Client) -> None:
    with make_fake("fal_queue", fal_payload_error=True) as fake:
        submit(client, fake, receiver.url())
        body = receiver.wait(1)[0].json
        assert body["status"] == "OK" and body["payload"] is None
        assert body["payload_error"]


def test_only_fal_publishes_keys() -> None:
    fake = FakeProvider("replicate")
    with pytest.raises(ValueError, match="fal_queue"):
        _ = fake.jwks_url
    with pytest.raises(ValueError, match="fal_queue"):
        fake.rotate_signing_key()


def test_fal_refuses_a_webhook_that_is_no_url(client: httpx.Client) -> None:
    with make_fake("fal_queue") as fake:
        answer = submit(client, fake, "not a url")
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["query", "fal_webhook"]


# -- kie and Runware -------------------------------------------------------------------
@pytest.mark.parametrize("family", ["kie_jobs", "kie_veo"])
def test_kie_optional_hmac(
    family: Family, receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake(family, kie_webhook_hmac_key="kie-secret") as fake:
        task_id = task_id_of(family, submit(client, fake, receiver.url()))
        got = receiver.wait(1)[0]
        stamp = got.headers["x-webhook-timestamp"]
        mac = hmac.new(b"kie-secret", f"{task_id}.{stamp}".encode(), hashlib.sha256)
        assert (
            got.headers["x-webhook-signature"]
            == base64.b64encode(mac.digest()).decode()
        )
        assert abs(int(stamp) - time.time()) < 5
        fake.configure(kie_webhook_hmac_key="")  # off again
        submit(client, fake, receiver.url())
        assert "x-webhook-signature" not in receiver.wait(2)[1].headers


def test_veo_failure_code_knob(receiver: Receiver, client: httpx.Client) -> None:
    with make_fake("kie_veo", outcome="failed", veo_callback_fail_code=400) as fake:
        submit(client, fake, receiver.url())
        body = receiver.wait(1)[0].json
        assert body["code"] == 400 and body["data"]["taskId"]
    with pytest.raises(ValueError, match="veo_callback_fail_code"):
        FakeProvider("kie_veo", veo_callback_fail_code=404)


def test_kie_refuses_a_callback_that_is_no_url(client: httpx.Client) -> None:
    with make_fake("kie_jobs") as fake:
        answer = submit(client, fake, "callback-me")
        assert answer.json()["code"] == 422 and fake.tasks == {}


def test_runware_sends_one_callback_per_result(
    receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake("runware") as fake:
        answer = submit(
            client,
            fake,
            receiver.url("/rw?token=t1"),
            numberResults=2,
            deliveryMethod="sync",
        )
        task_id = task_id_of("runware", answer)
        assert answer.json()["data"] == [
            {"taskType": "imageInference", "taskUUID": task_id}
        ]
        got = receiver.wait(2)
        assert [r.query for r in got] == [{"token": "t1"}] * 2
        urls = [r.json["data"][0]["imageURL"] for r in got]
        assert urls == list(fake.task(task_id).result_urls)
        bad = submit(client, fake, "nowhere")
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["parameter"] == "webhookURL"


def test_runware_failure_in_the_data_shape(
    receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake("runware", outcome="failed", runware_error_shape="data") as fake:
        submit(client, fake, receiver.url())
        (item,) = receiver.wait(1)[0].json["data"]
        assert item["status"] == "error" and item["error"]["message"]


def test_reset_drops_pending_callbacks(
    receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake("kie_jobs", callback_delay_s=0.15) as fake:
        fake.configure(callback_retries=0)
        submit(client, fake, receiver.url())
        assert fake.pending_callbacks == 1
        fake.reset()
        assert fake.pending_callbacks == 0
        time.sleep(0.25)
        assert receiver.received == [] and fake.deliveries == []


# -- output files ----------------------------------------------------------------------
def test_served_outputs_are_downloadable(client: httpx.Client) -> None:
    with make_fake("kie_veo", serve_outputs=True, output_size=200_000, polls=0) as fake:
        task_id = task_id_of("kie_veo", submit(client, fake, None))
        poll_state(client, fake, task_id)
        (url,) = fake.task(task_id).result_urls
        assert url.startswith(f"{fake.base_url}/files/{task_id}/")
        answer = client.get(url)  # no key: a CDN URL
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "video/mp4"
        assert answer.content == fake.file_bytes(url) and len(answer.content) == 200_000
        assert client.get(url).content == answer.content  # deterministic
        head = client.head(url)
        assert head.headers["content-length"] == "200000" and head.content == b""
        assert fake.file_downloads == 2
        png = client.get(f"{fake.base_url}/files/any/name.png")
        assert png.headers["content-type"] == "image/png"
        assert png.content != answer.content[: len(png.content)]


def test_a_download_that_breaks_halfway(client: httpx.Client) -> None:
    with make_fake("fal_queue", output_size=100_000, output_break_after=40_000) as fake:
        url = f"{fake.base_url}/files/broken/output-0.jpg"
        with client.stream("GET", url) as answer:
            assert answer.headers["content-length"] == "100000"
            got = b""
            with pytest.raises(httpx.RemoteProtocolError):
                for chunk in answer.iter_bytes():
                    got += chunk
        assert got == fake.file_bytes(url)[:40_000]
        fake.configure(output_break_after=-1)
        assert len(client.get(url).content) == 100_000


def test_delivery_records_are_complete(
    receiver: Receiver, client: httpx.Client
) -> None:
    with make_fake("kie_jobs") as fake:
        task_id = task_id_of("kie_jobs", submit(client, fake, receiver.url()))
        (delivery,) = fake.wait_for_deliveries(1)
        assert isinstance(delivery, Delivery)
        assert delivery.url == receiver.url() and delivery.event == "completed"
        assert delivery.json["data"]["taskId"] == task_id
        assert delivery.headers["User-Agent"] == "modelvault-fake-kie_jobs/1"
        assert abs(delivery.sent_at - time.time()) < 5
        assert delivery.answered_mono >= delivery.sent_mono
        assert delivery.completed_at is not None
        assert delivery.completed_at <= delivery.sent_at + 0.001
        with pytest.raises(TimeoutError, match="1 of 2"):
            fake.wait_for_deliveries(2, timeout=0.1)

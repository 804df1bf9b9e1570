"""The fakes' callbacks against code no one here wrote: the official replicate
client asks the fake for its signing secret, creates a prediction with a
webhook and validates the delivery with its own validator; fal-client submits
with `webhook_url=` (which it turns into `?fal_webhook=`) and the fake calls
back. Where an official client and a fake disagree, the provider's docs decide
(see the fake modules' docstrings)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from callback_support import Receiver

from modelvault.testing import FakeProvider

replicate = pytest.importorskip("replicate")
fal_client = pytest.importorskip("fal_client")
fal_client_module = pytest.importorskip("fal_client.client")
trustme = pytest.importorskip("trustme")
pytest.importorskip("cryptography")

KEY = "test-key"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


def test_replicate_client_fetches_the_secret_and_validates_a_delivery(
    receiver: Receiver,
) -> None:
    with FakeProvider("replicate", api_key=KEY) as fake:
        client = replicate.Client(api_token=KEY, base_url=fake.base_url)
        secret = client.webhooks.default.secret()
        assert secret.key == fake.webhook_secret
        prediction = client.predictions.create(
            model="black-forest-labs/flux-schnell",
            input={"prompt": "a fox"},
            webhook=receiver.url(),
            webhook_events_filter=["start", "completed"],
        )
        got = receiver.wait(2)
        assert [r.json["id"] for r in got] == [prediction.id] * 2
        assert [r.json["status"] for r in got] == ["starting", "succeeded"]
        for delivery in got:  # raises when a delivery does not validate
            client.webhooks.validate(
                headers=delivery.headers, body=delivery.body.decode(), secret=secret
            )
        tampered = got[1].body.replace(b"succeeded", b"failed")
        with pytest.raises(replicate.webhook.InvalidSignatureError):
            client.webhooks.validate(
                headers=got[1].headers, body=tampered.decode(), secret=secret
            )


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return server, bundle


def test_fal_client_webhook_url_reaches_the_fake(
    receiver: Receiver,
    tls: tuple[ssl.SSLContext, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, bundle = tls
    with FakeProvider("fal_queue", api_key=KEY, ssl_context=server) as fake:
        # fal-client only speaks https: its queue origin points at the TLS fake
        # (as in tests/test_official_clients.py).
        monkeypatch.setattr(fal_client_module, "QUEUE_URL_FORMAT", fake.base_url + "/")
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        client = fal_client.SyncClient(key=KEY)
        handle = client.submit(
            "fal-ai/flux/schnell",
            arguments={"prompt": "a fox"},
            webhook_url=receiver.url("/fal?generation=7"),
        )
        (got,) = receiver.wait(1)
        assert got.path == "/fal" and got.query == {"generation": "7"}
        assert got.json["request_id"] == handle.request_id
        assert got.json["status"] == "OK"
        submit = fake.requests[0]
        assert submit.query == {"fal_webhook": receiver.url("/fal?generation=7")}
        assert got.headers["x-fal-webhook-request-id"] == handle.request_id

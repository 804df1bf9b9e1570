"""The official provider clients, code no one here wrote, run against the fakes.

replicate (replicate.Client with base_url), fal-client (its queue host
redirected to the fake, served over TLS with a throwaway CA from trustme, since
fal-client only speaks https) and runware-sdk (its REST transport, pointed at
the fake with http_base_url). Where a client and a fake disagreed, the fake was
fixed unless the provider's docs say otherwise; the fake modules' docstrings
list the cases.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelvault.testing import FakeProvider
from modelvault.testing._types import RunwareErrorShape

fal_client = pytest.importorskip("fal_client")
fal_client_module = pytest.importorskip("fal_client.client")
replicate = pytest.importorskip("replicate")
replicate_exceptions = pytest.importorskip("replicate.exceptions")
runware = pytest.importorskip("runware")
trustme = pytest.importorskip("trustme")

KEY = "test-key"


# -- Replicate ----------------------------------------------------------------------
@pytest.fixture
def replicate_fake() -> Iterator[FakeProvider]:
    with FakeProvider("replicate", api_key=KEY, polls=2) as fake:
        yield fake


def _replicate_client(fake: FakeProvider) -> Any:
    client = replicate.Client(api_token=KEY, base_url=fake.base_url)
    client.poll_interval = 0.01
    return client


def test_replicate_client_runs_a_prediction(replicate_fake: FakeProvider) -> None:
    client = _replicate_client(replicate_fake)
    prediction = client.predictions.create(
        model="black-forest-labs/flux-schnell",
        input={"prompt": "a fox", "num_outputs": 2, "aspect_ratio": "16:9"},
    )
    assert prediction.status == "starting"
    prediction.wait()
    assert prediction.status == "succeeded"
    task = replicate_fake.task(prediction.id)
    assert prediction.output == list(task.result_urls) and len(task.result_urls) == 2
    assert prediction.error is None
    assert replicate_fake.submit_count == 1
    paths = {r.path for r in replicate_fake.requests}
    assert paths == {
        "/v1/models/black-forest-labs/flux-schnell/predictions",
        f"/v1/predictions/{prediction.id}",
    }


def test_replicate_client_reads_validation_and_not_found(
    replicate_fake: FakeProvider,
) -> None:
    client = _replicate_client(replicate_fake)
    with pytest.raises(replicate_exceptions.ReplicateError) as invalid:
        client.predictions.create(
            model="black-forest-labs/flux-schnell",
            input={"prompt": 7, "num_outputs": 9},
        )
    assert invalid.value.status == 422
    assert invalid.value.title == "Input validation failed"
    assert "input.prompt" in str(invalid.value.detail)
    assert "input.num_outputs" in str(invalid.value.detail)
    with pytest.raises(replicate_exceptions.ReplicateError) as missing:
        client.predictions.create(model="nobody/no-such-model", input={"prompt": "x"})
    assert missing.value.status == 404
    assert replicate_fake.tasks == {}


def test_replicate_client_sees_failed_canceled_and_aborted(
    replicate_fake: FakeProvider,
) -> None:
    client = _replicate_client(replicate_fake)
    model = "minimax/speech-02-turbo"
    replicate_fake.configure(outcome="failed", error_message="voice not found")
    failed = client.predictions.create(model=model, input={"text": "hello"})
    failed.wait()
    assert (failed.status, failed.error) == ("failed", "voice not found")
    replicate_fake.configure(outcome="success")
    running = client.predictions.create(model=model, input={"text": "hello"})
    running.cancel()
    running.reload()
    assert running.status == "canceled"
    replicate_fake.configure(outcome="aborted", polls=0)
    aborted = client.predictions.create(model=model, input={"text": "hello"})
    # Replicate's lifecycle docs list "aborted"; replicate 1.0.7 does not know
    # it (Prediction.status is a Literal without it), so its reload() refuses
    # the answer. The docs win: the fake keeps the documented state.
    with pytest.raises(ValueError, match="aborted"):
        aborted.reload()
    raw = httpx.get(
        f"{replicate_fake.base_url}/v1/predictions/{aborted.id}",
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()
    assert raw["status"] == "aborted" and raw["output"] is None
    assert raw["started_at"] is None and raw["completed_at"] is not None


# -- fal ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the CA bundle that trusts it."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return server, bundle


@pytest.fixture
def fal_fake(
    tls: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeProvider]:
    server, bundle = tls
    with FakeProvider("fal_queue", api_key=KEY, polls=2, ssl_context=server) as fake:
        assert fake.base_url.startswith("https://")
        # fal_client takes its queue origin from FAL_QUEUE_RUN_HOST at import
        # time (fal_client/auth.py) into QUEUE_URL_FORMAT; httpx trusts
        # SSL_CERT_FILE when its client is built.
        monkeypatch.setattr(fal_client_module, "QUEUE_URL_FORMAT", fake.base_url + "/")
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        yield fake


def test_fal_client_submits_follows_status_with_logs_and_gets_the_result(
    fal_fake: FakeProvider,
) -> None:
    client = fal_client.SyncClient(key=KEY)
    handle = client.submit("fal-ai/flux/schnell", arguments={"prompt": "a fox"})
    statuses = list(handle.iter_events(with_logs=True, interval=0.0))
    assert isinstance(statuses[0], fal_client.Queued) and statuses[0].position == 0
    assert isinstance(statuses[-1], fal_client.Completed)
    assert any(isinstance(s, fal_client.InProgress) and s.logs for s in statuses)
    assert statuses[-1].error is None and statuses[-1].logs
    polls = [r for r in fal_fake.requests if r.phase == "poll"]
    assert {r.query.get("logs") for r in polls} == {"true"}  # httpx encodes True so
    assert [r.status for r in polls] == [202, 202, 200]
    result = handle.get()  # polls once more (logs=false), then fetches
    task = fal_fake.task(handle.request_id)
    assert [image["url"] for image in result["images"]] == list(task.result_urls)
    assert fal_fake.requests[-2].query == {"logs": "false"}


def test_fal_client_reads_validation_and_a_failed_request(
    fal_fake: FakeProvider,
) -> None:
    client = fal_client.SyncClient(key=KEY)
    with pytest.raises(fal_client.client.FalClientHTTPError) as refused:
        client.submit("fal-ai/flux/schnell", arguments={"prompt": "x", "num_images": 9})
    assert refused.value.status_code == 422
    assert refused.value.message[0]["loc"] == ["body", "num_images"]
    with pytest.raises(fal_client.client.FalClientHTTPError) as unknown:
        client.submit("fal-ai/no-such-app", arguments={"prompt": "x"})
    assert unknown.value.status_code == 404
    fal_fake.configure(outcome="failed", error_message="nsfw", fal_error_status=500)
    handle = client.submit("fal-ai/lyria2", arguments={"prompt": "rain"})
    final = list(handle.iter_events(interval=0.0))[-1]
    assert isinstance(final, fal_client.Completed)
    assert (final.error, final.error_type) == ("nsfw", "internal_error")
    with pytest.raises(fal_client.client.FalClientHTTPError) as failed:
        client.result("fal-ai/lyria2", handle.request_id)
    assert failed.value.status_code == 500
    assert failed.value.error_type == "internal_error"
    assert failed.value.response_headers["x-fal-request-id"] == handle.request_id


def test_fal_client_cancels(fal_fake: FakeProvider) -> None:
    client = fal_client.SyncClient(key=KEY)
    handle = client.submit("fal-ai/flux/schnell", arguments={"prompt": "a fox"})
    handle.cancel()
    final = list(handle.iter_events(interval=0.0))[-1]
    assert isinstance(final, fal_client.Completed) and final.error


# -- Runware --------------------------------------------------------------------------
def _runware(fake: FakeProvider) -> Any:
    return runware.Runware(
        api_key=KEY,
        transport="rest",
        http_base_url=fake.base_url + "/v1",
        max_retries=0,
    )


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_runware_sdk_rest_runs_an_image_task_through_pending() -> None:
    with FakeProvider("runware", api_key=KEY, polls=1) as fake:

        async def go() -> Any:
            async with _runware(fake) as client:
                return await client.run(
                    {
                        "taskType": "imageInference",
                        "model": "runware:100@1",
                        "positivePrompt": "a fox",
                        "width": 1024,
                        "height": 1024,
                        "numberResults": 2,
                    }
                )

        items = _run(go())
        (task,) = fake.tasks.values()
        assert [item["imageURL"] for item in items] == list(task.result_urls)
        polls = [r for r in fake.requests if r.phase == "poll"]
        assert len(polls) == 2  # pending, then success
        assert fake.requests[0].json[0]["deliveryMethod"] == "async"


@pytest.mark.parametrize("shape", ["errors", "data"])
def test_runware_sdk_reads_both_failure_shapes(shape: RunwareErrorShape) -> None:
    with FakeProvider("runware", api_key=KEY, polls=0) as fake:
        fake.configure(
            outcome="failed", error_message="nsfw", runware_error_shape=shape
        )

        async def go() -> Any:
            async with _runware(fake) as client:
                return await client.run(
                    {
                        "taskType": "videoInference",
                        "model": "bytedance:2@1",
                        "positivePrompt": "a fox",
                    }
                )

        with pytest.raises(runware.RunwareError) as caught:
            _run(go())
        assert "nsfw" in str(caught.value)


def test_runware_sdk_reads_a_validation_refusal() -> None:
    with FakeProvider("runware", api_key=KEY) as fake:

        async def go() -> Any:
            async with _runware(fake) as client:
                return await client.run(
                    {
                        "taskType": "imageInference",
                        "model": "runware:100@1",
                        "positivePrompt": "a fox",
                        "width": "wide",
                        "height": 1024,
                    }
                )

        with pytest.raises(runware.RunwareError) as caught:
            _run(go())
        assert caught.value.code == "validation"
        assert caught.value.parameter == "width"
        assert fake.tasks == {}


def test_loopback_server_accepts_a_burst_of_connections() -> None:
    """The listen backlog holds many simultaneous connects (1,000 clients)."""
    with FakeProvider("replicate", api_key=KEY) as fake:

        async def burst() -> list[int]:
            limits = httpx.Limits(max_connections=200)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                url = f"{fake.base_url}/v1/predictions/none"
                headers = {"Authorization": f"Bearer {KEY}"}
                answers = await asyncio.gather(
                    *(client.get(url, headers=headers) for _ in range(200))
                )
                return [a.status_code for a in answers]

        assert set(_run(burst())) == {404}

"""The webhook receiver under a real uvicorn server: deliveries over loopback
HTTP, signed (Replicate) or carrying the per-generation token (every provider),
and what each refusal leaves of the record: nothing changed, version included.
fal's ED25519 deliveries and its key cache are in tests/test_webhooks_fal.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from webhook_support import (
    REPLICATE_SECRET,
    make_record,
    new_token,
    post,
    serve,
    sign_replicate,
)

from modelvault.store import Generation, GenerationStore, SQLiteStore
from modelvault.webhooks import create_app

Hooks = Callable[..., AbstractContextManager[tuple[GenerationStore, str]]]


@pytest.fixture
def hooks(tmp_path: Path) -> Hooks:
    """hooks(**create_app options) -> context of (store, base URL)."""

    @contextmanager
    def start(**options: Any) -> Iterator[tuple[GenerationStore, str]]:
        store = SQLiteStore(tmp_path / "generations.db")
        options.setdefault("replicate_secret", REPLICATE_SECRET)
        with serve(create_app(store, **options)) as base:
            yield store, base

    return start


def snapshot(store: GenerationStore, generation_id: str) -> dict[str, Any]:
    record = store.get_generation(generation_id)
    assert record is not None
    return record.to_dict()


def replicate_body(task_id: str = "task-1", status: str = "succeeded") -> bytes:
    return json.dumps(
        {
            "id": task_id,
            "status": status,
            "output": ["https://replicate.delivery/out/fox.webp"]
            if status == "succeeded"
            else None,
            "error": None,
        }
    ).encode()


# --- refused before the record is looked at -------------------------------


def test_replicate_forged_missing_stale_and_tampered_are_401(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, "replicate", token_sha256=digest)
        before = snapshot(store, gen)
        body = replicate_body()
        path = f"replicate/{gen}"
        now = int(time.time())
        cases = {
            "forged": sign_replicate(body, secret="whsec_" + "QUJD" * 8),
            "missing": {"content-type": "application/json"},
            "stale": sign_replicate(body, timestamp=now - 6 * 60),
            "future": sign_replicate(body, timestamp=now + 6 * 60),
            "tampered": sign_replicate(replicate_body(status="failed")),
            "garbled": {**sign_replicate(body), "webhook-signature": "v1;%%"},
        }
        for case, headers in cases.items():
            answer = post(base, path, body, headers, token=token)
            assert answer.status_code == 401, (case, answer.text)
            assert snapshot(store, gen) == before, case
        stale = post(base, path, body, cases["stale"], token=token).json()["error"]
        assert "5-minute" in stale


def test_replicate_without_a_configured_secret_is_503(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks(replicate_secret=None) as (store, base):
        gen = make_record(store, "replicate", token_sha256=digest)
        body = replicate_body()
        answer = post(base, f"replicate/{gen}", body, sign_replicate(body), token=token)
        assert answer.status_code == 503
        assert "REPLICATE_WEBHOOK_SECRET" in answer.json()["error"]


def test_a_bad_secret_is_refused_at_creation_without_repeating_it(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "generations.db")
    with pytest.raises(ValueError) as caught:
        create_app(store, replicate_secret="whsec_")
    assert "whsec_" in str(caught.value) and "default/secret" in str(caught.value)
    with pytest.raises(ValueError) as caught:
        create_app(store, replicate_secret="whsec_s3cr3t!!")
    assert "s3cr3t" not in str(caught.value)


def test_oversized_bodies_are_413_declared_or_streamed(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks(max_body_bytes=1000) as (store, base):
        gen = make_record(store, "runware", token_sha256=digest)
        before = snapshot(store, gen)
        big = b'{"data": "' + b"x" * 5000 + b'"}'
        declared = post(base, f"runware/{gen}", big, token=token)
        assert declared.status_code == 413
        assert "1000 bytes" in declared.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked
            for _ in range(10):
                yield b"x" * 300

        streamed = httpx.post(
            f"{base}/runware/{gen}", content=chunks(), params={"token": token}
        )
        assert streamed.status_code == 413
        assert snapshot(store, gen) == before


def test_unknown_provider_generation_and_method(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, "runware", token_sha256=digest)
        body = b'{"data": []}'
        assert post(base, f"midjourney/{gen}", body, token=token).status_code == 404
        missing = post(base, "runware/gen-nope", body, token=token)
        assert missing.status_code == 404
        assert "gen-nope" in missing.json()["error"]
        # signed correctly, but no such generation
        signed = post(
            base, "replicate/gen-nope", body, sign_replicate(body), token=token
        )
        assert signed.status_code == 404
        assert httpx.get(f"{base}/runware/{gen}").status_code == 405
        assert post(base, f"runware/{'g' * 300}", body).status_code == 404


def test_a_generation_of_another_provider_is_404(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        replicate_gen = make_record(store, "replicate", token_sha256=digest)
        kie_gen = make_record(store, "kie_jobs", token_sha256=digest)
        before = snapshot(store, replicate_gen), snapshot(store, kie_gen)
        body = replicate_body()
        for path in (f"runware/{replicate_gen}", f"kie_veo/{kie_gen}"):
            answer = post(base, path, body, token=token)
            assert answer.status_code == 404, path
        signed = post(
            base, f"replicate/{kie_gen}", body, sign_replicate(body), token=token
        )
        assert signed.status_code == 404
        assert (snapshot(store, replicate_gen), snapshot(store, kie_gen)) == before


# --- the token, the body and the state machine (need modelvault._callbacks) ---


@pytest.mark.parametrize("provider", ["replicate", "runware", "kie_jobs", "kie_veo"])
def test_a_missing_or_wrong_token_is_401(hooks: Hooks, provider: str) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, provider, token_sha256=digest)
        before = snapshot(store, gen)
        body = replicate_body()
        headers = sign_replicate(body) if provider == "replicate" else {}
        for bad in (None, "", token[:-1] + ("A" if token[-1] != "A" else "B")):
            answer = post(base, f"{provider}/{gen}", body, headers, token=bad)
            assert answer.status_code == 401, (provider, bad)
            assert token not in answer.text
        assert snapshot(store, gen) == before
        # a record created without a callback token takes no callback at all
        plain = make_record(store, provider, token_sha256=None)
        answer = post(base, f"{provider}/{plain}", body, headers, token=token)
        assert answer.status_code == 401


def test_a_body_that_is_not_json_is_400(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, "runware", token_sha256=digest)
        before = snapshot(store, gen)
        answer = post(base, f"runware/{gen}", b"<html>nope</html>", token=token)
        assert answer.status_code == 400
        assert snapshot(store, gen) == before


def test_replicate_delivery_finishes_once_and_duplicates_change_nothing(
    hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token, digest = new_token()
    finished: list[Generation] = []
    done = threading.Event()

    def on_finished(record: Generation) -> None:
        finished.append(record)
        done.set()

    with hooks(on_finished=on_finished) as (store, base):
        gen = make_record(store, "replicate", task_id="task-1", token_sha256=digest)
        body = replicate_body("task-1")
        headers = sign_replicate(body, msg_id="msg_abc")
        first = post(base, f"replicate/{gen}", body, headers, token=token)
        assert first.status_code == 200, first.text
        assert first.json()["result"] == "finished"
        assert done.wait(10)
        assert finished[0].id == gen and finished[0].status == "completed"
        after = snapshot(store, gen)
        assert after["status"] == "completed"
        # the same delivery again (a retry), and a fresh one for the same task
        again = post(base, f"replicate/{gen}", body, headers, token=token)
        assert again.status_code == 200
        assert again.json()["result"] in ("duplicate", "unchanged")
        fresh = post(
            base,
            f"replicate/{gen}",
            body,
            sign_replicate(body, msg_id="msg_2"),
            token=token,
        )
        assert fresh.status_code == 200 and fresh.json()["result"] == "unchanged"
        assert snapshot(store, gen) == after
        assert len(finished) == 1
    # what the receiver and its server logged (the test's own httpx client
    # logs the URL it was given, token included)
    logged = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("modelvault", "uvicorn", "starlette"))
    )
    assert f"replicate {gen!r} -> 200 finished" in logged
    assert token not in logged and REPLICATE_SECRET not in logged
    assert REPLICATE_SECRET.removeprefix("whsec_") not in logged


def test_a_body_about_another_task_is_409(hooks: Hooks) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, "replicate", task_id="task-1", token_sha256=digest)
        before = snapshot(store, gen)
        body = replicate_body("task-other")
        answer = post(base, f"replicate/{gen}", body, sign_replicate(body), token=token)
        assert answer.status_code == 409, answer.text
        assert snapshot(store, gen) == before


def test_a_not_final_delivery_is_202_and_leaves_the_record_running(
    hooks: Hooks,
) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, "replicate", task_id="task-1", token_sha256=digest)
        body = replicate_body("task-1", status="processing")
        answer = post(base, f"replicate/{gen}", body, sign_replicate(body), token=token)
        assert answer.status_code == 202, answer.text
        assert snapshot(store, gen)["status"] == "processing"


KIE_JOBS_BODY = {
    "code": 200,
    "msg": "success",
    "data": {
        "taskId": "task-1",
        "state": "success",
        "resultJson": json.dumps({"resultUrls": ["https://tempfile.example/a.png"]}),
        "failCode": None,
        "failMsg": None,
    },
}
KIE_VEO_BODY = {
    "code": 200,
    "msg": "Veo3 video generated successfully.",
    "data": {
        "taskId": "task-1",
        "info": {
            "resultUrls": ["https://tempfile.example/v.mp4"],
            "originUrls": [],
            "resolution": "720p",
        },
        "fallbackFlag": False,
    },
}
RUNWARE_BODY = {
    "data": [
        {
            "taskType": "imageInference",
            "taskUUID": "task-1",
            "imageUUID": "img-1",
            "imageURL": "https://im.runware.example/a.webp",
            "status": "success",
        }
    ]
}


@pytest.mark.parametrize(
    ("provider", "payload"),
    [("runware", RUNWARE_BODY), ("kie_jobs", KIE_JOBS_BODY), ("kie_veo", KIE_VEO_BODY)],
)
def test_token_providers_finish_and_ignore_duplicates(
    hooks: Hooks, provider: str, payload: dict[str, Any]
) -> None:
    token, digest = new_token()
    with hooks() as (store, base):
        gen = make_record(store, provider, task_id="task-1", token_sha256=digest)
        body = json.dumps(payload).encode()
        first = post(base, f"{provider}/{gen}", body, token=token)
        assert first.status_code == 200, first.text
        after = snapshot(store, gen)
        assert after["status"] == "completed"
        assert after["outputs"]
        again = post(base, f"{provider}/{gen}", body, token=token)
        assert again.status_code == 200 and again.json()["result"] == "unchanged"
        assert snapshot(store, gen) == after


KIE_KEY = "kie-hmac-test-key"


def sign_kie(
    task_id: str, *, key: str = KIE_KEY, timestamp: int | None = None
) -> dict[str, str]:
    """kie.ai's documented headers: base64(HMAC-SHA256(taskId.timestamp, key))."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(key.encode(), f"{task_id}.{ts}".encode(), hashlib.sha256).digest()
    return {
        "X-Webhook-Timestamp": ts,
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
    }


@pytest.mark.parametrize(
    ("provider", "payload"), [("kie_jobs", KIE_JOBS_BODY), ("kie_veo", KIE_VEO_BODY)]
)
def test_kie_signature_is_required_when_a_key_is_given(
    hooks: Hooks, provider: str, payload: dict[str, Any]
) -> None:
    token, digest = new_token()
    with hooks(kie_hmac_key=KIE_KEY) as (store, base):
        gen = make_record(store, provider, task_id="task-1", token_sha256=digest)
        before = snapshot(store, gen)
        body = json.dumps(payload).encode()
        now = int(time.time())
        cases = {
            "missing": {},
            "forged": sign_kie("task-1", key="another-key"),
            "other task": sign_kie("task-2"),
            "stale": sign_kie("task-1", timestamp=now - 600),
            "garbled": {**sign_kie("task-1"), "X-Webhook-Signature": "%%%"},
        }
        for case, headers in cases.items():
            answer = post(base, f"{provider}/{gen}", body, headers, token=token)
            assert answer.status_code == 401, (case, answer.text)
        assert snapshot(store, gen) == before
        signed = post(base, f"{provider}/{gen}", body, sign_kie("task-1"), token=token)
        assert signed.status_code == 200, signed.text
        assert snapshot(store, gen)["status"] == "completed"
        assert KIE_KEY not in signed.text


def test_mounted_in_an_application_under_a_prefix(tmp_path: Path) -> None:
    """As the docs show it: Mount("/hooks", app=create_app(...)) inside the
    application's own Starlette app, served by its own server."""
    store = SQLiteStore(tmp_path / "generations.db")
    hooks_app = create_app(store, replicate_secret=REPLICATE_SECRET)
    app = Starlette(routes=[Mount("/hooks", app=hooks_app)])
    token, digest = new_token()
    gen = make_record(store, "runware", task_id="task-1", token_sha256=digest)
    body = json.dumps(RUNWARE_BODY).encode()
    with serve(app) as base:
        assert post(base, f"runware/{gen}", body, token=token).status_code == 404
        answer = post(base, f"hooks/runware/{gen}", body, token=token)
        assert answer.status_code == 200, answer.text
    assert snapshot(store, gen)["status"] == "completed"


def test_concurrent_duplicates_finish_the_record_once(hooks: Hooks) -> None:
    token, digest = new_token()
    calls: list[str] = []

    async def on_finished(record: Generation) -> None:  # a coroutine works too
        calls.append(record.id)

    with hooks(on_finished=on_finished) as (store, base):
        gen = make_record(store, "kie_jobs", task_id="task-1", token_sha256=digest)
        version = snapshot(store, gen)["version"]
        body = json.dumps(KIE_JOBS_BODY).encode()
        results: list[httpx.Response] = []

        def deliver() -> None:
            results.append(post(base, f"kie_jobs/{gen}", body, token=token))

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(r.status_code for r in results) == [200] * 8
        kinds = sorted(r.json()["result"] for r in results)
        assert kinds == ["finished"] + ["unchanged"] * 7
        assert snapshot(store, gen)["version"] == version + 1
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert calls == [gen]


def test_a_failing_on_finished_does_not_change_the_answer(
    hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    token, digest = new_token()
    ran = threading.Event()

    def on_finished(record: Generation) -> None:
        ran.set()
        raise RuntimeError("the copy went wrong")

    with hooks(on_finished=on_finished) as (store, base):
        gen = make_record(store, "runware", task_id="task-1", token_sha256=digest)
        body = json.dumps(RUNWARE_BODY).encode()
        answer = post(base, f"runware/{gen}", body, token=token)
        assert answer.status_code == 200
        assert ran.wait(10)
        deadline = time.monotonic() + 10
        while "on_finished failed" not in caplog.text:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert snapshot(store, gen)["status"] == "completed"

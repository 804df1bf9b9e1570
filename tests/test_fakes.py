"""The provider fakes (modelvault.testing): their HTTP contracts, and every
catalog model running end to end against its family's fake over real loopback
HTTP. No model code is monkeypatched; sleeps are virtual."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import httpx
import pytest

import modelvault
from modelvault.testing import (
    FAMILIES,
    REDACTED,
    FakeProvider,
    FakeProviders,
    Family,
    fake_providers,
)

KEY = "test-key"
IMAGE = "https://example.com/input.png"


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with fake_providers() as started:
        yield started


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    if "fakes" in request.fixturenames:
        request.getfixturevalue("fakes").reset()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as shared:
        yield shared


# -- raw contract helpers -------------------------------------------------------
def auth(family: str, key: str = KEY) -> dict[str, str]:
    scheme = "Key" if family == "fal_queue" else "Bearer"
    return {"Authorization": f"{scheme} {key}"}


FAL_APP = "/fal-ai/flux/schnell"
RUNWARE_TASK = "9b0c7bb6-3a29-4c1b-8a57-5d1f0a0e9e11"
# One valid task per Runware task type, as each model's published schema wants it.
RUNWARE_BODIES: dict[str, dict[str, Any]] = {
    "imageInference": {
        "model": "runware:100@1",
        "positivePrompt": "a fox",
        "width": 1024,
        "height": 1024,
    },
    "videoInference": {"model": "bytedance:2@1", "positivePrompt": "a fox"},
}


def submit(
    client: httpx.Client,
    fake: FakeProvider,
    *,
    key: str | None = KEY,
    task_type: str = "imageInference",
    task_uuid: str = RUNWARE_TASK,
) -> httpx.Response:
    headers = auth(fake.family, key) if key is not None else {}
    base = fake.base_url
    if fake.family == "kie_jobs":
        body: Any = {"model": "recraft/crisp-upscale", "input": {"image": IMAGE}}
        return client.post(f"{base}/api/v1/jobs/createTask", json=body, headers=headers)
    if fake.family == "kie_veo":
        body = {
            "prompt": "a fox",
            "model": "veo3_fast",
            "generationType": "TEXT_2_VIDEO",
        }
        return client.post(f"{base}/api/v1/veo/generate", json=body, headers=headers)
    if fake.family == "kie_4o":
        body = {"prompt": "a fox", "size": "1:1"}
        url = f"{base}/api/v1/gpt4o-image/generate"
        return client.post(url, json=body, headers=headers)
    if fake.family == "runware":
        body = [
            {
                "taskType": task_type,
                "taskUUID": task_uuid,
                **RUNWARE_BODIES[task_type],
                "deliveryMethod": "async",
            }
        ]
        return client.post(f"{base}/v1", json=body, headers=headers)
    if fake.family == "fal_queue":
        return client.post(
            f"{base}{FAL_APP}", json={"prompt": "a fox"}, headers=headers
        )
    path = "/v1/models/black-forest-labs/flux-schnell/predictions"
    return client.post(
        f"{base}{path}", json={"input": {"prompt": "x"}}, headers=headers
    )


def task_id_of(fake: FakeProvider, response: httpx.Response) -> str:
    body = response.json()
    if fake.family in ("kie_jobs", "kie_veo", "kie_4o"):
        return str(body["data"]["taskId"])
    if fake.family == "runware":
        return str(body["data"][0]["taskUUID"])
    if fake.family == "fal_queue":
        return str(body["request_id"])
    return str(body["id"])


def poll(
    client: httpx.Client, fake: FakeProvider, task_id: str, *, key: str | None = KEY
) -> httpx.Response:
    headers = auth(fake.family, key) if key is not None else {}
    base = fake.base_url
    if fake.family == "kie_jobs":
        url = f"{base}/api/v1/jobs/recordInfo"
        return client.get(url, params={"taskId": task_id}, headers=headers)
    if fake.family == "kie_veo":
        url = f"{base}/api/v1/veo/record-info"
        return client.get(url, params={"taskId": task_id}, headers=headers)
    if fake.family == "kie_4o":
        url = f"{base}/api/v1/gpt4o-image/record-info"
        return client.get(url, params={"taskId": task_id}, headers=headers)
    if fake.family == "runware":
        body = [{"taskType": "getResponse", "taskUUID": task_id}]
        return client.post(f"{base}/v1", json=body, headers=headers)
    if fake.family == "fal_queue":
        url = f"{base}/fal-ai/flux/requests/{task_id}/status"
        return client.get(url, headers=headers)
    return client.get(f"{base}/v1/predictions/{task_id}", headers=headers)


INVISIBLE = "recordInfo is null"


def state_of(family: str, response: httpx.Response) -> Any:
    body = response.json()
    if family == "kie_jobs":
        if body["data"] is None and body["msg"] == INVISIBLE:
            assert body["code"] == 422
            return INVISIBLE
        return body["data"]["state"]
    if family == "kie_veo":
        return body["data"]["successFlag"]
    if family == "kie_4o":
        return body["data"]["status"]
    if family == "runware":
        items = body["data"]
        return items[0]["status"] if items else "error"
    return body["status"]


def assert_error_shape(family: str, response: httpx.Response, status: int) -> str:
    """Check the family's documented error body; return its message."""
    body = response.json()
    if family in ("kie_jobs", "kie_veo", "kie_4o"):
        assert response.status_code == status
        assert body["code"] == status and body["data"] is None
        return str(body["msg"])
    assert response.status_code == status
    if family == "runware":
        (error,) = body["errors"]
        assert isinstance(error["code"], str) and error["code"]
        return str(error["message"])
    if family == "fal_queue":
        detail = body["detail"]
        if status == 422:
            assert detail[0]["loc"][0] == "body" and detail[0]["type"]
            return str(detail[0]["msg"])
        assert isinstance(detail, str)
        return detail
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == status and body["title"]
    return str(body["detail"])


# -- contract: progression and final shapes -------------------------------------
EXPECTED_STATES: dict[str, list[Any]] = {
    # kie.ai: the task is not visible to recordInfo on the first poll
    "kie_jobs": [INVISIBLE, "waiting", "queuing", "generating", "success"],
    "kie_veo": [0, 0, 0, 1],
    "kie_4o": ["GENERATING", "GENERATING", "GENERATING", "SUCCESS"],
    "runware": ["pending", "pending", "processing", "success"],
    "fal_queue": ["IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"],
    "replicate": ["starting", "starting", "processing", "succeeded"],
}
# HTTP status of each poll answer: fal answers 202 until COMPLETED; kie's
# "recordInfo is null" is a 422 (kie_http_status="mirror").
EXPECTED_HTTP: dict[str, list[int]] = {
    "kie_jobs": [422, 200, 200, 200, 200],
    "fal_queue": [202, 202, 202, 200],
}


@pytest.mark.parametrize("family", FAMILIES)
def test_progression_and_success_shape(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    fake = fakes[family]
    fake.configure(polls=3)
    created = submit(client, fake)
    assert created.status_code == (201 if family == "replicate" else 200)
    assert created.headers["content-length"] == str(len(created.content))
    task_id = task_id_of(fake, created)
    answers = [poll(client, fake, task_id) for _ in EXPECTED_STATES[family]]
    assert [state_of(family, a) for a in answers] == EXPECTED_STATES[family]
    http = EXPECTED_HTTP.get(family, [200] * len(answers))
    assert [a.status_code for a in answers] == http
    last = poll(client, fake, task_id).json()  # terminal answers stay terminal
    urls = list(fake.task(task_id).result_urls)
    assert urls and all(u.startswith("https://") for u in urls)
    if family == "kie_jobs":
        assert created.json() == {
            "code": 200,
            "msg": "success",
            "data": {"taskId": task_id},
        }
        data = last["data"]
        assert isinstance(data["resultJson"], str)  # a JSON *string*
        assert json.loads(data["resultJson"]) == {"resultUrls": urls}
        assert json.loads(data["param"])["model"] == "recraft/crisp-upscale"
        assert data["failCode"] == "" and isinstance(data["completeTime"], int)
    elif family == "kie_veo":
        assert last["data"]["response"]["resultUrls"] == urls
        assert last["data"]["taskId"] == task_id
    elif family == "kie_4o":
        data = last["data"]
        assert data["response"] == {"resultUrls": urls} and data["taskId"] == task_id
        assert (data["successFlag"], data["progress"]) == (1, "1.00")
        assert json.loads(data["paramJson"]) == {"prompt": "a fox", "size": "1:1"}
    elif family == "runware":
        assert created.json() == {
            "data": [{"taskType": "imageInference", "taskUUID": RUNWARE_TASK}]
        }
        item = last["data"][0]
        assert item["taskUUID"] == RUNWARE_TASK and item["imageURL"] == urls[0]
        assert "videoURL" not in item
    elif family == "fal_queue":
        sub = created.json()
        base = f"{fake.base_url}/fal-ai/flux/requests/{task_id}"  # no subpath
        assert sub["status_url"] == base + "/status"
        assert sub["response_url"] == base
        assert sub["cancel_url"] == base + "/cancel"
        result = client.get(sub["response_url"], headers=auth(family))
        assert result.status_code == 200
        assert [image["url"] for image in result.json()["images"]] == urls
    else:
        pred = created.json()
        assert pred["status"] == "starting" and pred["output"] is None
        assert pred["urls"]["get"] == f"{fake.base_url}/v1/predictions/{task_id}"
        assert created.headers["location"] == pred["urls"]["get"]
        assert last["output"] == urls and last["error"] is None


def test_runware_video_and_result_count(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    fake = fakes["runware"]
    fake.configure(polls=0)
    submit(client, fake, task_type="videoInference")
    item = poll(client, fake, RUNWARE_TASK).json()["data"][0]
    assert item["status"] == "success"
    assert item["videoURL"].endswith(".mp4") and "imageURL" not in item


def test_fal_result_before_completion_and_unknown_ids(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    fake = fakes["fal_queue"]
    task_id = task_id_of(fake, submit(client, fake))
    early = client.get(
        f"{fake.base_url}/fal-ai/flux/requests/{task_id}", headers=auth("fal_queue")
    )
    assert early.status_code == 400 and isinstance(early.json()["detail"], str)
    other_app = client.get(
        f"{fake.base_url}/fal-ai/other/requests/{task_id}/status",
        headers=auth("fal_queue"),
    )
    assert other_app.status_code == 404
    cancel = client.put(
        f"{fake.base_url}/fal-ai/flux/requests/{task_id}/cancel",
        headers=auth("fal_queue"),
    )
    assert cancel.status_code == 202
    assert cancel.json() == {"status": "CANCELLATION_REQUESTED"}


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_task_id(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    response = poll(client, fakes[family], "00000000-0000-4000-8000-000000000000")
    status = 400 if family == "runware" else 404
    assert "no" in assert_error_shape(family, response, status).lower()


# -- adopting task ids a fake never issued (resume in a new process) ---------------
TERMINAL_STATES: dict[str, Any] = {
    "kie_jobs": "success",
    "kie_veo": 1,
    "kie_4o": "SUCCESS",
    "runware": "success",
    "fal_queue": "COMPLETED",
    "replicate": "succeeded",
}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def result_urls_of(
    client: httpx.Client, fake: FakeProvider, response: httpx.Response
) -> list[str]:
    """The output URLs a terminal poll delivers (fal: via its result fetch)."""
    body = response.json()
    if fake.family == "kie_jobs":
        return list(json.loads(body["data"]["resultJson"])["resultUrls"])
    if fake.family in ("kie_veo", "kie_4o"):
        return list(body["data"]["response"]["resultUrls"])
    if fake.family == "runware":
        return [item["imageURL"] for item in body["data"]]
    if fake.family == "fal_queue":
        result = client.get(body["response_url"], headers=auth(fake.family))
        assert result.status_code == 200
        return [image["url"] for image in result.json()["images"]]
    output = body["output"]
    return list(output) if isinstance(output, list) else [output]


@pytest.mark.parametrize("family", FAMILIES)
def test_adopted_unknown_task_completes(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    fake = fakes[family]
    fake.configure(adopt_unknown_tasks=True, polls=1, output_kind="image")
    first = poll(client, fake, UNKNOWN_ID)  # adopted: its progression starts here
    assert first.status_code == (202 if family == "fal_queue" else 200)
    assert state_of(family, first) != TERMINAL_STATES[family]
    task = fake.task(UNKNOWN_ID)
    assert (task.polls, task.polls_needed, task.outcome) == (1, 1, "success")
    last = poll(client, fake, UNKNOWN_ID)
    assert state_of(family, last) == TERMINAL_STATES[family]
    assert result_urls_of(client, fake, last) == list(fake.task(UNKNOWN_ID).result_urls)
    assert fake.submit_count == 0 and list(fake.tasks) == [UNKNOWN_ID]
    assert [r.task_id for r in fake.requests[:2]] == [UNKNOWN_ID] * 2
    fake.configure(adopt_unknown_tasks=False)  # off again: documented not-found
    other = "11111111-1111-4111-8111-111111111111"
    response = poll(client, fake, other)
    assert_error_shape(family, response, 400 if family == "runware" else 404)
    assert other not in fake.tasks


@pytest.mark.parametrize("family", FAMILIES)
def test_adoption_is_off_by_default_and_after_reset(family: Family) -> None:
    with FakeProvider(family, adopt_unknown_tasks=True) as fake, httpx.Client() as c:
        fake.configure(adopt_unknown_tasks=False)
        fake.reset()  # restores the constructor's knobs: adoption on
        assert poll(c, fake, UNKNOWN_ID).status_code in (200, 202)
    with FakeProvider(family) as fake, httpx.Client() as c:
        response = poll(c, fake, UNKNOWN_ID)
        status = 400 if family == "runware" else 404
        assert "no" in assert_error_shape(family, response, status).lower()
        assert fake.tasks == {}


def test_adopting_fakes_follow_up_tasks_of_another_fake(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    with fake_providers(adopt_unknown_tasks=True, polls=0) as later:
        assert later.api_key == fakes.api_key == KEY
        for family in FAMILIES:
            task_id = task_id_of(fakes[family], submit(client, fakes[family]))
            final = poll(client, later[family], task_id)
            assert state_of(family, final) == TERMINAL_STATES[family]
            assert later[family].task(task_id).polls == 1


def test_adopted_fal_ids_stay_under_their_app(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    fake = fakes["fal_queue"]
    fake.configure(adopt_unknown_tasks=True)
    task_id = task_id_of(fake, submit(client, fake))
    other_app = f"{fake.base_url}/fal-ai/other/requests/{task_id}/status"
    assert client.get(other_app, headers=auth("fal_queue")).status_code == 404
    early = client.get(
        f"{fake.base_url}/fal-ai/lyria/requests/{UNKNOWN_ID}", headers=auth("fal_queue")
    )
    assert early.status_code == 400  # adopted just now: still in progress
    assert fake.task(UNKNOWN_ID).path == "/fal-ai/lyria"
    assert fake.task(UNKNOWN_ID).output_kind == "audio"  # inferred from the app


def test_adopted_task_meets_result_faults_on_its_terminal_poll(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    fake = fakes["replicate"]
    fake.configure(adopt_unknown_tasks=True, polls=0)
    fake.inject("result", status=503)
    assert poll(client, fake, "unknownprediction").status_code == 503
    assert fake.tasks == {}  # the faulted request adopted nothing
    assert state_of("replicate", poll(client, fake, "unknownprediction")) == (
        "succeeded"
    )


def test_base_urls_and_api_key() -> None:
    with FakeProviders(api_key="shared-key") as started:
        urls = started.base_urls()
        assert list(urls) == list(FAMILIES)
        assert urls == {family: started.base_url(family) for family in FAMILIES}
        assert len(set(urls.values())) == len(FAMILIES)
        assert all(url.startswith("http://127.0.0.1:") for url in urls.values())
        assert started.api_key == "shared-key"
        assert {fake.api_key for fake in started} == {"shared-key"}
    with pytest.raises(RuntimeError, match="not running"):
        started.base_urls()


# -- contract: failures ------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES)
def test_failed_outcome(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    fake = fakes[family]
    fake.configure(polls=1, outcome="failed", error_message="content policy")
    task_id = task_id_of(fake, submit(client, fake))
    if family == "kie_jobs":  # not yet visible to recordInfo
        assert state_of(family, poll(client, fake, task_id)) == INVISIBLE
    assert state_of(family, poll(client, fake, task_id)) in (
        0,
        "pending",
        "IN_QUEUE",
        "starting",
        "waiting",
        "GENERATING",
    )
    body = poll(client, fake, task_id).json()
    if family == "kie_jobs":
        data = body["data"]
        assert data["state"] == "fail" and data["failMsg"] == "content policy"
        assert data["failCode"] and data["resultJson"] == ""
    elif family == "kie_veo":
        data = body["data"]
        assert data["successFlag"] == 3 and data["errorMessage"] == "content policy"
        assert data["errorCode"] is not None and data["response"] is None
    elif family == "kie_4o":
        data = body["data"]
        assert data["status"] == "GENERATE_FAILED" and data["successFlag"] == 3
        assert data["errorMessage"] == "content policy" and data["response"] is None
    elif family == "runware":
        (error,) = body["errors"]
        assert error["taskUUID"] == task_id and error["status"] == "error"
        assert error["message"] == "content policy"
    elif family == "fal_queue":
        assert body["status"] == "COMPLETED"
        result = client.get(body["response_url"], headers=auth(family))
        assert assert_error_shape(family, result, 422) == "content policy"
    else:
        assert body["status"] == "failed" and body["error"] == "content policy"
        assert body["output"] is None


def test_veo_fail_flag_and_replicate_cancel(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    veo = fakes["kie_veo"]
    veo.configure(polls=0, outcome="failed", veo_fail_flag=2)
    task_id = task_id_of(veo, submit(client, veo))
    assert poll(client, veo, task_id).json()["data"]["successFlag"] == 2
    rep = fakes["replicate"]
    rep.configure(polls=0, outcome="canceled")
    task_id = task_id_of(rep, submit(client, rep))
    assert poll(client, rep, task_id).json()["status"] == "canceled"
    with pytest.raises(ValueError, match="canceled"):
        fakes["kie_jobs"].configure(outcome="canceled")


# -- contract: auth ------------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", ["wrong-key", None])
def test_auth_error(
    fakes: FakeProviders, client: httpx.Client, family: Family, key: str | None
) -> None:
    fake = fakes[family]
    response = submit(client, fake, key=key)
    assert_error_shape(family, response, 401)
    if family == "runware":
        assert response.json()["errors"][0]["code"] == "invalidApiKey"
    assert fake.tasks == {} and fake.submit_count == 1
    assert fake.requests[0].headers.get("Authorization", REDACTED) == REDACTED


# -- contract: faults ----------------------------------------------------------------
STATUSES = [401, 402, 403, 422, 429, 500, 503]


@pytest.mark.parametrize("family", FAMILIES)
def test_status_faults_are_one_shot_and_shaped(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    fake = fakes[family]
    statuses = [*STATUSES, 455] if family.startswith("kie") else STATUSES
    for status in statuses:
        fake.inject("submit", status=status, message=f"boom {status}")
        response = submit(client, fake)
        assert assert_error_shape(family, response, status) == f"boom {status}"
        if status == 429:
            assert response.headers["retry-after"] == "0"
    assert fake.tasks == {}
    ok = submit(client, fake)
    assert ok.status_code in (200, 201)
    assert fake.submit_count == len(statuses) + 1


def test_fault_times_and_phases(fakes: FakeProviders, client: httpx.Client) -> None:
    fake = fakes["replicate"]
    fake.configure(polls=1)
    fake.inject("poll", status=503, times=2)
    fake.inject("result", status=500, retry_after=7)
    task_id = task_id_of(fake, submit(client, fake))
    assert [poll(client, fake, task_id).status_code for _ in range(2)] == [503, 503]
    assert state_of("replicate", poll(client, fake, task_id)) == "starting"
    terminal = poll(client, fake, task_id)  # the terminal poll is the result phase
    assert terminal.status_code == 500 and terminal.headers["retry-after"] == "7"
    assert state_of("replicate", poll(client, fake, task_id)) == "succeeded"
    assert fake.pending_faults == []
    assert [r.fault for r in fake.requests[1:]] == ["status"] * 2 + [None] + [
        "status",
        None,
    ]


@pytest.mark.parametrize("family", ["kie_jobs", "kie_veo", "kie_4o"])
def test_kie_errors_only_in_body_code(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    fake = fakes[family]
    fake.configure(kie_http_status="always_200")
    fake.inject("submit", status=402)
    response = submit(client, fake)
    assert response.status_code == 200
    assert response.json()["code"] == 402 and "credit" in response.json()["msg"].lower()
    assert submit(client, fake, key="bad").json()["code"] == 401


@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_drop_and_latency(
    fakes: FakeProviders, client: httpx.Client, family: Family
) -> None:
    fake = fakes[family]
    fake.inject("submit", "malformed")
    response = submit(client, fake)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    fake.inject("submit", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        submit(client, fake)
    fake.inject("submit", "latency", delay_s=0.2)
    started = time.monotonic()
    response = submit(client, fake, task_uuid="1e3a8f33-5a63-4ab4-9f4b-1a2a3b4c5d6e")
    assert time.monotonic() - started >= 0.2
    assert response.status_code in (200, 201)
    assert [r.fault for r in fake.requests] == ["malformed", "drop", "latency"]
    assert [r.status for r in fake.requests] == [200, None, response.status_code]
    assert len(fake.tasks) == 1 and fake.submit_count == 3


def test_fal_result_phase_faults(fakes: FakeProviders, client: httpx.Client) -> None:
    fake = fakes["fal_queue"]
    fake.configure(polls=0)
    fake.inject("result", status=504)
    task_id = task_id_of(fake, submit(client, fake))
    assert poll(client, fake, task_id).json()["status"] == "COMPLETED"
    url = f"{fake.base_url}/fal-ai/flux/requests/{task_id}"
    first = client.get(url, headers=auth("fal_queue"))
    assert first.status_code == 504
    assert first.json()["error_type"] == first.headers["x-fal-error-type"]
    assert client.get(url, headers=auth("fal_queue")).status_code == 200


# -- records, threads, lifecycle -----------------------------------------------------
def test_records_redact_the_key(fakes: FakeProviders, client: httpx.Client) -> None:
    fake = fakes["kie_jobs"]
    fake.configure(kie_invisible_polls=0)
    task_id = task_id_of(fake, submit(client, fake))
    poll(client, fake, task_id)
    first, second = fake.requests
    assert (first.method, first.path, first.phase) == (
        "POST",
        "/api/v1/jobs/createTask",
        "submit",
    )
    assert first.json == {"model": "recraft/crisp-upscale", "input": {"image": IMAGE}}
    assert first.headers["Authorization"] == REDACTED
    assert KEY not in repr(fake.requests)
    assert (second.phase, second.query, second.task_id) == (
        "poll",
        {"taskId": task_id},
        task_id,
    )
    assert fake.tasks[task_id].polls == 1


def test_concurrent_submits_are_counted(fakes: FakeProviders) -> None:
    fake = fakes["fal_queue"]

    def work() -> None:
        with httpx.Client() as c:
            for _ in range(10):
                submit(c, fake)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake.submit_count == 80 and len(fake.tasks) == 80
    assert len(fake.requests) == 80


def test_stops_quickly_with_open_keepalive_connection() -> None:
    with FakeProvider("replicate", api_key="other") as fake, httpx.Client() as c:
        base = fake.base_url
        assert (
            c.get(
                f"{base}/v1/predictions/x", headers={"Authorization": "Bearer other"}
            ).status_code
            == 404
        )
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 1.0
        with pytest.raises(RuntimeError):
            _ = fake.base_url
        with pytest.raises(httpx.TransportError):
            c.get(f"{base}/v1/predictions/x")


# -- every catalog model, end to end ---------------------------------------------------
class DictStore:
    """A minimal GenerationStore: dict-backed records."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self.records[str(record["id"])] = dict(record)

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        self.records[generation_id].update(changes)


class Clock:
    """Virtual time: sleeping advances monotonic() instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def sleep_async(self, seconds: float) -> None:
        self.sleep(seconds)


def minimal_inputs(module: ModuleType) -> dict[str, Any]:
    schema = module.SCHEMA
    inputs: dict[str, Any] = {}
    for name in schema["required"]:
        prop = schema["properties"][name]
        if "default" in prop:
            continue
        if "enum" in prop:
            inputs[name] = prop["enum"][0]
        elif prop["type"] == "array":
            inputs[name] = [IMAGE] * max(int(prop.get("minItems", 1)), 1)
        elif prop.get("renderer") == "image":
            inputs[name] = IMAGE
        elif prop["type"] == "string":
            inputs[name] = "a red fox in the snow"
        elif prop["type"] in ("integer", "number"):
            inputs[name] = prop.get("minimum", 1)
        elif prop["type"] == "boolean":
            inputs[name] = False
    return inputs


MODEL_IDS = [info.id for info in modelvault.list_models()]


def test_catalog_covers_every_family() -> None:
    families = {info.provider for info in modelvault.list_models()}
    assert families == set(FAMILIES)


def run_model(
    fakes: FakeProviders,
    model_id: str,
    client: httpx.Client,
    *,
    use_async: bool = False,
) -> tuple[FakeProvider, DictStore, str, Clock]:
    module = modelvault.get(model_id)
    fake = fakes[module.MODEL_CONFIG["provider"]]
    store, clock = DictStore(), Clock()
    inputs = minimal_inputs(module)
    common: dict[str, Any] = {
        "api_key": fake.api_key,
        "store": store,
        "base_url": fake.base_url,
        "monotonic": clock.monotonic,
    }
    if use_async:

        async def go() -> str:
            async with httpx.AsyncClient() as aclient:
                return str(
                    await module.execute_async(
                        inputs, client=aclient, sleep=clock.sleep_async, **common
                    )
                )

        generation_id = asyncio.run(go())
    else:
        generation_id = module.execute(
            inputs, client=client, sleep=clock.sleep, **common
        )
    return fake, store, generation_id, clock


def assert_completed(fake: FakeProvider, store: DictStore, generation_id: str) -> None:
    record = store.records[generation_id]
    assert record["status"] == "completed", record.get("error")
    (task,) = fake.tasks.values()
    assert record["provider_task_id"] == task.id
    assert record["outputs"] == list(task.result_urls)
    assert fake.submit_count == 1


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_model_runs_to_completion(
    fakes: FakeProviders, client: httpx.Client, model_id: str
) -> None:
    fake, store, generation_id, clock = run_model(fakes, model_id, client)
    assert_completed(fake, store, generation_id)
    (task,) = fake.tasks.values()
    assert task.polls == 3  # two pending answers, then the result
    assert all(r.headers.get("Authorization") == REDACTED for r in fake.requests)
    assert (
        clock.slept[0]
        == modelvault.get(model_id).MODEL_CONFIG["polling"]["first_delay_s"]
    )


def _one_model_per_family() -> list[str]:
    chosen: dict[str, str] = {}
    for info in modelvault.list_models():
        chosen.setdefault(info.provider, info.id)
    return sorted(chosen.values())


@pytest.mark.parametrize("model_id", _one_model_per_family())
def test_async_twin_runs_to_completion(
    fakes: FakeProviders, client: httpx.Client, model_id: str
) -> None:
    fake, store, generation_id, _ = run_model(fakes, model_id, client, use_async=True)
    assert_completed(fake, store, generation_id)


# -- model files against injected faults (the fakes' purpose) --------------------------
@pytest.mark.parametrize("model_id", _one_model_per_family())
def test_models_ride_out_429_and_5xx(
    fakes: FakeProviders, client: httpx.Client, model_id: str
) -> None:
    family = modelvault.get(model_id).MODEL_CONFIG["provider"]
    fake = fakes[family]
    fake.inject("submit", status=429, retry_after=3)
    fake.inject("poll", status=503)
    fake.inject("poll", "malformed")
    fake.inject("poll", "drop")
    _, store, generation_id, clock = run_model(fakes, model_id, client)
    record = store.records[generation_id]
    assert record["status"] == "completed", record.get("error")
    assert fake.submit_count == 2 and len(fake.tasks) == 1  # 429 = not processed
    assert 3.0 in clock.slept


@pytest.mark.parametrize("model_id", _one_model_per_family())
def test_models_record_a_failed_task(
    fakes: FakeProviders, client: httpx.Client, model_id: str
) -> None:
    family = modelvault.get(model_id).MODEL_CONFIG["provider"]
    fakes[family].configure(outcome="failed", error_message="nsfw content")
    with pytest.raises(Exception, match="nsfw content") as caught:
        run_model(fakes, model_id, client)
    assert getattr(caught.value, "kind", None) in ("task_failed", "validation")
    assert fakes[family].submit_count == 1


@pytest.mark.parametrize("model_id", _one_model_per_family())
def test_models_report_a_refused_key(
    fakes: FakeProviders, client: httpx.Client, model_id: str
) -> None:
    module = modelvault.get(model_id)
    fake = fakes[module.MODEL_CONFIG["provider"]]
    store = DictStore()
    with pytest.raises(Exception) as caught:
        module.execute(
            minimal_inputs(module),
            api_key="not-the-key",
            store=store,
            client=client,
            base_url=fake.base_url,
            sleep=lambda _s: None,
        )
    assert getattr(caught.value, "kind", None) == "auth"
    assert "not-the-key" not in str(caught.value)
    (record,) = store.records.values()
    assert record["status"] == "failed"


def test_kie_models_read_the_body_code_under_http_200(
    fakes: FakeProviders, client: httpx.Client
) -> None:
    fake = fakes["kie_jobs"]
    fake.configure(kie_http_status="always_200")
    fake.inject("submit", status=402)
    with pytest.raises(Exception, match="credits") as caught:
        run_model(fakes, "seedance-v1-lite", client)
    assert getattr(caught.value, "kind", None) == "insufficient_credits"


@pytest.mark.parametrize("kind", ["status", "drop"])
def test_fal_result_fetch_is_retried_like_a_poll(
    fakes: FakeProviders, client: httpx.Client, kind: str
) -> None:
    fake = fakes["fal_queue"]
    if kind == "status":
        fake.inject("result", status=503)
    else:
        fake.inject("result", "drop")
    _, store, generation_id, _ = run_model(fakes, "flux-1-schnell-fal", client)
    assert store.records[generation_id]["status"] == "completed"

"""kie.ai's 4o Image API: the kie_4o family template, its fake and the two
catalog models (chatgpt-4o-image, chatgpt-4o-image-edit).

The model files run over real loopback HTTP against `FakeProvider("kie_4o")`,
which checks each submit against kie's published body (schemas/kie_4o/); the
parsers are also fed the payloads exactly as docs.kie.ai prints them
(record-info page, quickstart, callbacks page). Sleeps are virtual."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import httpx
import pytest
from conftest import REPO_ROOT, minimal_spec_dict, run_generator
from starlette.datastructures import Headers

import modelvault
from modelvault.errors import InvalidInputsError, ProviderError
from modelvault.store import GenerationStatus, MemoryStore
from modelvault.testing import FakeProvider
from modelvault.webhooks import _kie

T2I = "chatgpt-4o-image"
EDIT = "chatgpt-4o-image-edit"
GENERATE = "/api/v1/gpt4o-image/generate"
RECORD = "/api/v1/gpt4o-image/record-info"
IMAGE = "https://example.com/in.png"
IMAGE_2 = "https://example.com/in-2.png"
MASK = "https://example.com/mask.png"


class VirtualClock:
    """Sleeping advances monotonic() at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def clock(self) -> modelvault.Clock:
        return modelvault.Clock(self.monotonic, self.sleep, self.async_sleep)


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider("kie_4o") as started:
        yield started


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as shared:
        yield shared


def model(model_id: str) -> ModuleType:
    return modelvault.get(model_id)


def run(
    fake: FakeProvider,
    model_id: str,
    inputs: dict[str, Any],
    store: MemoryStore | None = None,
    **kwargs: Any,
) -> modelvault.Generation:
    return modelvault.run(
        model_id,
        inputs,
        api_key=fake.api_key,
        base_url=fake.base_url,
        store=store if store is not None else MemoryStore(),
        clock=VirtualClock().clock(),
        outputs=False,
        **kwargs,
    )


def post(client: httpx.Client, fake: FakeProvider, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    return client.post(fake.base_url + GENERATE, json=body, headers=headers)


def record_info(client: httpx.Client, fake: FakeProvider, task_id: str) -> Any:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    url = fake.base_url + RECORD
    return client.get(url, params={"taskId": task_id}, headers=headers).json()


# -- the generator side ---------------------------------------------------------------
@pytest.mark.parametrize("model_id", [T2I, EDIT])
def test_the_committed_file_is_its_spec_rendered(model_id: str) -> None:
    from generator.modelfile import parse_model_file
    from generator.render import render_body
    from generator.spec import load_spec_text
    from modelvault._modelfile import split_model_file

    printed = run_generator(["spec", model_id], REPO_ROOT)
    assert printed.exit_code == 0, printed.output
    spec = load_spec_text(printed.output)
    assert spec.provider == "kie_4o" and spec.provider_model == "gpt4o-image"
    path = REPO_ROOT / spec.path
    data = path.read_bytes()
    assert split_model_file(data)[1] == render_body(spec)
    header = parse_model_file(spec.path, data).header
    assert header.template == "kie_4o" and header.locked is False


def test_kie_4o_takes_only_its_one_provider_model() -> None:
    from generator.spec import SpecError, parse_spec

    data = minimal_spec_dict("kie_4o")
    data["provider_model"] = "gpt-image-1"
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    (problem,) = caught.value.problems
    assert problem[0] == "provider_model" and "'gpt4o-image'" in problem[1]


# -- the model files: inputs, price, payload -------------------------------------------
def test_text_to_image_defaults_and_payload() -> None:
    module = model(T2I)
    assert module.MODEL_CONFIG["provider"] == "kie_4o"
    assert module.TEMPLATE == "kie_4o"
    payload = module.prepare_payload({"prompt": "a fox"})
    # flat, kie's own field names, no model field (the path names the model)
    assert payload == {
        "prompt": "a fox",
        "size": "1:1",
        "nVariants": 1,
        "isEnhance": False,
    }
    assert module.prepare_payload(
        {"prompt": "a fox", "size": "2:3", "n_variants": 4, "is_enhance": True}
    ) == {"prompt": "a fox", "size": "2:3", "nVariants": 4, "isEnhance": True}


def test_edit_payload_with_images_mask_and_no_prompt() -> None:
    module = model(EDIT)
    assert module.SCHEMA["imageInputField"] == "files_url"
    inputs = {"files_url": [IMAGE, IMAGE_2], "mask_url": MASK, "prompt": "a hat"}
    assert module.prepare_payload(inputs) == {
        "filesUrl": [IMAGE, IMAGE_2],
        "prompt": "a hat",
        "maskUrl": MASK,
        "size": "1:1",
        "nVariants": 1,
        "isEnhance": False,
    }
    # images alone are enough: kie makes variants of them
    assert module.prepare_payload({"files_url": [IMAGE]})["filesUrl"] == [IMAGE]


@pytest.mark.parametrize("model_id", [T2I, EDIT])
@pytest.mark.parametrize(("variants", "credits"), [(1, "3"), (2, "6"), (4, "12")])
def test_price_per_number_of_images(model_id: str, variants: int, credits: str) -> None:
    inputs: dict[str, Any] = {"prompt": "a fox", "n_variants": variants}
    if model_id == EDIT:
        inputs["files_url"] = [IMAGE]
    assert model(model_id).calculate_cost(inputs) == Decimal(credits)
    assert modelvault.cost(model_id, inputs) == Decimal(credits)


@pytest.mark.parametrize(
    ("model_id", "inputs", "field"),
    [
        (T2I, {}, "prompt"),
        (T2I, {"prompt": "a fox", "n_variants": 3}, "n_variants"),
        (T2I, {"prompt": "a fox", "size": "16:9"}, "size"),
        (T2I, {"prompt": "a fox", "nVariants": 2}, "nVariants"),
        (EDIT, {"prompt": "a hat"}, "files_url"),
        (EDIT, {"files_url": []}, "files_url"),
        (EDIT, {"files_url": [IMAGE] * 6}, "files_url"),
        (EDIT, {"files_url": ["not a url"]}, "files_url"),
        (EDIT, {"files_url": [IMAGE], "mask_url": "mask.png"}, "mask_url"),
    ],
)
def test_bad_inputs_are_refused_before_anything_is_sent(
    fake: FakeProvider, model_id: str, inputs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputsError) as caught:
        run(fake, model_id, inputs)
    assert field in caught.value.errors
    assert fake.requests == []


# -- the fake: kie's published body and record-info ------------------------------------
def test_the_fake_checks_the_published_body(
    client: httpx.Client, fake: FakeProvider
) -> None:
    cases = [
        ({"prompt": "x"}, "size: field required"),
        ({"size": "1:1"}, "at least one of prompt or filesUrl"),
        ({"size": "1:1", "prompt": ""}, "at least one of prompt or filesUrl"),
        ({"size": "1:1", "filesUrl": [IMAGE] * 6}, "filesUrl"),
        ({"size": "16:9", "prompt": "x"}, "size"),
        ({"size": "1:1", "prompt": "x", "nVariants": 3}, "nVariants"),
        ({"size": "1:1", "prompt": "x", "aspect_ratio": "1:1"}, "aspect_ratio"),
    ]
    for body, said in cases:
        answer = post(client, fake, body)
        assert answer.status_code == 422, body
        assert answer.json()["code"] == 422 and answer.json()["data"] is None
        assert said in answer.json()["msg"], (body, answer.json())
    fake.configure(kie_http_status="always_200")
    quiet = post(client, fake, {"size": "1:1"})
    assert quiet.status_code == 200 and quiet.json()["code"] == 422
    assert fake.tasks == {}
    full = {
        "filesUrl": [IMAGE, IMAGE_2],
        "prompt": "A beautiful sunset over the mountains",
        "size": "1:1",
        "callBackUrl": "https://your-callback-url.com/callback",
        "isEnhance": False,
        "uploadCn": False,
        "nVariants": 1,
        "enableFallback": False,
        "fallbackModel": "FLUX_MAX",
    }  # the generate page's own example
    fake.configure(kie_http_status="mirror", callback_retries=0)
    accepted = post(client, fake, full).json()
    assert accepted["code"] == 200 and accepted["msg"] == "success"
    assert accepted["data"]["taskId"].startswith("task_4o_")


def test_record_info_progress_variants_and_not_found(
    client: httpx.Client, fake: FakeProvider
) -> None:
    fake.configure(polls=2)
    body = {"prompt": "a fox", "size": "3:2", "nVariants": 4}
    task_id = post(client, fake, body).json()["data"]["taskId"]
    answers = [record_info(client, fake, task_id)["data"] for _ in range(3)]
    assert [a["status"] for a in answers] == ["GENERATING", "GENERATING", "SUCCESS"]
    assert [a["progress"] for a in answers] == ["0.33", "0.67", "1.00"]
    assert [a["successFlag"] for a in answers] == [0, 0, 1]
    last = answers[-1]
    assert len(last["response"]["resultUrls"]) == 4  # one per nVariants
    assert json.loads(last["paramJson"]) == body
    assert isinstance(last["completeTime"], int) and last["errorCode"] is None
    unknown = record_info(client, fake, "task_4o_unknown")
    assert unknown["code"] == 404 and unknown["data"] is None


@pytest.mark.parametrize(
    ("status", "flag"), [("GENERATE_FAILED", 3), ("CREATE_TASK_FAILED", 2)]
)
def test_record_info_failure_states(
    client: httpx.Client, fake: FakeProvider, status: str, flag: int
) -> None:
    fake.configure(polls=0, outcome="failed", kie4o_fail_status=status)  # type: ignore[arg-type]
    task_id = post(client, fake, {"prompt": "x", "size": "1:1"}).json()["data"]
    data = record_info(client, fake, task_id["taskId"])["data"]
    assert (data["status"], data["successFlag"]) == (status, flag)
    assert data["errorMessage"] == "the fake was told to fail this task"
    assert data["response"] is None and data["errorCode"] == 400


def test_the_4o_knobs_are_checked() -> None:
    with pytest.raises(ValueError, match="kie4o_fail_status"):
        FakeProvider("kie_4o", kie4o_fail_status="FAILED")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kie4o_callback_fail_code"):
        FakeProvider("kie_4o", kie4o_callback_fail_code=422)
    with pytest.raises(ValueError, match="canceled"):
        FakeProvider("kie_4o", outcome="canceled")


# -- whole runs against the fake -------------------------------------------------------
def test_text_to_image_runs_to_completion(fake: FakeProvider) -> None:
    store = MemoryStore()
    record = run(fake, T2I, {"prompt": "a fox", "n_variants": 4}, store)
    assert record.status == GenerationStatus.COMPLETED
    (task,) = fake.tasks.values()
    assert record.outputs == list(task.result_urls) and len(task.result_urls) == 4
    assert record.provider_task_id == task.id and record.cost == "12.00"
    submit, *polls = fake.requests
    assert (submit.method, submit.path) == ("POST", GENERATE)
    assert submit.json == {
        "prompt": "a fox",
        "size": "1:1",
        "nVariants": 4,
        "isEnhance": False,
    }
    assert [(r.method, r.path, r.query) for r in polls] == [
        ("GET", RECORD, {"taskId": task.id})
    ] * 3
    assert all(r.headers["Authorization"] == "[REDACTED]" for r in fake.requests)


def test_edit_runs_to_completion_and_async_twin(fake: FakeProvider) -> None:
    inputs = {"files_url": [IMAGE], "mask_url": MASK, "prompt": "a red hat"}
    record = run(fake, EDIT, inputs)
    assert record.status == GenerationStatus.COMPLETED
    assert fake.requests[0].json["maskUrl"] == MASK
    fake.reset()

    async def go() -> modelvault.Generation:
        return await modelvault.run_async(
            EDIT,
            inputs,
            api_key=fake.api_key,
            base_url=fake.base_url,
            store=MemoryStore(),
            clock=VirtualClock().clock(),
            outputs=False,
        )

    again = asyncio.run(go())
    assert again.status == GenerationStatus.COMPLETED
    assert again.outputs == list(fake.task(str(again.provider_task_id)).result_urls)


@pytest.mark.parametrize("status", ["GENERATE_FAILED", "CREATE_TASK_FAILED"])
def test_each_failure_status_ends_the_generation(
    fake: FakeProvider, status: str
) -> None:
    fake.configure(outcome="failed", error_message="flagged by OpenAI")
    fake.configure(kie4o_fail_status=status)  # type: ignore[arg-type]
    store = MemoryStore()
    with pytest.raises(ProviderError) as caught:
        run(fake, T2I, {"prompt": "a fox"}, store)
    assert caught.value.kind == "task_failed" and not caught.value.resumable
    assert status in str(caught.value) and "flagged by OpenAI" in str(caught.value)
    (record,) = store.all_generations()
    assert record.status == GenerationStatus.FAILED
    assert fake.submit_count == 1


@pytest.mark.parametrize("mirror", ["mirror", "always_200"])
def test_insufficient_credits_is_a_refusal_that_ends_it(
    fake: FakeProvider, mirror: str
) -> None:
    fake.configure(kie_http_status=mirror)  # type: ignore[arg-type]
    fake.inject("submit", status=402)
    store = MemoryStore()
    with pytest.raises(ProviderError) as caught:
        run(fake, T2I, {"prompt": "a fox"}, store)
    assert caught.value.kind == "insufficient_credits"
    assert caught.value.status_code == 402 and not caught.value.resumable
    (record,) = store.all_generations()
    assert record.status == GenerationStatus.FAILED and record.provider_task_id is None
    assert fake.tasks == {}


def test_maintenance_455_is_waited_out_while_polling(fake: FakeProvider) -> None:
    fake.inject("poll", status=455, times=2)
    record = run(fake, T2I, {"prompt": "a fox"})
    assert record.status == GenerationStatus.COMPLETED
    assert [r.status for r in fake.requests[1:3]] == [455, 455]


def test_maintenance_455_at_submit_says_check_before_running_again(
    fake: FakeProvider,
) -> None:
    fake.inject("submit", status=455)
    with pytest.raises(ProviderError) as caught:
        run(fake, T2I, {"prompt": "a fox"})
    assert (caught.value.kind, caught.value.status_code) == ("server", 455)
    assert "check" in str(caught.value) and fake.submit_count == 1


def test_record_info_is_null_is_a_pending_state(fake: FakeProvider) -> None:
    fake.inject("poll", status=422, message="recordInfo is null", times=2)
    states: list[str] = []
    record = run(
        fake,
        T2I,
        {"prompt": "a fox"},
        on_progress=lambda state, *_: states.append(state),
    )
    assert record.status == GenerationStatus.COMPLETED
    assert "not visible yet" in states


# -- the parsers, fed kie's documented payloads ----------------------------------------
RECORD_INFO_EXAMPLE = {  # docs.kie.ai/4o-image-api/get-4-o-image-details
    "code": 200,
    "msg": "success",
    "data": {
        "taskId": "task12345",
        "paramJson": '{"prompt":"A beautiful sunset over the mountains",'
        '"size":"1:1","isEnhance":false}',
        "completeTime": 1672574400000,
        "response": {"resultUrls": ["https://example.com/result/image1.png"]},
        "successFlag": 1,
        "status": "SUCCESS",
        "errorCode": None,
        "errorMessage": "",
        "createTime": 1672561200000,
        "progress": "1.00",
    },
}
QUICKSTART_EXAMPLE = {  # docs.kie.ai/4o-image-api/quickstart, "Task Status Response"
    "code": 200,
    "msg": "success",
    "data": {
        "taskId": "task_4o_abc123",
        "status": "SUCCESS",
        "response": {"result_urls": ["https://example.com/generated-image.png"]},
    },
}
CALLBACK_EXAMPLE = {  # docs.kie.ai/4o-image-api/generate-4-o-image-callbacks
    "code": 200,
    "msg": "success",
    "data": {
        "taskId": "task12345",
        "info": {"result_urls": ["https://example.com/result/image1.png"]},
    },
}


def _with_data(**data: Any) -> dict[str, Any]:
    return {"code": 200, "msg": "success", "data": data}


def test_documented_record_info_answers() -> None:
    module = model(T2I)
    done = module._parse_poll(RECORD_INFO_EXAMPLE)
    assert (done.state, done.outputs) == (
        "completed",
        ["https://example.com/result/image1.png"],
    )
    quick = module._parse_poll(QUICKSTART_EXAMPLE)
    assert quick.outputs == ["https://example.com/generated-image.png"]
    running = _with_data(
        taskId="t", status="GENERATING", successFlag=0, progress="0.40"
    )
    assert module._parse_poll(running).state == "generating"
    unset = _with_data(taskId="t", status=None, successFlag=0)
    assert module._parse_poll(unset).state == "generating"
    for status in ("CREATE_TASK_FAILED", "GENERATE_FAILED"):
        failed = module._parse_poll(
            _with_data(status=status, errorCode=400, errorMessage="content policy")
        )
        assert failed.state == "failed"
        assert failed.error == f"content policy ({status}, errorCode 400)"
    empty = module._parse_poll(_with_data(status="SUCCESS", response={}))
    assert empty.state == "failed"
    assert module._parse_poll(_with_data(status="QUEUED")).state == "malformed"
    assert module._parse_poll({"code": 200, "data": None}).state == "malformed"


def test_documented_callbacks() -> None:
    module = model(T2I)
    changes = module.callback_changes(CALLBACK_EXAMPLE, "task12345")
    assert changes["status"] == "completed"
    assert changes["outputs"] == ["https://example.com/result/image1.png"]
    for code, reason in [
        (400, "content flagged by OpenAI as violating policies"),
        (451, "Unable to download image from the provided filesUrl"),
        (500, "failed to generate image"),
    ]:
        body = {"code": code, "msg": reason, "data": {"taskId": "task12345"}}
        failed = module.callback_changes(body, "task12345")
        assert failed["status"] == "failed"
        assert reason in failed["error"]["message"]
        assert f"errorCode {code}" in failed["error"]["message"]
    # a success callback without URLs leaves the task to the fallback poll
    bare = {"code": 200, "msg": "success", "data": {"taskId": "task12345"}}
    assert module.callback_changes(bare, "task12345") is None
    with pytest.raises(module.CallbackError, match="another generation"):
        module.callback_changes(CALLBACK_EXAMPLE, "task-of-someone-else")
    with pytest.raises(module.CallbackError):
        module.callback_changes({"data": {"taskId": "task12345"}}, "task12345")


# -- callbacks from the fake -----------------------------------------------------------
def _nobody() -> str:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{closed.getsockname()[1]}/hooks/kie_4o/g1"


def _submit_with_callback(
    fake: FakeProvider, client: httpx.Client, module: ModuleType
) -> str:
    payload = module.prepare_payload({"prompt": "a fox", "n_variants": 2})
    task_id, _ = module.call_provider_api(
        payload,
        api_key=fake.api_key,
        client=client,
        base_url=fake.base_url,
        callback_url=_nobody(),
    )
    assert fake.requests[0].json["callBackUrl"].endswith("/hooks/kie_4o/g1")
    return str(task_id)


def test_the_fake_calls_back_as_documented_on_success(
    fake: FakeProvider, client: httpx.Client
) -> None:
    fake.configure(callback_retries=0, kie_webhook_hmac_key="hmac-key")
    module = model(T2I)
    task_id = _submit_with_callback(fake, client, module)
    (delivery,) = fake.wait_for_deliveries(1)
    urls = list(fake.task(task_id).result_urls)
    assert delivery.json == {
        "code": 200,
        "msg": "success",
        "data": {"taskId": task_id, "info": {"result_urls": urls}},
    }
    stamp = delivery.headers["X-Webhook-Timestamp"]
    expected = hmac.new(b"hmac-key", f"{task_id}.{stamp}".encode(), hashlib.sha256)
    assert delivery.headers["X-Webhook-Signature"] == base64.b64encode(
        expected.digest()
    ).decode("ascii")
    signed = _kie.verify("hmac-key", Headers(delivery.headers), delivery.body)
    assert signed == f"{task_id}.{stamp}"  # what the receiver checked
    changes = module.callback_changes(delivery.json, task_id)
    assert (changes["status"], changes["outputs"]) == ("completed", urls)


@pytest.mark.parametrize("code", [400, 451, 500])
def test_the_fake_calls_back_each_documented_failure_code(
    fake: FakeProvider, client: httpx.Client, code: int
) -> None:
    fake.configure(
        outcome="failed",
        error_message="Unable to process the image",
        callback_retries=0,
        kie4o_callback_fail_code=code,
    )
    module = model(EDIT)
    payload = module.prepare_payload({"files_url": [IMAGE]})
    task_id, _ = module.call_provider_api(
        payload,
        api_key=fake.api_key,
        client=client,
        base_url=fake.base_url,
        callback_url=_nobody(),
    )
    (delivery,) = fake.wait_for_deliveries(1)
    assert delivery.json == {
        "code": code,
        "msg": "Unable to process the image",
        "data": {"taskId": task_id, "info": None},
    }
    assert "X-Webhook-Signature" not in delivery.headers  # no key: unsigned
    changes = module.callback_changes(delivery.json, task_id)
    assert changes["status"] == "failed"
    assert f"errorCode {code}" in changes["error"]["message"]

"""The fakes as independent judges: the JSON Schema validator, the published
schema files, each family's documented validation answer, and the documented
transient and terminal states the fakes now emit by default."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from modelvault.testing import FAMILIES, FakeProvider, Family
from modelvault.testing._jsonschema import SchemaDocumentError, validate
from modelvault.testing._schemas import all_schemas

KEY = "test-key"
IMAGE = "https://example.com/input.png"
UUID4 = "0f8e6a4c-6c1e-4d59-9b1a-2b7f8e7c1d2a"


# -- the validator ----------------------------------------------------------------
def kinds(instance: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e.field, e.keyword) for e in validate(instance, schema)]


def test_types_do_not_confuse_booleans_and_numbers() -> None:
    assert kinds(True, {"type": "integer"}) == [("", "type")]
    assert kinds(1, {"type": "boolean"}) == [("", "type")]
    assert kinds(2.0, {"type": "integer"}) == []
    assert kinds(2.5, {"type": "integer"}) == [("", "type")]
    assert kinds(float("nan"), {"type": "number"}) == [("", "type")]
    assert kinds(None, {"type": "string", "nullable": True}) == []
    assert kinds(None, {"type": ["string", "null"]}) == []
    assert kinds("5", {"type": "integer"}) == [("", "type")]
    assert kinds(True, {"enum": [1]}) == [("", "enum")]
    assert kinds(1.0, {"enum": [1]}) == []


def test_ranges_lengths_and_patterns() -> None:
    schema = {"type": "number", "minimum": 1, "exclusiveMaximum": 4}
    assert kinds(0, schema) == [("", "minimum")]
    assert kinds(4, schema) == [("", "exclusiveMaximum")]
    draft4 = {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    assert kinds(0, draft4) == [("", "exclusiveMinimum")]
    assert kinds(0.5, draft4) == []
    text = {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"}
    assert kinds("a", text) == [("", "minLength")]
    assert kinds("abcd", text) == [("", "maxLength")]
    assert kinds("bc", text) == [("", "pattern")]
    listed = {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "maxItems": 2,
    }
    assert kinds([], listed) == [("", "minItems")]
    assert kinds(["a", 1, "c"], listed) == [("", "maxItems"), ("1", "type")]


def test_objects_refs_and_combinators() -> None:
    schema = {
        "$ref": "#/components/schemas/Input",
        "components": {
            "schemas": {
                "Size": {"type": "string", "enum": ["s", "m"]},
                "Input": {
                    "type": "object",
                    "required": ["prompt"],
                    "additionalProperties": False,
                    "properties": {
                        "prompt": {"type": "string"},
                        "size": {"allOf": [{"$ref": "#/components/schemas/Size"}]},
                        "box": {
                            "anyOf": [
                                {"$ref": "#/components/schemas/Size"},
                                {"type": "object", "required": ["w"]},
                            ]
                        },
                        "one": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
                    },
                },
            }
        },
    }
    assert kinds({"prompt": "x", "size": "m", "box": {"w": 1}}, schema) == []
    assert kinds({"size": "l"}, schema) == [("prompt", "required"), ("size", "enum")]
    assert kinds({"prompt": "x", "promt": "y"}, schema) == [
        ("promt", "additionalProperties")
    ]
    assert kinds({"prompt": "x", "box": "xl"}, schema) == [("box", "anyOf")]
    assert kinds({"prompt": "x", "one": 1}, schema) == [("one", "oneOf")]
    assert kinds({"prompt": "x", "one": 1.5}, schema) == []
    typed_extra = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert kinds({"a": 1, "b": "2"}, typed_extra) == [("b", "type")]
    with pytest.raises(SchemaDocumentError):
        validate({}, {"$ref": "#/nowhere"})
    loop = {"$ref": "#"}
    assert [e.keyword for e in validate(1, loop)] == ["depth"]


def test_schema_files_name_their_source() -> None:
    found = all_schemas()
    assert {s.family for s in found} == set(FAMILIES)
    for schema in found:
        assert schema.source_url.startswith("https://"), schema.file
        assert schema.retrieved == "2026-12-01" and schema.notes.strip()
        validate({}, schema.schema)  # every $ref resolves


# -- validation answers, per family --------------------------------------------------
@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as shared:
        yield shared


def post(
    client: httpx.Client, fake: FakeProvider, path: str, body: Any
) -> httpx.Response:
    scheme = "Key" if fake.family == "fal_queue" else "Bearer"
    headers = {"Authorization": f"{scheme} {fake.api_key}"}
    return client.post(fake.base_url + path, json=body, headers=headers)


def get(client: httpx.Client, fake: FakeProvider, url: str) -> httpx.Response:
    scheme = "Key" if fake.family == "fal_queue" else "Bearer"
    return client.get(url, headers={"Authorization": f"{scheme} {fake.api_key}"})


JOBS = "/api/v1/jobs/createTask"
TTS = "elevenlabs/text-to-speech-multilingual-v2"


def test_kie_jobs_answers_code_422_naming_the_field(client: httpx.Client) -> None:
    with FakeProvider("kie_jobs") as fake:
        missing = post(client, fake, JOBS, {"model": TTS, "input": {"txt": "hi"}})
        assert missing.status_code == 422
        body = missing.json()
        assert body["code"] == 422 and body["data"] is None
        assert "input.text: field required" in body["msg"]
        refused = post(
            client, fake, JOBS, {"model": TTS, "input": {"text": "hi", "speed": 3}}
        )
        assert "input.speed" in refused.json()["msg"]
        language = {"text": "hi", "language_code": "en"}  # turbo-2-5 only
        assert (
            post(client, fake, JOBS, {"model": TTS, "input": language}).json()["code"]
            == 422
        )
        unknown = post(client, fake, JOBS, {"model": "nobody/none", "input": {}})
        assert (
            unknown.json()["code"] == 422 and "not supported" in unknown.json()["msg"]
        )
        fake.configure(kie_http_status="always_200")
        quiet = post(client, fake, JOBS, {"model": TTS, "input": {}})
        assert quiet.status_code == 200 and quiet.json()["code"] == 422
        assert fake.tasks == {} and fake.submit_count == 5


def test_kie_veo_checks_model_and_generation_type(client: httpx.Client) -> None:
    path = "/api/v1/veo/generate"
    with FakeProvider("kie_veo") as fake:
        ok = post(client, fake, path, {"prompt": "a fox", "aspect_ratio": "9:16"})
        assert ok.json()["code"] == 200  # model defaults to veo3_fast
        assert (
            post(client, fake, path, {"prompt": "x", "model": "veo4"}).status_code
            == 422
        )
        bad = post(client, fake, path, {"prompt": "x", "generationType": "TEXT"})
        assert "generationType" in bad.json()["msg"]


def test_runware_answers_400_errors_with_the_parameter(client: httpx.Client) -> None:
    task = {
        "taskType": "imageInference",
        "taskUUID": UUID4,
        "model": "runware:100@1",
        "positivePrompt": "a fox",
        "width": 1024,
    }
    with FakeProvider("runware") as fake:
        cases = [
            (task, "missingParameter", "height"),
            ({**task, "height": 512, "steps": "4"}, "invalidParameter", "steps"),
            ({**task, "height": 512, "negative": "x"}, "unknownParameter", "negative"),
            ({**task, "model": "runware:999@9"}, "unknownModel", "model"),
        ]
        for body, code, parameter in cases:
            answer = post(client, fake, "/v1", [body])
            assert answer.status_code == 400
            (error,) = answer.json()["errors"]
            assert (error["code"], error["parameter"]) == (code, parameter)
            assert error["taskType"] == "imageInference" and error["taskUUID"] == UUID4
        assert fake.tasks == {}


def test_fal_answers_422_detail_list_and_404_for_unknown_apps(
    client: httpx.Client,
) -> None:
    with FakeProvider("fal_queue") as fake:
        answer = post(client, fake, "/fal-ai/flux/schnell", {"num_images": 5})
        assert answer.status_code == 422
        assert answer.json()["detail"] == [
            {"loc": ["body", "prompt"], "msg": "field required", "type": "missing"},
            {
                "loc": ["body", "num_images"],
                "msg": "must be <= 4, got 5",
                "type": "less_than_equal",
            },
        ]
        sized = {"prompt": "x", "image_size": {"width": 512, "height": 512}}
        assert post(client, fake, "/fal-ai/flux/schnell", sized).status_code == 200
        unknown = post(client, fake, "/fal-ai/nothing-here", {"prompt": "x"})
        assert unknown.status_code == 404 and isinstance(unknown.json()["detail"], str)


def test_replicate_answers_422_problem_json(client: httpx.Client) -> None:
    path = "/v1/models/minimax/speech-02-turbo/predictions"
    with FakeProvider("replicate") as fake:
        answer = post(client, fake, path, {"input": {"text": "hi", "pitch": 20}})
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert problem["title"] == "Input validation failed"
        assert problem["detail"] == "- input.pitch: must be <= 12, got 20\n"
        assert problem["invalid_fields"][0]["field"] == "input.pitch"
        other = "/v1/models/nobody/nothing/predictions"
        assert post(client, fake, other, {"input": {}}).status_code == 404


SUBMITS: dict[str, tuple[str, Any]] = {
    "kie_jobs": (JOBS, {"model": "vendor/unlisted", "input": {"x": 1}}),
    "kie_veo": ("/api/v1/veo/generate", {"prompt": "x", "model": "veo9"}),
    "kie_4o": (
        "/api/v1/gpt4o-image/generate",
        {"prompt": "x", "size": "1:1", "model": "gpt-image-9"},
    ),
    "runware": (
        "/v1",
        [{"taskType": "imageInference", "taskUUID": UUID4, "model": "civitai:1@1"}],
    ),
    "fal_queue": ("/someone/custom-app", {"anything": True}),
    "replicate": ("/v1/models/someone/custom/predictions", {"input": {"a": 1}}),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_validation_can_be_switched_off_for_unlisted_models(
    client: httpx.Client, family: Family
) -> None:
    path, body = SUBMITS[family]
    with FakeProvider(family) as fake:
        assert post(client, fake, path, body).status_code in (400, 404, 422)
        fake.configure(validate_requests=False)
        accepted = post(client, fake, path, body)
        assert accepted.status_code in (200, 201)
        assert len(fake.tasks) == 1


# -- documented states --------------------------------------------------------------
def kie_poll(client: httpx.Client, fake: FakeProvider, task_id: str) -> Any:
    url = f"{fake.base_url}/api/v1/jobs/recordInfo?taskId={task_id}"
    return get(client, fake, url).json()


def test_kie_record_info_is_null_until_visible(client: httpx.Client) -> None:
    body = {"model": "recraft/crisp-upscale", "input": {"image": IMAGE}}
    with FakeProvider("kie_jobs", polls=0, kie_invisible_polls=2) as fake:
        fake.inject("result", status=503)  # waits for the terminal poll
        task_id = post(client, fake, JOBS, body).json()["data"]["taskId"]
        null = {"code": 422, "msg": "recordInfo is null", "data": None}
        assert [kie_poll(client, fake, task_id) for _ in range(2)] == [null, null]
        assert kie_poll(client, fake, task_id)["code"] == 503
        assert kie_poll(client, fake, task_id)["data"]["state"] == "success"
        fake.configure(kie_invisible_polls=0)
        task_id = post(client, fake, JOBS, body).json()["data"]["taskId"]
        assert kie_poll(client, fake, task_id)["data"]["state"] == "success"
        fake.configure(adopt_unknown_tasks=True, kie_invisible_polls=3)
        assert kie_poll(client, fake, "adopted-id")["data"]["state"] == "success"


def runware_poll(client: httpx.Client, fake: FakeProvider) -> Any:
    body = [{"taskType": "getResponse", "taskUUID": UUID4}]
    return post(client, fake, "/v1", body).json()


def test_runware_pending_then_processing_and_both_error_shapes(
    client: httpx.Client,
) -> None:
    task = {
        "taskType": "videoInference",
        "taskUUID": UUID4,
        "model": "bytedance:2@1",
        "positivePrompt": "a fox",
        "deliveryMethod": "async",
    }
    with FakeProvider("runware", polls=2) as fake:
        post(client, fake, "/v1", [task])
        states = [runware_poll(client, fake)["data"][0]["status"] for _ in range(3)]
        assert states == ["pending", "processing", "success"]
        fake.reset()
        fake.configure(outcome="failed", polls=0, runware_error_shape="data")
        post(client, fake, "/v1", [task])
        assert runware_poll(client, fake) == {
            "data": [
                {
                    "taskType": "videoInference",
                    "taskUUID": UUID4,
                    "status": "error",
                    "error": {
                        "code": "timeoutProvider",
                        "message": "the fake was told to fail this task",
                    },
                }
            ]
        }
        with pytest.raises(ValueError, match="runware_error_shape"):
            fake.configure(runware_error_shape="nested")  # type: ignore[arg-type]


def test_replicate_aborted_is_a_terminal_outcome(client: httpx.Client) -> None:
    path = "/v1/models/black-forest-labs/flux-schnell/predictions"
    with FakeProvider("replicate", polls=1, outcome="aborted") as fake:
        created = post(client, fake, path, {"input": {"prompt": "x"}}).json()
        first = get(client, fake, created["urls"]["get"]).json()
        last = get(client, fake, created["urls"]["get"]).json()
        assert (first["status"], last["status"]) == ("starting", "aborted")
        assert last["output"] is None and last["started_at"] is None
        assert last["completed_at"] is not None
    for family in ("kie_jobs", "kie_veo", "kie_4o", "runware", "fal_queue"):
        with pytest.raises(ValueError, match="aborted"):
            FakeProvider(family, outcome="aborted")


def test_fal_queue_answers(client: httpx.Client) -> None:
    with FakeProvider("fal_queue", polls=1) as fake:
        submitted = post(client, fake, "/fal-ai/lyria2", {"prompt": "rain"})
        body = submitted.json()
        request_id = body["request_id"]
        assert body["status"] == "IN_QUEUE" and body["queue_position"] == 0
        assert submitted.headers["x-fal-request-id"] == request_id
        assert {"status_url", "response_url", "cancel_url"} <= set(body)
        queued = get(client, fake, body["status_url"] + "?logs=1")
        assert queued.status_code == 202 and isinstance(queued.json()["logs"], list)
        assert queued.headers["x-fal-request-id"] == request_id
        done = get(client, fake, body["status_url"] + "?logs=true")
        assert done.status_code == 200 and done.json()["status"] == "COMPLETED"
        assert done.json()["logs"] and "error" not in done.json()
        assert get(client, fake, body["status_url"]).json()["logs"] is None
        result = get(client, fake, body["response_url"])
        assert result.headers["x-fal-request-id"] == request_id
        assert result.json()["audio"]["url"].endswith(".mp3")
        fake.configure(outcome="failed", polls=0, fal_error_status=504)
        failing = post(client, fake, "/fal-ai/lyria2", {"prompt": "rain"}).json()
        final = get(client, fake, failing["status_url"]).json()
        assert final["status"] == "COMPLETED"
        assert final["error"] == "the fake was told to fail this task"
        assert final["error_type"] == "request_timeout"
        assert get(client, fake, failing["response_url"]).status_code == 504


def test_https_fake_serves_tls(tmp_path: Any) -> None:
    trustme = pytest.importorskip("trustme")
    import ssl

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    with FakeProvider("replicate", ssl_context=server) as fake:
        assert fake.base_url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=trusted) as tls_client:
            answer = tls_client.get(
                f"{fake.base_url}/v1/predictions/none",
                headers={"Authorization": f"Bearer {KEY}"},
            )
        assert answer.status_code == 404
        assert json.loads(answer.content)["status"] == 404

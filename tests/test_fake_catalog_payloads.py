"""Every catalog model's `prepare_payload` output, sent the way its model file
sends it, must be accepted by its family's fake, which checks it against the
provider's own published input schema (modelvault/testing/schemas/), not ours.

Two inputs per model: the required fields only, and every field of the model's
SCHEMA set (so a misnamed or mistyped optional field is caught too). A payload
the provider's schema refuses is a real bug for the template/spec owners: it is
listed in REFUSED with the field and the source, as a strict xfail (so the fix
turns it into a failure that asks for the marker to go).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import modelvault
from modelvault.testing import FakeProvider, FakeProviders, fake_providers
from modelvault.testing._schemas import schema_for

IMAGE = "https://example.com/input.png"
MODEL_IDS = [info.id for info in modelvault.list_models()]

# (model id, inputs kind) -> why the provider's published schema refuses it.
# (Empty: seedance-1-0-pro-runware's negative_prompt, refused here, was removed.)
REFUSED: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with fake_providers() as started:
        yield started


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as shared:
        yield shared


def _sample(name: str, prop: Mapping[str, Any]) -> Any:
    """A valid value for one property of a model's SCHEMA."""
    kind = prop.get("type")
    if "enum" in prop:
        options = list(prop["enum"])
        others = [o for o in options if o != prop.get("default")]
        return (others or options)[0]
    if kind == "array":
        return [IMAGE] * max(int(prop.get("minItems", 1)), 1)
    if prop.get("renderer") == "image" or name.endswith(("image", "image_url")):
        return IMAGE
    if kind == "boolean":
        return not prop.get("default", False)
    if kind in ("integer", "number"):
        if "default" in prop:
            return prop["default"]
        return prop.get("minimum", prop.get("maximum", 1))
    if "default" in prop:
        return prop["default"]
    return "a red fox in the snow"


def inputs_for(module: ModuleType, kind: str) -> dict[str, Any]:
    """Required fields only ("required"), or every SCHEMA field ("full")."""
    schema = module.SCHEMA
    names = list(schema["properties"]) if kind == "full" else list(schema["required"])
    return {name: _sample(name, schema["properties"][name]) for name in names}


def send(
    client: httpx.Client, fake: FakeProvider, module: ModuleType, payload: Any
) -> httpx.Response:
    """POST `payload` to the model's endpoint path on `fake`, as its model file
    does (Runware: each task gets a fresh taskUUID)."""
    path = urlsplit(module.MODEL_CONFIG["endpoint"]).path
    body = payload
    if fake.family == "runware":
        body = [{**task, "taskUUID": str(uuid.uuid4())} for task in payload]
    scheme = "Key" if fake.family == "fal_queue" else "Bearer"
    headers = {"Authorization": f"{scheme} {fake.api_key}"}
    return client.post(fake.base_url + path, json=body, headers=headers)


def refusal(fake: FakeProvider, response: httpx.Response) -> Any:
    """The fake's refusal (None when the submit was accepted)."""
    body = response.json()
    if response.status_code not in (200, 201):
        return body
    if fake.family.startswith("kie") and body.get("code") != 200:
        return body
    if fake.family == "runware" and body.get("errors"):
        return body
    return None


def cases() -> list[Any]:
    params = []
    for model_id in MODEL_IDS:
        for kind in ("required", "full"):
            reason = REFUSED.get((model_id, kind))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(
                pytest.param(model_id, kind, id=f"{model_id}-{kind}", marks=marks)
            )
    return params


def test_every_provider_model_has_a_published_schema() -> None:
    for info in modelvault.list_models():
        found = schema_for(info.provider, info.provider_model)  # type: ignore[arg-type]
        assert found is not None, f"no schema file for {info.provider_model}"
        assert found.source_url.startswith("https://")


@pytest.mark.parametrize(("model_id", "kind"), cases())
def test_catalog_payload_is_accepted_by_the_provider_schema(
    fakes: FakeProviders, client: httpx.Client, model_id: str, kind: str
) -> None:
    module = modelvault.get(model_id)
    fake = fakes[module.MODEL_CONFIG["provider"]]
    fake.reset()
    payload = module.prepare_payload(inputs_for(module, kind))
    response = send(client, fake, module, payload)
    assert refusal(fake, response) is None
    assert fake.submit_count == 1 and len(fake.tasks) == 1


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_a_misnamed_field_is_refused(
    fakes: FakeProviders, client: httpx.Client, model_id: str
) -> None:
    """A required field renamed (as a template typo would) never gets through."""
    module = modelvault.get(model_id)
    fake = fakes[module.MODEL_CONFIG["provider"]]
    fake.reset()
    payload = module.prepare_payload(inputs_for(module, "required"))
    target = payload[0] if isinstance(payload, list) else payload
    if isinstance(target.get("input"), dict):
        target = target["input"]
    published = schema_for(fake.family, module.MODEL_CONFIG["provider_model"])
    assert published is not None
    required = _required_fields(published.schema, fake.family)
    field = next(name for name in target if name in required)
    target[field + "_typo"] = target.pop(field)
    response = send(client, fake, module, payload)
    assert refusal(fake, response) is not None
    assert fake.tasks == {}


def _required_fields(schema: Mapping[str, Any], family: str) -> set[str]:
    """The required field names of the part of a schema the payload fills."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = schema["components"]["schemas"][name]
    if family == "kie_jobs":
        schema = schema["properties"]["input"]
    skip = {"model", "taskType", "taskUUID"}
    return {name for name in schema.get("required", []) if name not in skip}

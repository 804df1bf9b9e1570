"""`python -m generator import`: providers' published schemas -> draft specs.

The documents under tests/data/schemas/ are the providers' own, each with a
.source.json saying where it was copied from and how faithfully:

- fal, verbatim OpenAPI documents: playai-tts-v3, seedream-v4-text-to-image,
  happy-horse-reference-to-video;
- fal, RECONSTRUCTED from fal's llms.txt input tables (names, types, defaults,
  ranges, enums are fal's; the document shape is rebuilt): flux-dev, kling-v2-5-...;
- Replicate, verbatim version openapi_schema documents: audio-ldm,
  frames-to-video (both the older Cog layout, enums inline);
- Replicate, a verbatim components.schemas.Input inside a wrapper the researcher
  added (marked "x-modelvault-note" in the file): seedance-1-pro, wan-2-5-i2v.

No real document of the newer Cog layout (enums as allOf/$ref) was found, so
`_replicate_model_object` builds one from seedance-1-pro's real Input: a test
document, marked as such, of the shape Replicate's model API answers.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import REPO_ROOT
from schema_fake import REPLICATE_TOKEN, SchemaServer

from generator.importer import (
    SchemaImportError,
    Target,
    draft_spec,
    load_document,
    parse_target,
)
from generator.spec import SpecError, parse_spec

DATA = Path(__file__).parent / "data" / "schemas"
GAPS = ["name", "group", "cost", "estimated_seconds"]

# (file under tests/data/schemas, import target, provenance in its .source.json)
STORED = [
    ("fal/playai-tts-v3", "fal:fal-ai/playai/tts/v3", "verbatim"),
    (
        "fal/seedream-v4-text-to-image",
        "fal:fal-ai/bytedance/seedream/v4/text-to-image",
        "verbatim",
    ),
    (
        "fal/happy-horse-reference-to-video",
        "fal:alibaba/happy-horse/reference-to-video",
        "verbatim",
    ),
    ("fal/flux-dev", "fal:fal-ai/flux/dev", "reconstructed"),
    (
        "fal/kling-v2-5-turbo-pro-image-to-video",
        "fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
        "reconstructed",
    ),
    ("replicate/audio-ldm", "replicate:haoheliu/audio-ldm", "verbatim"),
    ("replicate/frames-to-video", "replicate:fofr/frames-to-video", "verbatim"),
    (
        "replicate/seedance-1-pro",
        "replicate:bytedance/seedance-1-pro",
        "verbatim-input",
    ),
    ("replicate/wan-2-5-i2v", "replicate:wan-video/wan-2.5-i2v", "verbatim-input"),
]


def _doc(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text("utf-8"))


def _draft(name: str, target: str) -> dict[str, Any]:
    path = DATA / f"{name}.json"
    return draft_spec(
        parse_target(target), load_document(path.read_bytes(), str(path)), str(path)
    )


def _filled(draft: dict[str, Any]) -> dict[str, Any]:
    """What a person does with a draft: fill every gap, empty the list."""
    data = copy.deepcopy(draft)
    data["name"] = "Filled In"
    data["cost"] = {"base": "2.5"}
    data["estimated_seconds"] = 30
    data["gaps"] = []
    return data


def _cli(*args: str, env: dict[str, str] | None = None) -> Result:
    from generator.cli import main

    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


# --- the stored documents -------------------------------------------------------------


def test_the_stored_documents_say_where_they_came_from() -> None:
    for name, _target, status in STORED:
        source = json.loads((DATA / f"{name}.source.json").read_text("utf-8"))
        assert source["status"] == status, name
        assert source["source_url"].startswith("https://"), name
        assert source["retrieved_via"], name
    verbatim = [n for n, _t, s in STORED if s == "verbatim"]
    assert len([n for n in verbatim if n.startswith("fal/")]) >= 3
    # Replicate: two whole documents, two real Input schemas in a wrapper.
    assert len([n for n in verbatim if n.startswith("replicate/")]) == 2
    assert len([n for n, _t, _s in STORED if n.startswith("replicate/")]) >= 3


@pytest.mark.parametrize(
    ("name", "target", "status"), STORED, ids=[s[0] for s in STORED]
)
def test_round_trip_draft_parses_once_its_gaps_are_filled(
    name: str, target: str, status: str
) -> None:
    """import -> draft spec data -> refused only for its gaps -> filled -> parses ->
    model file literals -> the same spec back."""
    from generator.schema import spec_from_literals, to_config, to_schema

    draft = _draft(name, target)
    assert draft["gaps"] == GAPS
    with pytest.raises(SpecError) as refused:
        parse_spec(draft, name)
    assert [p for p, _ in refused.value.problems] == ["gaps"] * len(GAPS)
    assert all("fill it in" in m for _, m in refused.value.problems)
    spec = parse_spec(_filled(draft), name)
    assert spec.provider_model == target.split(":", 1)[1]
    back = spec_from_literals(to_config(spec), to_schema(spec), name)
    assert back == spec.model_copy(update={"record_id": spec.effective_record_id})


def test_round_trip_through_new_and_check(tmp_repo: Path, tmp_path: Path) -> None:
    """The filled drafts become model files the generator checks clean."""
    from conftest import run_generator

    for name, target, _status in STORED:
        spec_file = tmp_path / f"{Path(name).name}.json"
        spec_file.write_text(json.dumps(_filled(_draft(name, target))), "utf-8")
        result = run_generator(["new", "--spec", str(spec_file)], tmp_repo)
        assert result.exit_code == 0, (name, result.output)
    result = run_generator(["check"], tmp_repo)
    assert result.exit_code == 0, result.output


# --- what each real document gives ----------------------------------------------------


def test_fal_seedream_object_input_with_presets_and_sync_mode_constant() -> None:
    draft = _draft(STORED[1][0], STORED[1][1])
    assert list(draft["inputs"]) == [
        "prompt",
        "image_size",
        "num_images",
        "max_images",
        "seed",
        "enable_safety_checker",
    ]  # x-fal-order-properties, sync_mode left out of the inputs
    assert draft["payload_constants"] == {"sync_mode": False}
    size = draft["inputs"]["image_size"]
    assert size["type"] == "object"
    assert size["presets"][-3:] == ["auto", "auto_2K", "auto_4K"]
    assert len(size["presets"]) == 9
    assert size["default"] == {"height": 2048, "width": 2048}
    width = size["fields"]["width"]
    # exclusiveMinimum 0 on an integer is minimum 1
    assert (width["type"], width["minimum"], width["maximum"]) == ("integer", 1, 14142)
    assert width["default"] == 512
    images = draft["inputs"]["num_images"]
    assert (images["minimum"], images["maximum"], images["default"]) == (1, 6, 1)
    prompt = draft["inputs"]["prompt"]
    assert prompt["required"] is True and prompt["renderer"] == "prompt"
    assert draft["group"] == "prompt_to_image"  # fal's category text-to-image
    assert draft["endpoint"] == (
        "https://queue.fal.run/fal-ai/bytedance/seedream/v4/text-to-image"
    )
    assert draft["docs_url"] == (
        "https://fal.ai/models/fal-ai/bytedance/seedream/v4/text-to-image/api"
    )
    assert draft["api_key_env"] == "FAL_KEY"


def test_fal_happy_horse_integer_enum_nullable_seed_and_image_list() -> None:
    draft = _draft(STORED[2][0], STORED[2][1])
    inputs = draft["inputs"]
    assert inputs["duration"]["type"] == "integer"
    assert inputs["duration"]["enum"] == list(range(3, 16))
    assert inputs["duration"]["default"] == 5
    assert inputs["seed"] == {
        "type": "integer",
        "title": "Seed",
        "description": "Random seed for reproducibility (0-2147483647).",
        "required": False,
        "order": 5,
    }  # anyOf [integer, null]: an optional integer
    assert inputs["image_urls"]["type"] == "array"
    assert inputs["image_urls"]["required"] is True
    assert inputs["image_urls"]["renderer"] == "image"
    assert "items" not in inputs["image_urls"]  # strings: the default
    assert draft["image_input_field"] == "image_urls"
    assert draft["group"] == "image_to_video"
    assert draft["id"] == "alibaba-happy-horse-reference-to-video-fal"


def test_fal_playai_text_and_voice() -> None:
    draft = _draft(STORED[0][0], STORED[0][1])
    inputs = draft["inputs"]
    assert inputs["input"]["renderer"] == "prompt"
    assert inputs["input"]["required"] is True
    assert inputs["voice"]["required"] is True
    assert inputs["response_format"]["enum"] == ["url", "bytes"]
    assert inputs["seed"]["minimum"] == 0
    assert draft["group"] == "prompt_to_audio"


def test_replicate_audio_ldm_x_order_and_inline_enum() -> None:
    draft = _draft(STORED[5][0], STORED[5][1])
    assert list(draft["inputs"]) == [
        "text",
        "duration",
        "guidance_scale",
        "random_seed",
        "n_candidates",
    ]  # x-order 0..4, not the document's key order
    duration = draft["inputs"]["duration"]
    assert duration["type"] == "string"
    assert duration["enum"][0] == "2.5" and duration["default"] == "5.0"
    assert duration["title"] == "Duration"  # Replicate titles enums with the raw name
    assert draft["inputs"]["text"]["required"] is True
    assert draft["api_key_env"] == "REPLICATE_API_TOKEN"
    assert draft["endpoint"] == (
        "https://api.replicate.com/v1/models/haoheliu/audio-ldm/predictions"
    )
    assert draft["docs_url"] == "https://replicate.com/haoheliu/audio-ldm/api"


def test_replicate_frames_to_video_has_no_required_input() -> None:
    draft = _draft(STORED[6][0], STORED[6][1])
    inputs = draft["inputs"]
    assert list(inputs) == ["frames_zip", "frames_urls", "fps"]
    assert not any(i["required"] for i in inputs.values())
    assert inputs["fps"] == {
        "type": "number",
        "title": "Fps",
        "description": "Number of frames per second of video",
        "required": False,
        "default": 24,
        "minimum": 1,
        "order": 2,
    }
    assert "renderer" not in inputs["frames_zip"]  # a ZIP file, not an image


def test_replicate_seedance_integer_enum_and_two_images() -> None:
    draft = _draft(STORED[7][0], STORED[7][1])
    inputs = draft["inputs"]
    assert inputs["fps"]["type"] == "integer" and inputs["fps"]["enum"] == [24]
    assert inputs["image"]["renderer"] == "image"
    assert inputs["last_frame_image"]["renderer"] == "image"
    assert inputs["image"]["required"] is False  # nullable, not in required
    assert (inputs["duration"]["minimum"], inputs["duration"]["maximum"]) == (3, 12)
    assert list(inputs)[:3] == ["prompt", "image", "last_frame_image"]


def _replicate_model_object() -> dict[str, Any]:
    """TEST DOCUMENT (constructed): Replicate's model object (`GET /v1/models/
    {owner}/{name}`) around an openapi_schema in the newer Cog layout, enums as
    `allOf: [{$ref}]` components. The fields are seedance-1-pro's real Input."""
    real = _doc("replicate/seedance-1-pro")["components"]["schemas"]["Input"]
    schema = copy.deepcopy(real)
    components: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if "enum" in prop:
            components[name] = {
                "type": prop.pop("type"),
                "title": name,
                "enum": prop.pop("enum"),
                "description": "An enumeration.",
            }
            prop.pop("title", None)
            prop["allOf"] = [{"$ref": f"#/components/schemas/{name}"}]
    return {
        "url": "https://replicate.com/bytedance/seedance-1-pro",
        "owner": "bytedance",
        "name": "seedance-1-pro",
        "latest_version": {
            "id": "f" * 64,
            "openapi_schema": {
                "openapi": "3.0.2",
                "info": {"title": "Cog", "version": "0.1.0"},
                "paths": {},
                "components": {"schemas": {"Input": schema, **components}},
            },
        },
    }


def test_replicate_allof_enums_read_like_inline_ones() -> None:
    target = parse_target("replicate:bytedance/seedance-1-pro")
    from_refs = draft_spec(target, _replicate_model_object(), "model object")
    inline = _draft(STORED[7][0], STORED[7][1])
    assert from_refs["inputs"] == inline["inputs"]
    assert "Replicate version read: " + "f" * 64 in from_refs["notes"]


def test_camel_case_fields_get_snake_names_and_provider_fields() -> None:
    doc = {
        "type": "object",
        "required": ["positivePrompt"],
        "properties": {
            "positivePrompt": {"type": "string"},
            "numberResults": {"type": "integer", "minimum": 1, "maximum": 4},
            "image-url": {"type": "string", "format": "uri"},
        },
    }
    draft = draft_spec(parse_target("fal:acme/edit-image"), doc, "doc")
    inputs = draft["inputs"]
    assert inputs["positive_prompt"]["provider_field"] == "positivePrompt"
    assert inputs["positive_prompt"]["renderer"] == "prompt"
    assert inputs["number_results"]["provider_field"] == "numberResults"
    assert inputs["image_url"]["provider_field"] == "image-url"
    assert inputs["image_url"]["renderer"] == "image"
    assert draft["group"] == "image_editing"  # "edit" in the id
    parse_spec(_filled(draft))


def test_what_a_spec_cannot_express_is_a_gap_and_a_note() -> None:
    doc = {
        "type": "object",
        "properties": {
            "prompt": {"type": "string"},
            "color_palette": {"type": "object", "additionalProperties": True},
            "loras": {"type": "array", "items": {"type": "object"}},
            "mode": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
    }
    draft = draft_spec(parse_target("fal:acme/thing"), doc, "doc")
    assert list(draft["inputs"]) == ["prompt"]
    assert draft["gaps"] == [
        *GAPS,
        "inputs.color_palette",
        "inputs.loras",
        "inputs.mode",
    ]
    assert (
        "color_palette: an object whose fields the schema does not list"
        in (draft["notes"])
    )
    assert "loras: an array of objects" in draft["notes"]
    with pytest.raises(SpecError) as refused:
        parse_spec(draft)
    assert any("inputs.loras" in m for _, m in refused.value.problems)


def test_a_default_the_input_would_refuse_is_left_out() -> None:
    doc = {
        "type": "object",
        "properties": {
            "size": {"type": "string", "enum": ["a", "b"], "default": "c"},
            "steps": {"type": "integer", "maximum": 4, "default": 10},
        },
    }
    draft = draft_spec(parse_target("fal:acme/thing"), doc, "doc")
    assert "default" not in draft["inputs"]["size"]
    assert "default" not in draft["inputs"]["steps"]
    parse_spec(_filled(draft))


# --- the command ----------------------------------------------------------------------


def test_import_writes_a_yaml_draft_that_new_refuses_until_filled(
    tmp_path: Path, tmp_repo: Path
) -> None:
    import yaml
    from conftest import run_generator

    out = tmp_path / "draft.yaml"
    schema = DATA / "fal" / "seedream-v4-text-to-image.json"
    result = _cli(
        "import",
        "fal:fal-ai/bytedance/seedream/v4/text-to-image",
        "--schema",
        str(schema),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "fill in name, group, cost, estimated_seconds" in result.output
    text = out.read_text("utf-8")
    assert text.startswith("# Draft spec imported from fal:")
    data = yaml.safe_load(text)
    assert data["gaps"] == GAPS
    refused = run_generator(["new", "--spec", str(out)], tmp_repo)
    assert refused.exit_code == 1
    assert "gaps: 'cost' could not be read from the provider's schema" in (
        refused.stderr
    )
    out.write_text(yaml.safe_dump(_filled(data), sort_keys=False), "utf-8")
    accepted = run_generator(["new", "--spec", str(out), "--dry-run"], tmp_repo)
    assert accepted.exit_code == 0, accepted.output
    again = _cli("import", "fal:x/y", "--schema", str(schema), "--out", str(out))
    assert again.exit_code == 1
    assert "exists; pass --force" in again.stderr


def test_import_json_to_stdout() -> None:
    schema = DATA / "replicate" / "wan-2-5-i2v.json"
    result = _cli(
        "import",
        "replicate:wan-video/wan-2.5-i2v",
        "--schema",
        str(schema),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inputs"]["duration"]["enum"] == [5, 10]
    assert data["image_input_field"] == "image"


def test_import_fetches_from_the_provider_when_no_schema_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fal_doc = (DATA / "fal" / "playai-tts-v3.json").read_bytes()
    with SchemaServer() as server:
        server.fal["fal-ai/playai/tts/v3"] = fal_doc
        server.replicate["bytedance/seedance-1-pro"] = _doc("replicate/seedance-1-pro")
        server.inject("openapi", 503, retry_after="0")  # retried
        fal = _cli(
            "import",
            "fal:fal-ai/playai/tts/v3",
            "--api-base",
            server.base_url,
            "--format",
            "json",
        )
        assert fal.exit_code == 0, fal.output
        assert json.loads(fal.stdout)["provider_model"] == "fal-ai/playai/tts/v3"
        assert server.requests[-1][0] == (
            "/api/openapi/queue/openapi.json?endpoint_id=fal-ai/playai/tts/v3"
        )
        assert len(server.requests) == 2

        monkeypatch.setenv("MODELVAULT_REPLICATE_API_BASE", server.base_url)
        monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
        no_token = _cli("import", "replicate:bytedance/seedance-1-pro")
        assert no_token.exit_code == 1
        assert "REPLICATE_API_TOKEN is not set" in no_token.stderr

        monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_wrong")
        wrong = _cli("import", "replicate:bytedance/seedance-1-pro")
        assert wrong.exit_code == 1
        assert "refused the request (401)" in wrong.stderr
        assert "r8_wrong" not in wrong.output

        monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE_TOKEN)
        ok = _cli("import", "replicate:bytedance/seedance-1-pro", "--format", "json")
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.stdout)["inputs"]["fps"]["enum"] == [24]
        assert server.requests[-1] == ("/v1/models/bytedance/seedance-1-pro", "Bearer")

        missing = _cli("import", "replicate:bytedance/nothing-here")
        assert missing.exit_code == 1
        assert "was not found" in missing.stderr and "404" in missing.stderr


def test_a_provider_that_keeps_failing_is_named_with_the_url() -> None:
    with SchemaServer() as server:
        server.inject("openapi", 502, times=5, retry_after="0")
        result = _cli("import", "fal:fal-ai/flux/dev", "--api-base", server.base_url)
    assert result.exit_code == 1
    assert "after 3 attempts (HTTP 502)" in result.stderr
    assert f"{server.base_url}/api/openapi/queue/openapi.json" in result.stderr


# --- bad input ------------------------------------------------------------------------

_FIX = "give the provider's own input schema"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"# a README\n", "not JSON (line 1, column 1"),
        (b"", "empty"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
        (b"[1, 2]", "a JSON list, not an OpenAPI document or JSON Schema object"),
        (b'{"name": "x"}', "neither an OpenAPI document"),
        (b'{"name": "x", "latest_version": null}', "without a latest_version"),
        (
            b'{"openapi": "3.0.4", "paths": {"/x": {"get": {}}}}',
            "an OpenAPI document without an input object",
        ),
        (
            b'{"type": "object", "properties": {}}',
            "the input object has no properties",
        ),
        (
            b'{"openapi": "3.0.4", "paths": {"/x": {"post": {"requestBody": '
            b'{"content": {"application/json": {"schema": '
            b'{"$ref": "#/components/schemas/In"}}}}}}}}',
            "$ref '#/components/schemas/In' does not resolve",
        ),
        (
            b'{"$ref": "#/components/schemas/A", "components": {"schemas": {'
            b'"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/'
            b'schemas/A"}}}}',
            "(a cycle?)",
        ),
        (
            b'{"type": "object", "properties": {"a": {"$ref": "other.json#/A"}}}',
            "points outside the document",
        ),
    ],
    ids=[
        "text",
        "empty",
        "binary",
        "list",
        "plain-json",
        "replicate-no-version",
        "no-post",
        "no-properties",
        "dangling-ref",
        "ref-cycle",
        "remote-ref",
    ],
)
def test_bad_documents_are_refused_with_the_path_and_the_fix(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "schema.json"
    path.write_bytes(content)
    result = _cli("import", "fal:fal-ai/flux/dev", "--schema", str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {path}: "), result.stderr
    assert expected in result.stderr
    if expected not in (
        "(a cycle?)",
        "points outside the document",
        "without a latest_version",
    ):
        assert _FIX in result.stderr or "no properties" in result.stderr


def test_another_endpoints_document_is_refused(tmp_path: Path) -> None:
    schema = DATA / "fal" / "playai-tts-v3.json"
    result = _cli("import", "fal:fal-ai/flux/dev", "--schema", str(schema))
    assert result.exit_code == 1
    assert (
        "fal's OpenAPI document for 'fal-ai/playai/tts/v3', not 'fal-ai/flux/dev'"
        in (result.stderr)
    )


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("flux-dev", "write fal:<endpoint id>"),
        ("runware:flux", "write fal:<endpoint id>"),
        ("fal:flux", "is not a fal endpoint id"),
        ("replicate:Owner/Name:abc", "is not a Replicate model"),
    ],
)
def test_bad_targets_say_the_form(target: str, expected: str) -> None:
    result = _cli("import", target, "--schema", str(DATA / "fal" / "flux-dev.json"))
    assert result.exit_code == 1
    assert expected in result.stderr


def test_missing_schema_file_and_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "import",
            "fal:fal-ai/flux/dev",
            "--schema",
            str(tmp_path / "nope.json"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "nope.json: no such schema file" in done.stderr
    assert "Traceback" not in done.stderr


def test_parse_target_and_errors_are_plain() -> None:
    assert parse_target("fal:fal-ai/flux/dev") == Target("fal", "fal-ai/flux/dev")
    assert str(parse_target("replicate:a/b")) == "replicate:a/b"
    with pytest.raises(SchemaImportError):
        parse_target("fal:")

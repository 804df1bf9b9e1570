"""Prices and inputs as providers define them: each pricing form against
hand-worked figures, each input form against hand-written good and bad inputs,
in a model file rendered from a spec (the code that runs in production), and
each bad spec refused with its field path and the fix."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO_ROOT, import_file, minimal_spec_dict, ruff

from generator.render import render_model_file
from generator.schema import spec_from_literals, to_config, to_schema
from generator.spec import SpecError, parse_spec


def _model(tmp_path: Path, **changes: Any) -> ModuleType:
    data = minimal_spec_dict("fal_queue", "forms-test")
    data.update(changes)
    spec = parse_spec(data)
    # under a models/ folder beside the project's pyproject (its lint rules)
    folder = tmp_path / "models" / "prompt_to_image"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = folder / f"forms_test_{len(list(folder.glob('*.py')))}.py"
    path.write_bytes(render_model_file(spec))
    # lossless: the file's literals give back a spec that renders the same bytes
    again = spec_from_literals(to_config(spec), to_schema(spec))
    assert render_model_file(again) == render_model_file(spec)
    lint = ruff("check", "--no-cache", str(path), cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout
    fmt = ruff("format", "--no-cache", "--check", str(path), cwd=tmp_path)
    assert fmt.returncode == 0, fmt.stdout
    return import_file(path)


PROMPT = {"type": "string", "title": "Prompt", "required": True}


def test_per_second_from_a_duration_enum(tmp_path: Path) -> None:
    # Veo 3.1 on fal: $0.20/s without audio, $0.40/s with: 20 or 40 credits/s.
    model = _model(
        tmp_path,
        inputs={
            "prompt": PROMPT,
            "duration": {
                "type": "string",
                "title": "Duration",
                "enum": ["4s", "6s", "8s"],
                "default": "8s",
            },
            "generate_audio": {"type": "boolean", "title": "Audio", "default": True},
        },
        cost={
            "base": "20",
            "multipliers": {"generate_audio": {"false": "1", "true": "2"}},
            "per_second": "duration",
        },
    )
    assert model.calculate_cost({"prompt": "x"}) == Decimal("320.00")  # 20x2x8
    assert model.calculate_cost(
        {"prompt": "x", "duration": "4s", "generate_audio": False}
    ) == Decimal("80.00")
    steps = model.explain_cost({"prompt": "x", "duration": "6s"})
    assert steps == [
        ("base price", "20"),
        ("x 2 for generate_audio true", "40"),
        ("x 6 seconds (duration)", "240"),
        ("rounded half-up to 0.01", "240.00"),
    ]


def test_per_thousand_characters_rounded_up_and_exact(tmp_path: Path) -> None:
    text = {"type": "string", "title": "Text", "required": True}
    up = _model(
        tmp_path,
        inputs={"text": text},
        cost={
            "base": "5",
            "per_characters": {"input": "text", "per": 1000, "round": "up"},
        },
    )
    assert up.calculate_cost({"text": "a" * 1000}) == Decimal("5.00")
    assert up.calculate_cost({"text": "a" * 1001}) == Decimal("10.00")  # 2 blocks
    exact = _model(
        tmp_path,
        inputs={"text": text},
        cost={"base": "5", "per_characters": {"input": "text", "per": 1000}},
    )
    assert exact.calculate_cost({"text": "a" * 1001}) == Decimal("5.01")  # 5.005
    assert exact.calculate_cost({"text": "é" * 300}) == Decimal("1.50")


def test_per_megapixel_from_presets_and_objects(tmp_path: Path) -> None:
    # FLUX.1 dev on fal: $0.025 per megapixel, rounded up per image: 2.5 credits.
    model = _model(
        tmp_path,
        inputs={
            "prompt": PROMPT,
            "image_size": {
                "type": "object",
                "title": "Image size",
                "presets": ["square_hd", "landscape_4_3"],
                "default": "landscape_4_3",
                "fields": {
                    "width": {
                        "type": "integer",
                        "title": "Width",
                        "minimum": 64,
                        "maximum": 2048,
                        "multiple_of": 16,
                        "required": True,
                    },
                    "height": {
                        "type": "integer",
                        "title": "Height",
                        "minimum": 64,
                        "maximum": 2048,
                        "multiple_of": 16,
                        "required": True,
                    },
                },
            },
            "num_images": {"type": "integer", "title": "Images", "default": 1},
        },
        cost={
            "base": "2.5",
            "per_unit": ["num_images"],
            "per_megapixel": {
                "input": "image_size",
                "sizes": {"square_hd": [1024, 1024], "landscape_4_3": [1024, 768]},
                "round": "up",
            },
        },
        constraints=[
            {
                "rule": "max_product",
                "fields": ["image_size.width", "image_size.height"],
                "max": 2_097_152,
            }
        ],
    )
    # 1024x768 = 0.786432 MP -> 1 -> 2.5; square_hd 1.048576 -> 2 -> 5.0; x2 images
    assert model.calculate_cost({"prompt": "x"}) == Decimal("2.50")
    assert model.calculate_cost(
        {"prompt": "x", "image_size": "square_hd", "num_images": 2}
    ) == Decimal("10.00")
    size = {"width": 1600, "height": 1200}  # 1.92 MP -> 2
    assert model.calculate_cost({"prompt": "x", "image_size": size}) == Decimal("5.00")
    with pytest.raises(model.InputValidationError) as caught:
        model.validate({"prompt": "x", "image_size": {"width": 2048, "height": 1100}})
    assert caught.value.errors == {
        "image_size.height": "must be a multiple of 16, got 1100",
    }
    with pytest.raises(model.InputValidationError) as caught:
        model.validate({"prompt": "x", "image_size": {"width": 2048, "height": 2048}})
    (rule,) = caught.value.errors.items()
    assert rule[0] == "image_size.width, image_size.height"
    assert "4194304 is above the limit 2097152" in rule[1]
    with pytest.raises(model.InputValidationError) as caught:
        model.validate(
            {"prompt": "x", "image_size": {"width": 8, "depth": 3}},
        )
    assert caught.value.errors == {
        "image_size.depth": "unknown field; it takes: width, height",
        "image_size.width": "must be at least 64, got 8",
        "image_size.height": "is required",
    }
    with pytest.raises(model.InputValidationError, match="not a preset"):
        model.validate({"prompt": "x", "image_size": "portrait_huge"})


def test_width_and_height_inputs_priced_exactly(tmp_path: Path) -> None:
    dim = {"type": "integer", "title": "Side", "default": 1000, "multiple_of": 8}
    model = _model(
        tmp_path,
        inputs={"prompt": PROMPT, "width": dim, "height": dim},
        cost={"base": "1.2", "per_megapixel": {"width": "width", "height": "height"}},
    )
    assert model.calculate_cost({"prompt": "x"}) == Decimal("1.20")
    # 1504 x 1000 = 1.504 MP x 1.2 = 1.8048 -> 1.80
    assert model.calculate_cost({"prompt": "x", "width": 1504}) == Decimal("1.80")


def test_a_price_table_replaces_the_base(tmp_path: Path) -> None:
    # A price list that is not multiplicative: 720p 5s 30, 10s 55; 1080p 5s 70, 10s 130.
    model = _model(
        tmp_path,
        inputs={
            "prompt": PROMPT,
            "resolution": {
                "type": "string",
                "title": "Res",
                "enum": ["720p", "1080p"],
                "default": "720p",
            },
            "duration": {
                "type": "integer",
                "title": "Secs",
                "enum": [5, 10],
                "default": 5,
            },
        },
        cost={
            "base": "0",
            "table": {
                "inputs": ["resolution", "duration"],
                "prices": {
                    "720p|5": "30",
                    "720p|10": "55",
                    "1080p|5": "70",
                    "1080p|10": "130",
                },
            },
        },
    )
    assert model.calculate_cost({"prompt": "x"}) == Decimal("30.00")
    assert model.calculate_cost(
        {"prompt": "x", "resolution": "1080p", "duration": 10}
    ) == Decimal("130.00")
    assert model.explain_cost({"prompt": "x", "duration": 10.0})[0] == (
        "price for resolution 720p, duration 10",
        "55",
    )
    with pytest.raises(model.InputValidationError, match="choose one of: 5, 10"):
        model.validate({"prompt": "x", "duration": 7})


def test_several_image_inputs_and_at_least_one_of(tmp_path: Path) -> None:
    model = _model(
        tmp_path,
        inputs={
            "prompt": {"type": "string", "title": "Prompt"},
            "images": {
                "type": "array",
                "title": "Images",
                "renderer": "image",
                "min_items": 1,
                "max_items": 5,
                "provider_field": "filesUrl",
            },
            "mask": {
                "type": "string",
                "title": "Mask",
                "renderer": "image",
                "provider_field": "maskUrl",
            },
            "variants": {
                "type": "integer",
                "title": "Variants",
                "enum": [1, 2, 4],
                "default": 1,
            },
        },
        cost={
            "base": "3",
            "multipliers": {"variants": {"1": "1", "2": "1.8", "4": "3.2"}},
        },
        constraints=[{"rule": "at_least_one", "fields": ["prompt", "images"]}],
    )
    with pytest.raises(model.InputValidationError) as caught:
        model.validate({})
    assert caught.value.errors == {
        "prompt, images": "give at least one of prompt or images"
    }
    urls = [f"https://example.com/{n}.png" for n in range(6)]
    with pytest.raises(model.InputValidationError) as caught:
        model.validate({"images": urls, "mask": "file:///etc/passwd", "variants": 3})
    assert set(caught.value.errors) == {"images", "mask", "variants"}
    payload = model.prepare_payload(
        {"images": urls[:2], "mask": urls[5], "variants": 4.0}
    )
    assert payload["filesUrl"] == urls[:2] and payload["maskUrl"] == urls[5]
    assert payload["variants"] == 4
    assert model.calculate_cost({"images": urls[:1], "variants": 4}) == Decimal("9.60")


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        (
            {"cost": {"base": "1", "per_second": "nope"}},
            "cost.per_second",
            "no input named 'nope'",
        ),
        (
            {
                "cost": {
                    "base": "1",
                    "table": {
                        "inputs": ["size"],
                        "prices": {"small": "1", "huge": "2"},
                    },
                }
            },
            "cost.table.prices",
            "['huge'] are not combinations",
        ),
        (
            {
                "cost": {
                    "base": "1",
                    "multipliers": {"size": {"small": "1", "giant": "2"}},
                }
            },
            "cost.multipliers.size",
            "['giant'] are not values of 'size'",
        ),
        (
            {"inputs_extra": {"box": {"type": "object", "title": "Box"}}},
            "inputs.box",
            "an object input needs fields",
        ),
        (
            {"constraints": [{"rule": "at_least_one", "fields": ["prompt", "ghost"]}]},
            "constraints.0.fields",
            "'ghost' is not an input",
        ),
        (
            {"gaps": ["cost"]},
            "gaps",
            "'cost' could not be read from the provider's schema: fill it in",
        ),
    ],
)
def test_bad_specs_are_refused_with_the_path_and_the_fix(
    changes: dict[str, Any], path: str, words: str
) -> None:
    data = minimal_spec_dict("fal_queue", "forms-test")
    extra = changes.pop("inputs_extra", None)
    if extra:
        data["inputs"] = {**data["inputs"], **extra}
    data.update(changes)
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert any(p == path and words in m for p, m in caught.value.problems), (
        caught.value.problems
    )

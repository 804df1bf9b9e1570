"""The committed catalog, model by model: validate, prepare_payload and
calculate_cost against literal expectations worked out by hand from the specs in
catalog-specs/ (never computed by the code under test).

Each model is loaded the way an application loads it: `modelvault.get(id)`, which
checks the lock hash and imports that one file.
"""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

import modelvault

IMG = "https://example.com/in.png"
IMG2 = "https://example.com/last.png"

CATALOG_IDS = {
    "chatgpt-4o-image",
    "chatgpt-4o-image-edit",
    "elevenlabs-tts-multilingual-v2",
    "elevenlabs-tts-turbo-2-5",
    "flux-1-schnell-fal",
    "flux-1-schnell-runware",
    "flux-schnell-replicate",
    "google-veo-3-1-fast",
    "google-veo-3-1-fast-image-to-video",
    "google-veo-3-1-hq",
    "lyria-2-fal",
    "minimax-speech-02-turbo-replicate",
    "recraft-crisp-upscale",
    "recraft-crisp-upscale-fal",
    "recraft-remove-background",
    "seedance-1-0-pro-runware",
    "seedance-v1-lite",
    "seedance-v1-lite-image-to-video",
    "seedance-v1-lite-image-to-video-fal",
}

VOICE_JAMES = "EkK5I93UQWFDigLMpZcX"
VOICE_ARABELLA = "Z3R5wn05IrDiVCyEkUrK"

# Defaults of the two ElevenLabs models (identical on both).
_ELEVENLABS_DEFAULTS: dict[str, Any] = {
    "voice": VOICE_JAMES,
    "stability": 0.5,
    "similarity_boost": 0.75,
    "style": 0,
    "speed": 1,
    "timestamps": False,
}
_VEO_DEFAULTS: dict[str, Any] = {
    "aspect_ratio": "16:9",
    "enable_translation": True,
    "enable_fallback": False,
}
_VEO_PAYLOAD_DEFAULTS: dict[str, Any] = {
    "aspect_ratio": "16:9",
    "enableTranslation": True,
    "enableFallback": False,
}
_RUNWARE_IMAGE_CONSTANTS: dict[str, Any] = {
    "taskType": "imageInference",
    "outputType": "URL",
    "outputFormat": "JPG",
    "includeCost": True,
}
_RUNWARE_VIDEO_CONSTANTS: dict[str, Any] = {
    "taskType": "videoInference",
    "outputType": "URL",
    "outputFormat": "MP4",
    "includeCost": True,
}
# kie 4o Image: size, nVariants and isEnhance defaults (both models).
_GPT4O_DEFAULTS: dict[str, Any] = {"size": "1:1", "n_variants": 1, "is_enhance": False}
_GPT4O_PAYLOAD_DEFAULTS: dict[str, Any] = {
    "size": "1:1",
    "nVariants": 1,
    "isEnhance": False,
}
_MINIMAX_DEFAULTS: dict[str, Any] = {
    "voice_id": "Wise_Woman",
    "emotion": "auto",
    "speed": 1,
    "pitch": 0,
    "volume": 1,
    "language_boost": "None",
    "english_normalization": False,
    "audio_format": "mp3",
    "sample_rate": 32000,
    "bitrate": 128000,
    "channel": "mono",
}


def load(model_id: str) -> ModuleType:
    return modelvault.get(model_id)


# --- the catalog as a whole ------------------------------------------------------


def test_every_registry_entry_loads_under_its_own_id() -> None:
    listed = modelvault.list_models()
    assert {info.id for info in listed} == CATALOG_IDS, (
        "the catalog changed: add the new model's cases to this file"
    )
    for info in listed:
        module = modelvault.get(info.id)
        assert module.MODEL_CONFIG["id"] == info.id
        assert module.MODEL_CONFIG["record_id"] == info.record_id
        assert module.MODEL_CONFIG["provider"] == info.provider


# --- validate: minimal inputs (required fields only) -> defaults applied ---------

VALIDATE_MINIMAL = [
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "Hello there"},
        {"text": "Hello there", **_ELEVENLABS_DEFAULTS},
        id="elevenlabs-tts-multilingual-v2",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5",
        {"text": "Hello there"},
        {"text": "Hello there", **_ELEVENLABS_DEFAULTS},
        id="elevenlabs-tts-turbo-2-5",
    ),
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "a tiger eye"},
        {
            "prompt": "a tiger eye",
            "image_size": "landscape_4_3",
            "num_images": 1,
            "num_inference_steps": 4,
            "output_format": "jpeg",
            "enable_safety_checker": True,
        },
        id="flux-1-schnell-fal",
    ),
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "a red fox"},
        {
            "prompt": "a red fox",
            "width": 1024,
            "height": 1024,
            "number_results": 1,
            "steps": 4,
        },
        id="flux-1-schnell-runware",
    ),
    pytest.param(
        "flux-schnell-replicate",
        {"prompt": "a lighthouse"},
        {
            "prompt": "a lighthouse",
            "aspect_ratio": "1:1",
            "num_outputs": 1,
            "megapixels": "1",
            "num_inference_steps": 4,
            "output_format": "webp",
            "output_quality": 80,
            "go_fast": True,
            "disable_safety_checker": False,
        },
        id="flux-schnell-replicate",
    ),
    pytest.param(
        "google-veo-3-1-fast",
        {"prompt": "a fox in snow"},
        {"prompt": "a fox in snow", **_VEO_DEFAULTS},
        id="google-veo-3-1-fast",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "make it move", "image_urls": [IMG]},
        {"prompt": "make it move", "image_urls": [IMG], **_VEO_DEFAULTS},
        id="google-veo-3-1-fast-image-to-video",
    ),
    pytest.param(
        "google-veo-3-1-hq",
        {"prompt": "a fox in snow"},
        {"prompt": "a fox in snow", **_VEO_DEFAULTS},
        id="google-veo-3-1-hq",
    ),
    pytest.param(
        "lyria-2-fal",
        {"prompt": "calm piano"},
        {"prompt": "calm piano", "negative_prompt": "low quality"},
        id="lyria-2-fal",
    ),
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "Good morning"},
        {"text": "Good morning", **_MINIMAX_DEFAULTS},
        id="minimax-speech-02-turbo-replicate",
    ),
    pytest.param(
        "recraft-crisp-upscale",
        {"image": IMG},
        {"image": IMG},
        id="recraft-crisp-upscale",
    ),
    pytest.param(
        "recraft-crisp-upscale-fal",
        {"image_url": IMG},
        {"image_url": IMG, "enable_safety_checker": True},
        id="recraft-crisp-upscale-fal",
    ),
    pytest.param(
        "recraft-remove-background",
        {"image": IMG},
        {"image": IMG},
        id="recraft-remove-background",
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "waves at dusk"},
        {
            "prompt": "waves at dusk",
            "duration": 5,
            "width": 1920,
            "height": 1088,
            "number_results": 1,
        },
        id="seedance-1-0-pro-runware",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "waves at dusk"},
        {
            "prompt": "waves at dusk",
            "aspect_ratio": "16:9",
            "resolution": "720p",
            "duration": "5",
            "camera_fixed": False,
            "enable_safety_checker": True,
        },
        id="seedance-v1-lite",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "zoom in", "image_url": IMG},
        {
            "prompt": "zoom in",
            "image_url": IMG,
            "resolution": "720p",
            "duration": "5",
            "camera_fixed": False,
            "enable_safety_checker": True,
        },
        id="seedance-v1-lite-image-to-video",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "zoom in", "image_url": IMG},
        {
            "prompt": "zoom in",
            "image_url": IMG,
            "aspect_ratio": "auto",
            "resolution": "720p",
            "duration": "5",
            "camera_fixed": False,
            "enable_safety_checker": True,
        },
        id="seedance-v1-lite-image-to-video-fal",
    ),
    pytest.param(
        "chatgpt-4o-image",
        {"prompt": "a fox"},
        {"prompt": "a fox", **_GPT4O_DEFAULTS},
        id="chatgpt-4o-image",
    ),
    pytest.param(
        "chatgpt-4o-image-edit",
        {"files_url": [IMG]},
        {"files_url": [IMG], **_GPT4O_DEFAULTS},
        id="chatgpt-4o-image-edit",
    ),
]


def test_validate_tables_cover_the_whole_catalog() -> None:
    for table in (VALIDATE_MINIMAL, PAYLOADS, COSTS, REFUSALS):
        assert {case.values[0] for case in table} == CATALOG_IDS


@pytest.mark.parametrize(("model_id", "inputs", "expected"), VALIDATE_MINIMAL)
def test_validate_applies_defaults(
    model_id: str, inputs: dict[str, Any], expected: dict[str, Any]
) -> None:
    module = load(model_id)
    normalized = module.validate(inputs)
    assert normalized == expected
    # Same keys in the schema's order (x-order), no optional input invented.
    assert list(normalized) == list(expected)
    assert inputs == {k: v for k, v in expected.items() if k in inputs}


VALIDATE_EXPLICIT = [
    pytest.param(
        "elevenlabs-tts-turbo-2-5",
        {
            "text": "Hola",
            "voice": VOICE_ARABELLA,
            "speed": 0.7,
            "language_code": "es",
            "next_text": "Adios",
        },
        {
            "text": "Hola",
            "voice": VOICE_ARABELLA,
            "stability": 0.5,
            "similarity_boost": 0.75,
            "style": 0,
            "speed": 0.7,
            "timestamps": False,
            "next_text": "Adios",
            "language_code": "es",
        },
        id="turbo-optional-fields-kept",
    ),
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "num_images": 2.0, "seed": 7},
        {
            "prompt": "p",
            "image_size": "landscape_4_3",
            "num_images": 2,
            "num_inference_steps": 4,
            "seed": 7,
            "output_format": "jpeg",
            "enable_safety_checker": True,
        },
        id="fal-integral-float-becomes-int",
    ),
    pytest.param(
        "lyria-2-fal",
        {"prompt": "jazz", "negative_prompt": None},
        {"prompt": "jazz", "negative_prompt": "low quality"},
        id="lyria-none-means-default",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p", "image_url": IMG, "end_image_url": IMG2, "seed": -1},
        {
            "prompt": "p",
            "image_url": IMG,
            "resolution": "720p",
            "duration": "5",
            "camera_fixed": False,
            "seed": -1,
            "enable_safety_checker": True,
            "end_image_url": IMG2,
        },
        id="seedance-i2v-order-9-end-image-last",
    ),
]


@pytest.mark.parametrize(("model_id", "inputs", "expected"), VALIDATE_EXPLICIT)
def test_validate_explicit_values(
    model_id: str, inputs: dict[str, Any], expected: dict[str, Any]
) -> None:
    normalized = load(model_id).validate(inputs)
    assert normalized == expected
    assert list(normalized) == list(expected)
    assert [type(v) for v in normalized.values()] == [
        type(v) for v in expected.values()
    ]


# --- validate: refusals -----------------------------------------------------------

REFUSALS = [
    # elevenlabs-tts-multilingual-v2
    pytest.param(
        "elevenlabs-tts-multilingual-v2", {}, {"text"}, id="el-v2-missing-text"
    ),
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "hi", "voice": "Rachel"},
        {"voice"},
        id="el-v2-voice-not-in-enum",
    ),
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "hi", "speed": 1.3, "stability": -0.1},
        {"speed", "stability"},
        id="el-v2-out-of-range-both-named",
    ),
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "x" * 5001},
        {"text"},
        id="el-v2-text-too-long",
    ),
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "hi", "language_code": "en"},
        {"language_code"},
        id="el-v2-language-code-not-an-input",
    ),
    # elevenlabs-tts-turbo-2-5
    pytest.param(
        "elevenlabs-tts-turbo-2-5", {"text": "   "}, {"text"}, id="el-turbo-blank"
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5",
        {"text": "hi", "similarity_boost": 1.01},
        {"similarity_boost"},
        id="el-turbo-above-max",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5",
        {"text": "hi", "timestamps": "yes"},
        {"timestamps"},
        id="el-turbo-bool-type",
    ),
    # flux-1-schnell-fal
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "image_size": "huge"},
        {"image_size"},
        id="flux-fal-bad-size",
    ),
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "num_images": 5},
        {"num_images"},
        id="flux-fal-too-many",
    ),
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "num_inference_steps": 13, "output_format": "gif"},
        {"num_inference_steps", "output_format"},
        id="flux-fal-two-fields",
    ),
    # flux-1-schnell-runware
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "p", "width": 1000},
        {"width"},
        id="flux-runware-width-not-multiple-of-64",
    ),
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "p", "number_results": 21},
        {"number_results"},
        id="flux-runware-too-many",
    ),
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "p", "seed": 0},
        {"seed"},
        id="flux-runware-seed-below-1",
    ),
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "x" * 2001},
        {"prompt"},
        id="flux-runware-prompt-too-long",
    ),
    # flux-schnell-replicate
    pytest.param(
        "flux-schnell-replicate",
        {"prompt": "p", "aspect_ratio": "7:3"},
        {"aspect_ratio"},
        id="flux-replicate-bad-aspect",
    ),
    pytest.param(
        "flux-schnell-replicate",
        {"prompt": "p", "num_inference_steps": 5},
        {"num_inference_steps"},
        id="flux-replicate-steps-above-4",
    ),
    pytest.param(
        "flux-schnell-replicate",
        {"prompt": "p", "megapixels": 1},
        {"megapixels"},
        id="flux-replicate-megapixels-is-a-string",
    ),
    # google-veo-3-1-fast
    pytest.param(
        "google-veo-3-1-fast",
        {"prompt": "p", "aspect_ratio": "4:3"},
        {"aspect_ratio"},
        id="veo-fast-bad-aspect",
    ),
    pytest.param(
        "google-veo-3-1-fast",
        {"prompt": "p", "seed": 9999},
        {"seed"},
        id="veo-fast-seed-below-10000",
    ),
    pytest.param(
        "google-veo-3-1-fast",
        {"prompt": "p", "image_urls": [IMG]},
        {"image_urls"},
        id="veo-fast-text-only",
    ),
    # google-veo-3-1-fast-image-to-video
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "p"},
        {"image_urls"},
        id="veo-i2v-missing-images",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "p", "image_urls": []},
        {"image_urls"},
        id="veo-i2v-empty-images",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2, IMG]},
        {"image_urls"},
        id="veo-i2v-three-images",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "p", "image_urls": ["file:///etc/passwd"]},
        {"image_urls"},
        id="veo-i2v-not-http",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "p", "image_urls": IMG},
        {"image_urls"},
        id="veo-i2v-string-not-list",
    ),
    # google-veo-3-1-hq
    pytest.param(
        "google-veo-3-1-hq",
        {"prompt": "p", "seed": 100000},
        {"seed"},
        id="veo-hq-seed-above-99999",
    ),
    pytest.param("google-veo-3-1-hq", {"prompt": ""}, {"prompt"}, id="veo-hq-empty"),
    # lyria-2-fal
    pytest.param("lyria-2-fal", {}, {"prompt"}, id="lyria-missing-prompt"),
    pytest.param(
        "lyria-2-fal", {"prompt": "p", "seed": "42"}, {"seed"}, id="lyria-seed-type"
    ),
    pytest.param(
        "lyria-2-fal",
        {"prompt": "p", "duration": 30},
        {"duration"},
        id="lyria-unknown-field",
    ),
    # minimax-speech-02-turbo-replicate
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "hi", "emotion": "bored"},
        {"emotion"},
        id="minimax-bad-emotion",
    ),
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "hi", "pitch": 13},
        {"pitch"},
        id="minimax-pitch-above-12",
    ),
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "hi", "sample_rate": 48000, "pitch": 0.5},
        {"sample_rate", "pitch"},
        id="minimax-sample-rate-and-fractional-pitch",
    ),
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "x" * 10001},
        {"text"},
        id="minimax-text-too-long",
    ),
    # recraft-crisp-upscale
    pytest.param("recraft-crisp-upscale", {}, {"image"}, id="crisp-missing-image"),
    pytest.param(
        "recraft-crisp-upscale",
        {"image": "not a url"},
        {"image"},
        id="crisp-not-a-url",
    ),
    # recraft-crisp-upscale-fal
    pytest.param(
        "recraft-crisp-upscale-fal",
        {"image_url": "ftp://example.com/a.png"},
        {"image_url"},
        id="crisp-fal-ftp",
    ),
    pytest.param(
        "recraft-crisp-upscale-fal",
        {"image": IMG},
        {"image", "image_url"},
        id="crisp-fal-wrong-field-name",
    ),
    # recraft-remove-background
    pytest.param(
        "recraft-remove-background",
        {"image": "https://"},
        {"image"},
        id="remove-bg-no-host",
    ),
    pytest.param(
        "recraft-remove-background", {}, {"image"}, id="remove-bg-missing-image"
    ),
    # seedance-1-0-pro-runware
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "p", "duration": 7},
        {"duration"},
        id="seedance-runware-duration-7",
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "p", "duration": "5"},
        {"duration"},
        id="seedance-runware-duration-is-an-int",
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "p", "number_results": 0, "seed": -1},
        {"number_results", "seed"},
        id="seedance-runware-below-minimums",
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "p", "width": 1024},
        {"width"},
        id="seedance-runware-width-not-1080p",
    ),
    # seedance-v1-lite
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "aspect_ratio": "21:9"},
        {"aspect_ratio"},
        id="seedance-lite-21-9-not-offered",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "duration": 10},
        {"duration"},
        id="seedance-lite-duration-is-a-string",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "seed": 2147483648},
        {"seed"},
        id="seedance-lite-seed-above-int32",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "resolution": "4k"},
        {"resolution"},
        id="seedance-lite-4k",
    ),
    # seedance-v1-lite-image-to-video
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p"},
        {"image_url"},
        id="seedance-i2v-missing-image",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p", "image_url": IMG, "end_image_url": "last.png"},
        {"end_image_url"},
        id="seedance-i2v-relative-end-image",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p", "image_url": IMG, "aspect_ratio": "16:9"},
        {"aspect_ratio"},
        id="seedance-i2v-no-aspect-ratio-input",
    ),
    # seedance-v1-lite-image-to-video-fal
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "13"},
        {"duration"},
        id="seedance-fal-duration-13",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "seed": -2},
        {"seed"},
        id="seedance-fal-seed-below-minus-1",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"image_url": IMG, "camera_fixed": 1},
        {"prompt", "camera_fixed"},
        id="seedance-fal-missing-prompt-and-int-bool",
    ),
    # chatgpt-4o-image / chatgpt-4o-image-edit (kie 4o Image)
    pytest.param(
        "chatgpt-4o-image",
        {"size": "16:9", "n_variants": 3},
        {"prompt", "size", "n_variants"},
        id="gpt4o-no-prompt-size-16-9-three-variants",
    ),
    pytest.param(
        "chatgpt-4o-image-edit",
        {"prompt": "a hat", "mask_url": "mask.png"},
        {"files_url", "mask_url"},
        id="gpt4o-edit-no-images-mask-not-a-url",
    ),
    pytest.param(
        "chatgpt-4o-image-edit",
        {"files_url": [IMG] * 6},
        {"files_url"},
        id="gpt4o-edit-six-images",
    ),
]


@pytest.mark.parametrize(("model_id", "inputs", "bad_fields"), REFUSALS)
def test_validate_refuses_naming_every_bad_field(
    model_id: str, inputs: dict[str, Any], bad_fields: set[str]
) -> None:
    module = load(model_id)
    with pytest.raises(module.InputValidationError) as excinfo:
        module.validate(inputs)
    assert set(excinfo.value.errors) == bad_fields
    for field in bad_fields:
        assert field in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)
    # prepare_payload and calculate_cost validate first, so they refuse too.
    with pytest.raises(module.InputValidationError):
        module.prepare_payload(inputs)
    with pytest.raises(module.InputValidationError):
        module.calculate_cost(inputs)


def test_missing_required_field_message_says_required() -> None:
    module = load("lyria-2-fal")
    with pytest.raises(module.InputValidationError) as excinfo:
        module.validate({})
    assert excinfo.value.errors == {"prompt": "is required"}


def test_validate_refuses_a_non_mapping() -> None:
    module = load("google-veo-3-1-fast")
    with pytest.raises(module.InputValidationError) as excinfo:
        module.validate(["prompt"])
    assert set(excinfo.value.errors) == {"inputs"}


# --- prepare_payload: the exact provider request body ------------------------------

PAYLOADS = [
    # kie_jobs: {"model": provider_model, "input": {...}}
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "Hello there"},
        {
            "model": "elevenlabs/text-to-speech-multilingual-v2",
            "input": {"text": "Hello there", **_ELEVENLABS_DEFAULTS},
        },
        id="elevenlabs-tts-multilingual-v2",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5",
        {"text": "Hi", "voice": VOICE_ARABELLA, "language_code": "de"},
        {
            "model": "elevenlabs/text-to-speech-turbo-2-5",
            "input": {
                "text": "Hi",
                "voice": VOICE_ARABELLA,
                "stability": 0.5,
                "similarity_boost": 0.75,
                "style": 0,
                "speed": 1,
                "timestamps": False,
                "language_code": "de",
            },
        },
        id="elevenlabs-tts-turbo-2-5",
    ),
    pytest.param(
        "recraft-crisp-upscale",
        {"image": IMG},
        {"model": "recraft/crisp-upscale", "input": {"image": IMG}},
        id="recraft-crisp-upscale",
    ),
    pytest.param(
        "recraft-remove-background",
        {"image": IMG},
        {"model": "recraft/remove-background", "input": {"image": IMG}},
        id="recraft-remove-background",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "waves", "resolution": "1080p", "duration": "10", "seed": 42},
        {
            "model": "bytedance/v1-lite-text-to-video",
            "input": {
                "prompt": "waves",
                "aspect_ratio": "16:9",
                "resolution": "1080p",
                "duration": "10",
                "camera_fixed": False,
                "seed": 42,
                "enable_safety_checker": True,
            },
        },
        id="seedance-v1-lite",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "zoom in", "image_url": IMG, "end_image_url": IMG2},
        {
            "model": "bytedance/v1-lite-image-to-video",
            "input": {
                "prompt": "zoom in",
                "image_url": IMG,
                "resolution": "720p",
                "duration": "5",
                "camera_fixed": False,
                "enable_safety_checker": True,
                "end_image_url": IMG2,
            },
        },
        id="seedance-v1-lite-image-to-video",
    ),
    # kie_veo: flat {"model": ..., fields (renamed)..., payload_constants...}
    pytest.param(
        "google-veo-3-1-fast",
        {"prompt": "a fox in snow"},
        {
            "model": "veo3_fast",
            "prompt": "a fox in snow",
            **_VEO_PAYLOAD_DEFAULTS,
            "generationType": "TEXT_2_VIDEO",
        },
        id="google-veo-3-1-fast",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {
            "prompt": "make it move",
            "image_urls": [IMG, IMG2],
            "seed": 12345,
            "watermark": "MyBrand",
        },
        {
            "model": "veo3_fast",
            "prompt": "make it move",
            "imageUrls": [IMG, IMG2],
            "aspect_ratio": "16:9",
            "seeds": 12345,
            "watermark": "MyBrand",
            "enableTranslation": True,
            "enableFallback": False,
            "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
        },
        id="google-veo-3-1-fast-image-to-video",
    ),
    pytest.param(
        "google-veo-3-1-hq",
        {"prompt": "p", "aspect_ratio": "9:16", "enable_fallback": True},
        {
            "model": "veo3",
            "prompt": "p",
            "aspect_ratio": "9:16",
            "enableTranslation": True,
            "enableFallback": True,
            "generationType": "TEXT_2_VIDEO",
        },
        id="google-veo-3-1-hq",
    ),
    # runware: [{"model", "deliveryMethod": "async", fields..., constants...}]
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "a red fox", "number_results": 3, "seed": 99},
        [
            {
                "model": "runware:100@1",
                "deliveryMethod": "async",
                "positivePrompt": "a red fox",
                "width": 1024,
                "height": 1024,
                "numberResults": 3,
                "steps": 4,
                "seed": 99,
                **_RUNWARE_IMAGE_CONSTANTS,
            }
        ],
        id="flux-1-schnell-runware",
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "waves", "duration": 10, "seed": 7},
        [
            {
                "model": "bytedance:2@1",
                "deliveryMethod": "async",
                "positivePrompt": "waves",
                "duration": 10,
                "width": 1920,
                "height": 1088,
                "numberResults": 1,
                "seed": 7,
                **_RUNWARE_VIDEO_CONSTANTS,
            }
        ],
        id="seedance-1-0-pro-runware",
    ),
    # fal_queue: {fields..., constants...}
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "a tiger eye", "image_size": "square_hd", "seed": 5},
        {
            "prompt": "a tiger eye",
            "image_size": "square_hd",
            "num_images": 1,
            "num_inference_steps": 4,
            "seed": 5,
            "output_format": "jpeg",
            "enable_safety_checker": True,
        },
        id="flux-1-schnell-fal",
    ),
    pytest.param(
        "lyria-2-fal",
        {"prompt": "calm piano", "seed": 3},
        {"prompt": "calm piano", "negative_prompt": "low quality", "seed": 3},
        id="lyria-2-fal",
    ),
    pytest.param(
        "recraft-crisp-upscale-fal",
        {"image_url": IMG, "enable_safety_checker": False},
        {"image_url": IMG, "enable_safety_checker": False},
        id="recraft-crisp-upscale-fal",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "zoom in", "image_url": IMG, "duration": "12"},
        {
            "prompt": "zoom in",
            "image_url": IMG,
            "aspect_ratio": "auto",
            "resolution": "720p",
            "duration": "12",
            "camera_fixed": False,
            "enable_safety_checker": True,
        },
        id="seedance-v1-lite-image-to-video-fal",
    ),
    # replicate: {"input": {fields..., constants...}}
    pytest.param(
        "flux-schnell-replicate",
        {"prompt": "a lighthouse", "num_outputs": 2, "go_fast": False},
        {
            "input": {
                "prompt": "a lighthouse",
                "aspect_ratio": "1:1",
                "num_outputs": 2,
                "megapixels": "1",
                "num_inference_steps": 4,
                "output_format": "webp",
                "output_quality": 80,
                "go_fast": False,
                "disable_safety_checker": False,
            }
        },
        id="flux-schnell-replicate",
    ),
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "Good morning", "emotion": "happy"},
        {"input": {"text": "Good morning", **_MINIMAX_DEFAULTS, "emotion": "happy"}},
        id="minimax-speech-02-turbo-replicate",
    ),
    # kie_4o: a flat body with kie's field names and no model field
    pytest.param(
        "chatgpt-4o-image",
        {"prompt": "a fox", "size": "3:2", "n_variants": 2},
        {"prompt": "a fox", **_GPT4O_PAYLOAD_DEFAULTS, "size": "3:2", "nVariants": 2},
        id="chatgpt-4o-image",
    ),
    pytest.param(
        "chatgpt-4o-image-edit",
        {"files_url": [IMG, IMG2], "prompt": "add a hat", "mask_url": IMG2},
        {
            "filesUrl": [IMG, IMG2],
            "prompt": "add a hat",
            "maskUrl": IMG2,
            **_GPT4O_PAYLOAD_DEFAULTS,
        },
        id="chatgpt-4o-image-edit",
    ),
]


@pytest.mark.parametrize(("model_id", "inputs", "expected"), PAYLOADS)
def test_prepare_payload_is_the_provider_body(
    model_id: str, inputs: dict[str, Any], expected: Any
) -> None:
    payload = load(model_id).prepare_payload(inputs)
    assert payload == expected
    # Plain, JSON-ready containers (no frozen mappings or tuples leak out).
    assert type(payload) is type(expected)
    body = payload[0] if isinstance(payload, list) else payload
    assert type(body) is dict
    assert "taskUUID" not in body


def test_payload_does_not_alias_the_frozen_constants() -> None:
    module = load("flux-1-schnell-runware")
    first = module.prepare_payload({"prompt": "p"})
    first[0]["taskType"] = "changed"
    second = module.prepare_payload({"prompt": "p"})
    assert second[0]["taskType"] == "imageInference"


# --- calculate_cost: Decimal credits, half-up to 2 decimals ------------------------

COSTS = [
    # flat prices: base only, whatever the inputs
    pytest.param("elevenlabs-tts-multilingual-v2", {"text": "hi"}, "6.00", id="el-v2"),
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "x" * 5000, "voice": VOICE_ARABELLA, "speed": 1.2},
        "6.00",
        id="el-v2-long-text-same-price",
    ),
    pytest.param("elevenlabs-tts-turbo-2-5", {"text": "hi"}, "3.00", id="el-turbo"),
    pytest.param(
        "google-veo-3-1-fast", {"prompt": "p"}, "30.00", id="veo-fast-default"
    ),
    pytest.param(
        "google-veo-3-1-fast",
        {"prompt": "p", "aspect_ratio": "9:16", "seed": 12345},
        "30.00",
        id="veo-fast-portrait",
    ),
    pytest.param(
        "google-veo-3-1-fast-image-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2]},
        "30.00",
        id="veo-i2v",
    ),
    pytest.param("google-veo-3-1-hq", {"prompt": "p"}, "125.00", id="veo-hq"),
    pytest.param("lyria-2-fal", {"prompt": "p"}, "10.00", id="lyria"),
    pytest.param(
        "minimax-speech-02-turbo-replicate", {"text": "hi"}, "6.00", id="minimax"
    ),
    pytest.param("recraft-crisp-upscale", {"image": IMG}, "0.25", id="crisp"),
    pytest.param("recraft-crisp-upscale-fal", {"image_url": IMG}, "0.40", id="c-fal"),
    pytest.param("recraft-remove-background", {"image": IMG}, "0.50", id="rm-bg"),
    # flux-1-schnell-fal: 0.3 x image_size {square_hd: 2, others: 1} x num_images
    pytest.param("flux-1-schnell-fal", {"prompt": "p"}, "0.30", id="flux-fal-default"),
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "image_size": "square_hd", "num_images": 4},
        "2.40",
        id="flux-fal-square-hd-x4",
    ),
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "image_size": "portrait_16_9", "num_images": 3},
        "0.90",
        id="flux-fal-portrait-x3",
    ),
    # flux-1-schnell-runware: 0.3 x number_results
    pytest.param("flux-1-schnell-runware", {"prompt": "p"}, "0.30", id="flux-rw-1"),
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "p", "number_results": 7},
        "2.10",
        id="flux-rw-7",
    ),
    pytest.param(
        "flux-1-schnell-runware",
        {"prompt": "p", "number_results": 20},
        "6.00",
        id="flux-rw-20",
    ),
    # flux-schnell-replicate: 0.3 x num_outputs
    pytest.param("flux-schnell-replicate", {"prompt": "p"}, "0.30", id="flux-rep-1"),
    pytest.param(
        "flux-schnell-replicate",
        {"prompt": "p", "num_outputs": 4, "megapixels": "0.25"},
        "1.20",
        id="flux-rep-4",
    ),
    # seedance-1-0-pro-runware: 48.4 x duration {5: 1, 10: 2} x number_results
    pytest.param(
        "seedance-1-0-pro-runware", {"prompt": "p"}, "48.40", id="sd-rw-default"
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "p", "duration": 10},
        "96.80",
        id="sd-rw-10s",
    ),
    pytest.param(
        "seedance-1-0-pro-runware",
        {"prompt": "p", "duration": 10, "number_results": 3},
        "290.40",
        id="sd-rw-10s-x3",
    ),
    # seedance-v1-lite: 5 x duration {5: 1, 10: 2} x resolution {1, 2.25, 5}
    pytest.param("seedance-v1-lite", {"prompt": "p"}, "11.25", id="sd-lite-default"),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "duration": "10", "resolution": "1080p"},
        "50.00",
        id="sd-lite-10s-1080p",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "duration": "5", "resolution": "480p"},
        "5.00",
        id="sd-lite-5s-480p",
    ),
    pytest.param(
        "seedance-v1-lite",
        {"prompt": "p", "duration": "10", "resolution": "720p"},
        "22.50",
        id="sd-lite-10s-720p",
    ),
    # seedance-v1-lite-image-to-video: the same tariff
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p", "image_url": IMG},
        "11.25",
        id="sd-i2v-default",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p", "image_url": IMG, "duration": "10", "resolution": "480p"},
        "10.00",
        id="sd-i2v-10s-480p",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video",
        {"prompt": "p", "image_url": IMG, "resolution": "1080p"},
        "25.00",
        id="sd-i2v-5s-1080p",
    ),
    # seedance-v1-lite-image-to-video-fal: 18 x resolution x duration (seconds / 5)
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG},
        "18.00",
        id="sd-fal-default",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "1080p", "duration": "12"},
        "102.82",  # 18 x 2.38 x 2.4 = 102.816
        id="sd-fal-1080p-12s",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "480p", "duration": "2"},
        "3.38",  # 18 x 0.47 x 0.4 = 3.384
        id="sd-fal-480p-2s",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "480p", "duration": "3"},
        "5.08",  # 18 x 0.47 x 0.6 = 5.076
        id="sd-fal-480p-3s",
    ),
    pytest.param(
        "seedance-v1-lite-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "1080p", "duration": "7"},
        "59.98",  # 18 x 2.38 x 1.4 = 59.976
        id="sd-fal-1080p-7s",
    ),
    # kie 4o Image: an estimated 3 credits per image, x nVariants
    pytest.param("chatgpt-4o-image", {"prompt": "p"}, "3.00", id="gpt4o-1"),
    pytest.param(
        "chatgpt-4o-image", {"prompt": "p", "n_variants": 4}, "12.00", id="gpt4o-4"
    ),
    pytest.param(
        "chatgpt-4o-image-edit",
        {"files_url": [IMG], "n_variants": 2},
        "6.00",
        id="gpt4o-edit-2",
    ),
]


@pytest.mark.parametrize(("model_id", "inputs", "expected"), COSTS)
def test_calculate_cost(model_id: str, inputs: dict[str, Any], expected: str) -> None:
    credits = load(model_id).calculate_cost(inputs)
    assert isinstance(credits, Decimal)
    assert credits == Decimal(expected)
    # Exactly two decimals, as recorded in the generation's "cost".
    assert str(credits) == expected


def test_cost_is_deterministic_and_ignores_unpriced_inputs() -> None:
    module = load("seedance-v1-lite")
    base = {"prompt": "p", "duration": "10", "resolution": "1080p"}
    assert module.calculate_cost(base) == Decimal("50.00")
    assert module.calculate_cost(
        {**base, "aspect_ratio": "9:21", "seed": 7, "camera_fixed": True}
    ) == Decimal("50.00")

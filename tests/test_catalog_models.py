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
    "elevenlabs-sound-effect-v2",
    "elevenlabs-tts-multilingual-v2",
    "elevenlabs-tts-turbo-2-5",
    "flux-1-kontext-pro-runware",
    "flux-1-schnell-fal",
    "flux-1-schnell-runware",
    "flux-schnell-replicate",
    "google-imagen-4",
    "google-imagen-4-fast",
    "google-veo-3-1-fast",
    "google-veo-3-1-fast-image-to-video",
    "google-veo-3-1-fast-reference-to-video",
    "google-veo-3-1-fast-runware",
    "google-veo-3-1-hq",
    "google-veo-3-1-hq-image-to-video",
    "hailuo-02-standard-image-to-video",
    "ideogram-v3-edit",
    "ideogram-v3-text-to-image",
    "kling-v2-5-turbo-image-to-video",
    "kling-v2-5-turbo-text-to-video",
    "lyria-2-fal",
    "minimax-speech-02-turbo-replicate",
    "qwen3-pro-image-to-image",
    "recraft-crisp-upscale",
    "recraft-crisp-upscale-fal",
    "recraft-remove-background",
    "seedance-1-0-pro-runware",
    "seedance-v1-lite",
    "seedance-v1-lite-image-to-video",
    "seedance-v1-lite-image-to-video-fal",
    "seedream-4-0-runware",
    "topaz-image-upscale",
    "wan-2-5-image-to-video",
    "wan-2-5-text-to-video",
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

# kie market models added on catalog-b: their defaults.
_SFX_DEFAULTS: dict[str, Any] = {
    "duration_seconds": 5,
    "loop": False,
    "prompt_influence": 0.3,
    "output_format": "mp3_44100_128",
}


def load(model_id: str) -> ModuleType:
    return modelvault.get(model_id)


# --- catalog-a models (fal_queue and replicate; issue 13 item 6) -------------------
# Worked out by hand from each spec (prices from its notes; 1 credit = USD 0.01).

IMG3 = "https://example.com/third.png"

CATALOG_A_IDS = {
    "birefnet-v2-fal",
    "elevenlabs-sound-effects-v2-fal",
    "elevenlabs-tts-turbo-2-5-fal",
    "flux-1-1-pro-fal",
    "flux-1-dev-fal",
    "flux-dev-replicate",
    "flux-kontext-max-fal",
    "flux-kontext-max-multi-fal",
    "flux-kontext-pro-fal",
    "hailuo-02-standard-image-to-video-fal",
    "ideogram-upscale-fal",
    "ideogram-v3-fal",
    "imagen-4-replicate",
    "kling-2-5-turbo-pro-image-to-video-fal",
    "mmaudio-v2-fal",
    "seedance-1-pro-fast-fal",
    "seedance-1-pro-replicate",
    "seedream-4-fal",
    "stable-audio-2-5-fal",
    "veo-3-1-image-to-video-fal",
    "wan-2-5-fal",
    "wan-2-5-i2v-replicate",
}

_FLUX_DEV_FAL_TAIL: dict[str, Any] = {
    "num_images": 1,
    "num_inference_steps": 28,
    "guidance_scale": 3.5,
}
_KONTEXT_TAIL: dict[str, Any] = {
    "num_images": 1,
    "guidance_scale": 3.5,
    "safety_tolerance": "2",
    "enhance_prompt": False,
    "output_format": "jpeg",
}
_FLUX_DEV_REPLICATE_DEFAULTS: dict[str, Any] = {
    "aspect_ratio": "1:1",
    "num_outputs": 1,
    "prompt_strength": 0.8,
    "megapixels": "1",
    "num_inference_steps": 28,
    "guidance": 3,
    "output_format": "webp",
    "output_quality": 80,
    "go_fast": True,
    "disable_safety_checker": False,
}
_BIREFNET_DEFAULTS: dict[str, Any] = {
    "model": "General Use (Light)",
    "operating_resolution": "1024x1024",
    "output_format": "png",
    "refine_foreground": True,
    "output_mask": False,
    "mask_only": False,
}
_EL_FAL_DEFAULTS: dict[str, Any] = {
    "voice": "Rachel",
    "stability": 0.5,
    "similarity_boost": 0.75,
    "style": 0,
    "speed": 1,
    "timestamps": False,
}

CATALOG_A_VALIDATE_MINIMAL = [
    pytest.param(
        "birefnet-v2-fal",
        {"image_url": IMG},
        {"image_url": IMG, **_BIREFNET_DEFAULTS},
        id="birefnet-v2-fal",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "a door creaks"},
        {
            "text": "a door creaks",
            "duration_seconds": 5,
            "prompt_influence": 0.3,
            "loop": False,
            "output_format": "mp3_44100_128",
        },
        id="elevenlabs-sound-effects-v2-fal",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "Hello there"},
        {"text": "Hello there", **_EL_FAL_DEFAULTS, "apply_text_normalization": "auto"},
        id="elevenlabs-tts-turbo-2-5-fal",
    ),
    pytest.param(
        "flux-1-1-pro-fal",
        {"prompt": "a lighthouse"},
        {
            "prompt": "a lighthouse",
            "image_size": "landscape_4_3",
            "num_images": 1,
            "safety_tolerance": "2",
            "enhance_prompt": False,
            "output_format": "jpeg",
        },
        id="flux-1-1-pro-fal",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "a tiger eye"},
        {
            "prompt": "a tiger eye",
            "image_size": "landscape_4_3",
            **_FLUX_DEV_FAL_TAIL,
            "output_format": "jpeg",
            "acceleration": "none",
            "enable_safety_checker": True,
        },
        id="flux-1-dev-fal",
    ),
    pytest.param(
        "flux-dev-replicate",
        {"prompt": "a gateau"},
        {"prompt": "a gateau", **_FLUX_DEV_REPLICATE_DEFAULTS},
        id="flux-dev-replicate",
    ),
    pytest.param(
        "flux-kontext-max-fal",
        {"prompt": "make it night", "image_url": IMG},
        {"prompt": "make it night", "image_url": IMG, **_KONTEXT_TAIL},
        id="flux-kontext-max-fal",
    ),
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "put them together", "image_urls": [IMG, IMG2]},
        {"prompt": "put them together", "image_urls": [IMG, IMG2], **_KONTEXT_TAIL},
        id="flux-kontext-max-multi-fal",
    ),
    pytest.param(
        "flux-kontext-pro-fal",
        {"prompt": "add a hat", "image_url": IMG},
        {"prompt": "add a hat", "image_url": IMG, **_KONTEXT_TAIL},
        id="flux-kontext-pro-fal",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "he walks in", "image_url": IMG},
        {
            "prompt": "he walks in",
            "image_url": IMG,
            "duration": "6",
            "resolution": "768P",
            "prompt_optimizer": True,
        },
        id="hailuo-02-standard-image-to-video-fal",
    ),
    pytest.param(
        "ideogram-upscale-fal",
        {"image_url": IMG},
        {
            "image_url": IMG,
            "prompt": "",
            "resemblance": 50,
            "detail": 50,
            "expand_prompt": False,
        },
        id="ideogram-upscale-fal",
    ),
    pytest.param(
        "ideogram-v3-fal",
        {"prompt": "a poster that says HELLO"},
        {
            "prompt": "a poster that says HELLO",
            "image_size": "square_hd",
            "rendering_speed": "BALANCED",
            "num_images": 1,
            "expand_prompt": True,
            "negative_prompt": "",
        },
        id="ideogram-v3-fal",
    ),
    pytest.param(
        "imagen-4-replicate",
        {"prompt": "a red panda"},
        {
            "prompt": "a red panda",
            "aspect_ratio": "1:1",
            "safety_filter_level": "block_only_high",
            "output_format": "jpg",
        },
        id="imagen-4-replicate",
    ),
    pytest.param(
        "kling-2-5-turbo-pro-image-to-video-fal",
        {"prompt": "the bird flies off", "image_url": IMG},
        {
            "prompt": "the bird flies off",
            "image_url": IMG,
            "duration": "5",
            "negative_prompt": "blur, distort, and low quality",
            "cfg_scale": 0.5,
        },
        id="kling-2-5-turbo-pro-image-to-video-fal",
    ),
    pytest.param(
        "mmaudio-v2-fal",
        {"prompt": "rain on a tin roof"},
        {
            "prompt": "rain on a tin roof",
            "duration": 8,
            "negative_prompt": "",
            "num_steps": 25,
            "cfg_strength": 4.5,
            "mask_away_clip": False,
        },
        id="mmaudio-v2-fal",
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "waves at dusk"},
        {
            "prompt": "waves at dusk",
            "aspect_ratio": "16:9",
            "resolution": "1080p",
            "duration": "5",
            "camera_fixed": False,
            "enable_safety_checker": True,
        },
        id="seedance-1-pro-fast-fal",
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "waves at dusk"},
        {
            "prompt": "waves at dusk",
            "duration": 5,
            "resolution": "720p",
            "aspect_ratio": "16:9",
            "fps": 24,
            "camera_fixed": False,
        },
        id="seedance-1-pro-replicate",
    ),
    pytest.param(
        "seedream-4-fal",
        {"prompt": "a menu board"},
        {
            "prompt": "a menu board",
            "image_size": {"width": 2048, "height": 2048},
            "num_images": 1,
            "max_images": 1,
            "enable_safety_checker": True,
        },
        id="seedream-4-fal",
    ),
    pytest.param(
        "stable-audio-2-5-fal",
        {"prompt": "piano arpeggio"},
        {
            "prompt": "piano arpeggio",
            "seconds_total": 190,
            "num_inference_steps": 8,
            "guidance_scale": 1,
        },
        id="stable-audio-2-5-fal",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "make it move", "image_url": IMG},
        {
            "prompt": "make it move",
            "image_url": IMG,
            "duration": "8s",
            "resolution": "720p",
            "generate_audio": True,
            "aspect_ratio": "auto",
            "auto_fix": False,
            "safety_tolerance": "4",
        },
        id="veo-3-1-image-to-video-fal",
    ),
    pytest.param(
        "wan-2-5-fal",
        {"prompt": "a kite over a beach"},
        {
            "prompt": "a kite over a beach",
            "aspect_ratio": "16:9",
            "resolution": "1080p",
            "duration": "5",
            "enable_prompt_expansion": True,
            "enable_safety_checker": True,
        },
        id="wan-2-5-fal",
    ),
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "slow zoom"},
        {
            "image": IMG,
            "prompt": "slow zoom",
            "duration": 5,
            "resolution": "720p",
            "negative_prompt": "",
            "enable_prompt_expansion": True,
        },
        id="wan-2-5-i2v-replicate",
    ),
]

CATALOG_A_VALIDATE_EXPLICIT = [
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 1920.0, "height": 1080}, "seed": 3},
        {
            "prompt": "p",
            "image_size": {"width": 1920, "height": 1080},
            **_FLUX_DEV_FAL_TAIL,
            "seed": 3,
            "output_format": "jpeg",
            "acceleration": "none",
            "enable_safety_checker": True,
        },
        id="flux-dev-fal-size-object-integral-float-width",
    ),
    pytest.param(
        "ideogram-v3-fal",
        {
            "prompt": "p",
            "image_urls": (IMG, IMG2),
            "style": "DESIGN",
            "rendering_speed": "TURBO",
        },
        {
            "prompt": "p",
            "image_size": "square_hd",
            "rendering_speed": "TURBO",
            "num_images": 1,
            "style": "DESIGN",
            "image_urls": [IMG, IMG2],
            "expand_prompt": True,
            "negative_prompt": "",
        },
        id="ideogram-tuple-of-style-images-becomes-list",
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "image": IMG, "last_frame_image": IMG2, "duration": 7.0},
        {
            "prompt": "p",
            "image": IMG,
            "last_frame_image": IMG2,
            "duration": 7,
            "resolution": "720p",
            "aspect_ratio": "16:9",
            "fps": 24,
            "camera_fixed": False,
        },
        id="seedance-replicate-two-frames-integral-float-duration",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 12.25, "loop": True},
        {
            "text": "boom",
            "duration_seconds": 12.25,
            "prompt_influence": 0.3,
            "loop": True,
            "output_format": "mp3_44100_128",
        },
        id="sfx-fractional-duration-kept",
    ),
]

CATALOG_A_REFUSALS = [
    # birefnet-v2-fal
    pytest.param("birefnet-v2-fal", {}, {"image_url"}, id="birefnet-missing-image"),
    pytest.param(
        "birefnet-v2-fal",
        {"image_url": IMG, "model": "General Use (Huge)"},
        {"model"},
        id="birefnet-unknown-weights",
    ),
    pytest.param(
        "birefnet-v2-fal",
        {"image_url": IMG, "operating_resolution": "4096x4096"},
        {"operating_resolution"},
        id="birefnet-resolution-not-offered",
    ),
    # elevenlabs-sound-effects-v2-fal
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 22.5},
        {"duration_seconds"},
        id="sfx-above-22-seconds",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 0.4, "output_format": "mp3"},
        {"duration_seconds", "output_format"},
        id="sfx-too-short-and-bad-format",
    ),
    # elevenlabs-tts-turbo-2-5-fal
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "hi", "speed": 1.3},
        {"speed"},
        id="el-fal-speed-above-1-2",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "   ", "apply_text_normalization": "yes"},
        {"text", "apply_text_normalization"},
        id="el-fal-blank-text-and-bad-normalization",
    ),
    # flux-1-1-pro-fal
    pytest.param(
        "flux-1-1-pro-fal",
        {"prompt": "p", "safety_tolerance": 2},
        {"safety_tolerance"},
        id="flux-pro-tolerance-is-a-string",
    ),
    pytest.param(
        "flux-1-1-pro-fal",
        {"prompt": "p", "num_images": 5, "image_size": "square_xl"},
        {"num_images", "image_size"},
        id="flux-pro-too-many-and-bad-preset",
    ),
    # flux-1-dev-fal
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 1024}},
        {"image_size.height"},
        id="flux-dev-fal-size-without-height",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 0, "height": 14143}},
        {"image_size.width", "image_size.height"},
        id="flux-dev-fal-size-out-of-bounds",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 512, "height": 512, "depth": 3}},
        {"image_size.depth"},
        id="flux-dev-fal-size-unknown-key",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "num_inference_steps": 51, "acceleration": "max"},
        {"num_inference_steps", "acceleration"},
        id="flux-dev-fal-two-fields",
    ),
    # flux-dev-replicate
    pytest.param(
        "flux-dev-replicate",
        {"prompt": "p", "guidance": 11, "megapixels": 1},
        {"guidance", "megapixels"},
        id="flux-dev-rep-guidance-and-megapixels-type",
    ),
    pytest.param(
        "flux-dev-replicate",
        {"prompt": "p", "image": "ftp://example.com/a.png"},
        {"image"},
        id="flux-dev-rep-image-not-http",
    ),
    # flux-kontext-max-fal
    pytest.param(
        "flux-kontext-max-fal",
        {"image_url": IMG, "aspect_ratio": "5:4"},
        {"prompt", "aspect_ratio"},
        id="kontext-max-missing-prompt-bad-aspect",
    ),
    # flux-kontext-max-multi-fal
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "p", "image_urls": []},
        {"image_urls"},
        id="kontext-multi-empty-list",
    ),
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "p", "image_urls": IMG},
        {"image_urls"},
        id="kontext-multi-string-not-list",
    ),
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "p", "image_url": IMG},
        {"image_url", "image_urls"},
        id="kontext-multi-single-image-field-name",
    ),
    # flux-kontext-pro-fal
    pytest.param(
        "flux-kontext-pro-fal", {"prompt": "p"}, {"image_url"}, id="kontext-no-image"
    ),
    pytest.param(
        "flux-kontext-pro-fal",
        {"prompt": "p", "image_url": IMG, "safety_tolerance": "7", "num_images": 0},
        {"safety_tolerance", "num_images"},
        id="kontext-pro-tolerance-7-and-zero-images",
    ),
    # hailuo-02-standard-image-to-video-fal
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "768p"},
        {"resolution"},
        id="hailuo-lower-case-p",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "5", "end_image_url": "x.png"},
        {"duration", "end_image_url"},
        id="hailuo-5s-and-relative-end-image",
    ),
    # ideogram-upscale-fal
    pytest.param(
        "ideogram-upscale-fal",
        {"image_url": IMG, "resemblance": 0},
        {"resemblance"},
        id="upscale-resemblance-0",
    ),
    pytest.param(
        "ideogram-upscale-fal",
        {"image_url": IMG, "detail": 101, "seed": "1"},
        {"detail", "seed"},
        id="upscale-detail-101-and-seed-type",
    ),
    # ideogram-v3-fal
    pytest.param(
        "ideogram-v3-fal",
        {"prompt": "p", "rendering_speed": "FAST"},
        {"rendering_speed"},
        id="ideogram-unknown-speed",
    ),
    pytest.param(
        "ideogram-v3-fal",
        {"prompt": "p", "num_images": 9, "image_urls": ["not-a-url"]},
        {"num_images", "image_urls"},
        id="ideogram-nine-images-and-bad-style-image",
    ),
    pytest.param(
        "ideogram-v3-fal",
        {"prompt": "p", "color_palette": {"name": "EMBER"}},
        {"color_palette"},
        id="ideogram-color-palette-not-exposed",
    ),
    # imagen-4-replicate
    pytest.param(
        "imagen-4-replicate",
        {"prompt": "p", "aspect_ratio": "21:9", "output_format": "webp"},
        {"aspect_ratio", "output_format"},
        id="imagen-bad-aspect-and-format",
    ),
    pytest.param(
        "imagen-4-replicate",
        {"prompt": "p", "num_outputs": 2},
        {"num_outputs"},
        id="imagen-one-image-only",
    ),
    # kling-2-5-turbo-pro-image-to-video-fal
    pytest.param(
        "kling-2-5-turbo-pro-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "7"},
        {"duration"},
        id="kling-7s",
    ),
    pytest.param(
        "kling-2-5-turbo-pro-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "cfg_scale": 1.5, "duration": 5},
        {"cfg_scale", "duration"},
        id="kling-cfg-above-1-and-int-duration",
    ),
    # mmaudio-v2-fal
    pytest.param(
        "mmaudio-v2-fal",
        {"prompt": "p", "duration": 31, "num_steps": 3},
        {"duration", "num_steps"},
        id="mmaudio-31s-and-3-steps",
    ),
    pytest.param("mmaudio-v2-fal", {}, {"prompt"}, id="mmaudio-missing-prompt"),
    # seedance-1-pro-fast-fal
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "p", "duration": "13", "seed": -2},
        {"duration", "seed"},
        id="seedance-fast-13s-and-seed-below-minus-1",
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "p", "num_frames": 100},
        {"num_frames"},
        id="seedance-fast-num-frames-not-exposed",
    ),
    # seedance-1-pro-replicate
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "duration": 2},
        {"duration"},
        id="seedance-rep-2s",
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "fps": 30, "duration": "5"},
        {"fps", "duration"},
        id="seedance-rep-fps-30-and-string-duration",
    ),
    # seedream-4-fal
    pytest.param(
        "seedream-4-fal",
        {"prompt": "p", "image_size": {"width": 512, "height": 2048}},
        {"image_size.width"},
        id="seedream-width-below-1024",
    ),
    pytest.param(
        "seedream-4-fal",
        {"prompt": "p", "image_size": "auto_8K", "max_images": 7},
        {"image_size", "max_images"},
        id="seedream-bad-preset-and-max-images",
    ),
    # stable-audio-2-5-fal
    pytest.param(
        "stable-audio-2-5-fal",
        {"prompt": "p", "seconds_total": 191, "num_inference_steps": 9},
        {"seconds_total", "num_inference_steps"},
        id="stable-audio-191s-and-9-steps",
    ),
    # veo-3-1-image-to-video-fal
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "p"},
        {"image_url"},
        id="veo-fal-missing-image",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": 8, "resolution": "1440p"},
        {"duration", "resolution"},
        id="veo-fal-int-duration-and-1440p",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "10s"},
        {"duration"},
        id="veo-fal-10s",
    ),
    # wan-2-5-fal
    pytest.param(
        "wan-2-5-fal",
        {"prompt": "x" * 801},
        {"prompt"},
        id="wan-fal-prompt-above-800",
    ),
    pytest.param(
        "wan-2-5-fal",
        {"prompt": "p", "negative_prompt": "x" * 501, "duration": "8"},
        {"negative_prompt", "duration"},
        id="wan-fal-negative-above-500-and-8s",
    ),
    # wan-2-5-i2v-replicate
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"prompt": "p"},
        {"image"},
        id="wan-rep-missing-image",
    ),
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "p", "duration": 7, "resolution": "4k"},
        {"duration", "resolution"},
        id="wan-rep-7s-and-4k",
    ),
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "p", "duration": "5"},
        {"duration"},
        id="wan-rep-duration-is-an-int",
    ),
]

CATALOG_A_PAYLOADS = [
    # fal_queue: the validated inputs are the body
    pytest.param(
        "birefnet-v2-fal",
        {"image_url": IMG, "model": "Portrait", "mask_only": True},
        {
            "image_url": IMG,
            **_BIREFNET_DEFAULTS,
            "model": "Portrait",
            "mask_only": True,
        },
        id="birefnet-v2-fal",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "thunder", "duration_seconds": 10},
        {
            "text": "thunder",
            "duration_seconds": 10,
            "prompt_influence": 0.3,
            "loop": False,
            "output_format": "mp3_44100_128",
        },
        id="elevenlabs-sound-effects-v2-fal",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "Hola", "voice": "Aria", "language_code": "es", "previous_text": "Hi"},
        {
            "text": "Hola",
            **_EL_FAL_DEFAULTS,
            "voice": "Aria",
            "language_code": "es",
            "apply_text_normalization": "auto",
            "previous_text": "Hi",
        },
        id="elevenlabs-tts-turbo-2-5-fal",
    ),
    pytest.param(
        "flux-1-1-pro-fal",
        {"prompt": "a lighthouse", "image_size": "square_hd", "enhance_prompt": True},
        {
            "prompt": "a lighthouse",
            "image_size": "square_hd",
            "num_images": 1,
            "safety_tolerance": "2",
            "enhance_prompt": True,
            "output_format": "jpeg",
        },
        id="flux-1-1-pro-fal",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "a fox", "image_size": {"width": 1920, "height": 1080}, "seed": 5},
        {
            "prompt": "a fox",
            "image_size": {"width": 1920, "height": 1080},
            **_FLUX_DEV_FAL_TAIL,
            "seed": 5,
            "output_format": "jpeg",
            "acceleration": "none",
            "enable_safety_checker": True,
        },
        id="flux-1-dev-fal",
    ),
    pytest.param(
        "flux-kontext-max-fal",
        {"prompt": "night", "image_url": IMG, "aspect_ratio": "9:16"},
        {"prompt": "night", "image_url": IMG, "aspect_ratio": "9:16", **_KONTEXT_TAIL},
        id="flux-kontext-max-fal",
    ),
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "combine", "image_urls": [IMG, IMG2, IMG3], "num_images": 2},
        {
            "prompt": "combine",
            "image_urls": [IMG, IMG2, IMG3],
            **_KONTEXT_TAIL,
            "num_images": 2,
        },
        id="flux-kontext-max-multi-fal",
    ),
    pytest.param(
        "flux-kontext-pro-fal",
        {"prompt": "add a hat", "image_url": IMG, "seed": 9},
        {
            "prompt": "add a hat",
            "image_url": IMG,
            "num_images": 1,
            "guidance_scale": 3.5,
            "seed": 9,
            "safety_tolerance": "2",
            "enhance_prompt": False,
            "output_format": "jpeg",
        },
        id="flux-kontext-pro-fal",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "end_image_url": IMG2, "resolution": "512P"},
        {
            "prompt": "p",
            "image_url": IMG,
            "end_image_url": IMG2,
            "duration": "6",
            "resolution": "512P",
            "prompt_optimizer": True,
        },
        id="hailuo-02-standard-image-to-video-fal",
    ),
    pytest.param(
        "ideogram-upscale-fal",
        {"image_url": IMG, "prompt": "sharper", "detail": 80},
        {
            "image_url": IMG,
            "prompt": "sharper",
            "resemblance": 50,
            "detail": 80,
            "expand_prompt": False,
        },
        id="ideogram-upscale-fal",
    ),
    pytest.param(
        "ideogram-v3-fal",
        {
            "prompt": "p",
            "image_size": {"width": 1280, "height": 720},
            "style_codes": ["AB12CD34"],
            "num_images": 2,
        },
        {
            "prompt": "p",
            "image_size": {"width": 1280, "height": 720},
            "rendering_speed": "BALANCED",
            "num_images": 2,
            "style_codes": ["AB12CD34"],
            "expand_prompt": True,
            "negative_prompt": "",
        },
        id="ideogram-v3-fal",
    ),
    pytest.param(
        "kling-2-5-turbo-pro-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "tail_image_url": IMG2, "duration": "10"},
        {
            "prompt": "p",
            "image_url": IMG,
            "tail_image_url": IMG2,
            "duration": "10",
            "negative_prompt": "blur, distort, and low quality",
            "cfg_scale": 0.5,
        },
        id="kling-2-5-turbo-pro-image-to-video-fal",
    ),
    pytest.param(
        "mmaudio-v2-fal",
        {"prompt": "birdsong", "duration": 12.5, "seed": 1},
        {
            "prompt": "birdsong",
            "duration": 12.5,
            "negative_prompt": "",
            "num_steps": 25,
            "cfg_strength": 4.5,
            "mask_away_clip": False,
            "seed": 1,
        },
        id="mmaudio-v2-fal",
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "waves", "resolution": "480p", "duration": "12", "seed": -1},
        {
            "prompt": "waves",
            "aspect_ratio": "16:9",
            "resolution": "480p",
            "duration": "12",
            "camera_fixed": False,
            "seed": -1,
            "enable_safety_checker": True,
        },
        id="seedance-1-pro-fast-fal",
    ),
    pytest.param(
        "seedream-4-fal",
        {"prompt": "p", "image_size": "auto_2K", "num_images": 2, "max_images": 3},
        {
            "prompt": "p",
            "image_size": "auto_2K",
            "num_images": 2,
            "max_images": 3,
            "enable_safety_checker": True,
        },
        id="seedream-4-fal",
    ),
    pytest.param(
        "stable-audio-2-5-fal",
        {"prompt": "lofi beat", "seconds_total": 30},
        {
            "prompt": "lofi beat",
            "seconds_total": 30,
            "num_inference_steps": 8,
            "guidance_scale": 1,
        },
        id="stable-audio-2-5-fal",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {
            "prompt": "p",
            "image_url": IMG,
            "resolution": "4k",
            "generate_audio": False,
            "negative_prompt": "text",
        },
        {
            "prompt": "p",
            "image_url": IMG,
            "duration": "8s",
            "resolution": "4k",
            "generate_audio": False,
            "aspect_ratio": "auto",
            "negative_prompt": "text",
            "auto_fix": False,
            "safety_tolerance": "4",
        },
        id="veo-3-1-image-to-video-fal",
    ),
    pytest.param(
        "wan-2-5-fal",
        {"prompt": "p", "audio_url": "https://example.com/a.mp3", "duration": "10"},
        {
            "prompt": "p",
            "aspect_ratio": "16:9",
            "resolution": "1080p",
            "duration": "10",
            "audio_url": "https://example.com/a.mp3",
            "enable_prompt_expansion": True,
            "enable_safety_checker": True,
        },
        id="wan-2-5-fal",
    ),
    # replicate: {"input": {...}}
    pytest.param(
        "flux-dev-replicate",
        {"prompt": "a gateau", "image": IMG, "num_outputs": 2},
        {
            "input": {
                "prompt": "a gateau",
                **_FLUX_DEV_REPLICATE_DEFAULTS,
                "num_outputs": 2,
                "image": IMG,
            }
        },
        id="flux-dev-replicate",
    ),
    pytest.param(
        "imagen-4-replicate",
        {"prompt": "a red panda", "aspect_ratio": "16:9"},
        {
            "input": {
                "prompt": "a red panda",
                "aspect_ratio": "16:9",
                "safety_filter_level": "block_only_high",
                "output_format": "jpg",
            }
        },
        id="imagen-4-replicate",
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "image": IMG, "resolution": "1080p", "duration": 10},
        {
            "input": {
                "prompt": "p",
                "image": IMG,
                "duration": 10,
                "resolution": "1080p",
                "aspect_ratio": "16:9",
                "fps": 24,
                "camera_fixed": False,
            }
        },
        id="seedance-1-pro-replicate",
    ),
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "zoom", "duration": 10, "seed": 4},
        {
            "input": {
                "image": IMG,
                "prompt": "zoom",
                "duration": 10,
                "resolution": "720p",
                "negative_prompt": "",
                "enable_prompt_expansion": True,
                "seed": 4,
            }
        },
        id="wan-2-5-i2v-replicate",
    ),
]

CATALOG_A_COSTS = [
    # flat prices
    pytest.param("birefnet-v2-fal", {"image_url": IMG}, "0.10", id="birefnet"),
    pytest.param("ideogram-upscale-fal", {"image_url": IMG}, "6.00", id="ig-upscale"),
    pytest.param(
        "imagen-4-replicate",
        {"prompt": "p", "aspect_ratio": "9:16"},
        "4.00",
        id="imagen",
    ),
    pytest.param(
        "stable-audio-2-5-fal",
        {"prompt": "p", "seconds_total": 1},
        "20.00",
        id="stable-audio-any-length",
    ),
    # flux-1-dev-fal: 2.5 x megapixels rounded up per image x num_images
    pytest.param("flux-1-dev-fal", {"prompt": "p"}, "2.50", id="flux-dev-default"),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": "square_hd", "num_images": 4},
        "20.00",  # 1024x1024 = 1.048576 MP -> 2; 2.5 x 2 x 4
        id="flux-dev-square-hd-x4",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": "portrait_16_9"},
        "2.50",  # 576x1024 = 0.589824 MP -> 1
        id="flux-dev-portrait-16-9",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 1920, "height": 1080}, "num_images": 2},
        "15.00",  # 2.0736 MP -> 3; 2.5 x 3 x 2
        id="flux-dev-1080p-object-x2",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 1000, "height": 1000}},
        "2.50",  # exactly 1 MP stays 1
        id="flux-dev-exactly-one-megapixel",
    ),
    pytest.param(
        "flux-1-dev-fal",
        {"prompt": "p", "image_size": {"width": 1001, "height": 1000}},
        "5.00",  # 1.001 MP -> 2
        id="flux-dev-just-over-one-megapixel",
    ),
    # flux-1-1-pro-fal: 4 x megapixels rounded up x num_images
    pytest.param("flux-1-1-pro-fal", {"prompt": "p"}, "4.00", id="flux-pro-default"),
    pytest.param(
        "flux-1-1-pro-fal",
        {"prompt": "p", "image_size": "square_hd"},
        "8.00",
        id="flux-pro-square-hd",
    ),
    pytest.param(
        "flux-1-1-pro-fal",
        {"prompt": "p", "image_size": {"width": 2048, "height": 2048}, "num_images": 2},
        "40.00",  # 4.194304 MP -> 5; 4 x 5 x 2
        id="flux-pro-2k-square-x2",
    ),
    # ideogram-v3-fal: rendering_speed {TURBO 3, BALANCED 6, QUALITY 9} x num_images
    pytest.param("ideogram-v3-fal", {"prompt": "p"}, "6.00", id="ideogram-default"),
    pytest.param(
        "ideogram-v3-fal",
        {"prompt": "p", "rendering_speed": "TURBO", "num_images": 8},
        "24.00",
        id="ideogram-turbo-x8",
    ),
    pytest.param(
        "ideogram-v3-fal",
        {"prompt": "p", "rendering_speed": "QUALITY", "num_images": 2},
        "18.00",
        id="ideogram-quality-x2",
    ),
    # seedream-4-fal: 3 x num_images x max_images (upper bound)
    pytest.param("seedream-4-fal", {"prompt": "p"}, "3.00", id="seedream-default"),
    pytest.param(
        "seedream-4-fal",
        {"prompt": "p", "num_images": 2, "max_images": 3},
        "18.00",
        id="seedream-2x3",
    ),
    pytest.param(
        "seedream-4-fal",
        {"prompt": "p", "num_images": 6, "max_images": 6, "image_size": "auto_4K"},
        "108.00",
        id="seedream-6x6",
    ),
    # flux-dev-replicate: 2.5 x num_outputs
    pytest.param("flux-dev-replicate", {"prompt": "p"}, "2.50", id="flux-dev-rep"),
    pytest.param(
        "flux-dev-replicate",
        {"prompt": "p", "num_outputs": 4, "megapixels": "0.25"},
        "10.00",
        id="flux-dev-rep-x4",
    ),
    # kontext: 4 (pro) or 8 (max, multi) x num_images
    pytest.param(
        "flux-kontext-pro-fal",
        {"prompt": "p", "image_url": IMG},
        "4.00",
        id="kontext-pro",
    ),
    pytest.param(
        "flux-kontext-pro-fal",
        {"prompt": "p", "image_url": IMG, "num_images": 3},
        "12.00",
        id="kontext-pro-x3",
    ),
    pytest.param(
        "flux-kontext-max-fal",
        {"prompt": "p", "image_url": IMG, "num_images": 4},
        "32.00",
        id="kontext-max-x4",
    ),
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "p", "image_urls": [IMG, IMG2, IMG3]},
        "8.00",
        id="kontext-multi-three-sources",
    ),
    pytest.param(
        "flux-kontext-max-multi-fal",
        {"prompt": "p", "image_urls": [IMG], "num_images": 2},
        "16.00",
        id="kontext-multi-x2",
    ),
    # veo-3-1-image-to-video-fal: table (resolution, audio) per second x seconds
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "p", "image_url": IMG},
        "320.00",  # 40 x 8
        id="veo-fal-default",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {
            "prompt": "p",
            "image_url": IMG,
            "duration": "4s",
            "resolution": "1080p",
            "generate_audio": False,
        },
        "80.00",  # 20 x 4
        id="veo-fal-4s-1080p-silent",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "6s", "resolution": "4k"},
        "360.00",  # 60 x 6
        id="veo-fal-6s-4k-audio",
    ),
    pytest.param(
        "veo-3-1-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "4k", "generate_audio": False},
        "320.00",  # 40 x 8
        id="veo-fal-8s-4k-silent",
    ),
    # kling: 7 x seconds
    pytest.param(
        "kling-2-5-turbo-pro-image-to-video-fal",
        {"prompt": "p", "image_url": IMG},
        "35.00",
        id="kling-5s",
    ),
    pytest.param(
        "kling-2-5-turbo-pro-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "10", "tail_image_url": IMG2},
        "70.00",
        id="kling-10s",
    ),
    # seedance-1-pro-fast-fal: {480p 0.972, 720p 2.0592, 1080p 4.896} x seconds
    pytest.param(
        "seedance-1-pro-fast-fal", {"prompt": "p"}, "24.48", id="sd-fast-default"
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "p", "resolution": "480p", "duration": "2"},
        "1.94",  # 1.944
        id="sd-fast-480p-2s",
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "p", "resolution": "720p", "duration": "12"},
        "24.71",  # 24.7104
        id="sd-fast-720p-12s",
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "p", "resolution": "720p", "duration": "7"},
        "14.41",  # 14.4144
        id="sd-fast-720p-7s",
    ),
    pytest.param(
        "seedance-1-pro-fast-fal",
        {"prompt": "p", "duration": "12"},
        "58.75",  # 58.752
        id="sd-fast-1080p-12s",
    ),
    # hailuo: {512P 1.7, 768P 4.5} x seconds
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG},
        "27.00",
        id="hailuo-default",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "duration": "10"},
        "45.00",
        id="hailuo-768p-10s",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "512P"},
        "10.20",
        id="hailuo-512p-6s",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video-fal",
        {"prompt": "p", "image_url": IMG, "resolution": "512P", "duration": "10"},
        "17.00",
        id="hailuo-512p-10s",
    ),
    # wan-2-5-fal: {480p 5, 720p 10, 1080p 15} x seconds
    pytest.param("wan-2-5-fal", {"prompt": "p"}, "75.00", id="wan-fal-default"),
    pytest.param(
        "wan-2-5-fal",
        {"prompt": "p", "resolution": "480p"},
        "25.00",
        id="wan-fal-480p-5s",
    ),
    pytest.param(
        "wan-2-5-fal",
        {"prompt": "p", "resolution": "720p", "duration": "10"},
        "100.00",
        id="wan-fal-720p-10s",
    ),
    # seedance-1-pro-replicate: {480p 3, 720p 6, 1080p 15} x seconds
    pytest.param(
        "seedance-1-pro-replicate", {"prompt": "p"}, "30.00", id="sd-rep-default"
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "resolution": "480p", "duration": 3},
        "9.00",
        id="sd-rep-480p-3s",
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "resolution": "1080p", "duration": 12},
        "180.00",
        id="sd-rep-1080p-12s",
    ),
    pytest.param(
        "seedance-1-pro-replicate",
        {"prompt": "p", "duration": 7, "image": IMG},
        "42.00",
        id="sd-rep-720p-7s",
    ),
    # wan-2-5-i2v-replicate: {480p 5, 720p 10, 1080p 15} x seconds
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "p"},
        "50.00",
        id="wan-rep-default",
    ),
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "p", "resolution": "1080p", "duration": 10},
        "150.00",
        id="wan-rep-1080p-10s",
    ),
    pytest.param(
        "wan-2-5-i2v-replicate",
        {"image": IMG, "prompt": "p", "resolution": "480p"},
        "25.00",
        id="wan-rep-480p-5s",
    ),
    # elevenlabs-sound-effects-v2-fal: 0.2 x duration_seconds (default 5)
    pytest.param(
        "elevenlabs-sound-effects-v2-fal", {"text": "boom"}, "1.00", id="sfx-default"
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 22},
        "4.40",
        id="sfx-22s",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 0.5},
        "0.10",
        id="sfx-half-second",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 7.3},
        "1.46",
        id="sfx-7-3s",
    ),
    pytest.param(
        "elevenlabs-sound-effects-v2-fal",
        {"text": "boom", "duration_seconds": 12.25},
        "2.45",
        id="sfx-12-25s",
    ),
    # elevenlabs-tts-turbo-2-5-fal: 5 per 1,000 characters of text, pro rata
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "Hello there"},
        "0.06",  # 5 x 11 / 1000 = 0.055, half-up
        id="el-fal-11-chars",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "a" * 1000, "speed": 1.2},
        "5.00",
        id="el-fal-1000-chars",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "a" * 1001},
        "5.01",  # 5.005
        id="el-fal-1001-chars",
    ),
    pytest.param(
        "elevenlabs-tts-turbo-2-5-fal",
        {"text": "é" * 2500},
        "12.50",  # characters, not bytes
        id="el-fal-2500-accented-chars",
    ),
    # mmaudio-v2-fal: 0.1 x duration (default 8)
    pytest.param("mmaudio-v2-fal", {"prompt": "p"}, "0.80", id="mmaudio-default"),
    pytest.param(
        "mmaudio-v2-fal", {"prompt": "p", "duration": 30}, "3.00", id="mmaudio-30s"
    ),
    pytest.param(
        "mmaudio-v2-fal", {"prompt": "p", "duration": 12.5}, "1.25", id="mmaudio-12-5s"
    ),
    pytest.param(
        "mmaudio-v2-fal", {"prompt": "p", "duration": 1}, "0.10", id="mmaudio-1s"
    ),
]


# --- the catalog as a whole ------------------------------------------------------


def test_every_registry_entry_loads_under_its_own_id() -> None:
    listed = modelvault.list_models()
    assert {info.id for info in listed} == CATALOG_IDS | CATALOG_A_IDS, (
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
    *CATALOG_A_VALIDATE_MINIMAL,
    # --- catalog-b: kie market models ---------------------------------------------
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "rain on a tin roof"},
        {"text": "rain on a tin roof", **_SFX_DEFAULTS},
        id="elevenlabs-sound-effect-v2",
    ),
    pytest.param(
        "google-imagen-4",
        {"prompt": "a lighthouse"},
        {"prompt": "a lighthouse", "aspect_ratio": "1:1"},
        id="google-imagen-4",
    ),
    pytest.param(
        "google-imagen-4-fast",
        {"prompt": "a lighthouse"},
        {"prompt": "a lighthouse", "aspect_ratio": "16:9"},
        id="google-imagen-4-fast",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "zoom in", "image_url": IMG},
        {
            "prompt": "zoom in",
            "image_url": IMG,
            "duration": "10",
            "resolution": "768P",
            "prompt_optimizer": True,
        },
        id="hailuo-02-standard-image-to-video",
    ),
    pytest.param(
        "ideogram-v3-edit",
        {"prompt": "a red hat", "image_url": IMG, "mask_url": IMG2},
        {
            "prompt": "a red hat",
            "image_url": IMG,
            "mask_url": IMG2,
            "rendering_speed": "BALANCED",
            "expand_prompt": True,
        },
        id="ideogram-v3-edit",
    ),
    pytest.param(
        "ideogram-v3-text-to-image",
        {"prompt": "a poster"},
        {
            "prompt": "a poster",
            "rendering_speed": "BALANCED",
            "image_size": "square_hd",
            "style": "AUTO",
            "expand_prompt": True,
        },
        id="ideogram-v3-text-to-image",
    ),
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "zoom in", "image_url": IMG},
        {"prompt": "zoom in", "image_url": IMG, "duration": "5", "cfg_scale": 0.5},
        id="kling-v2-5-turbo-image-to-video",
    ),
    pytest.param(
        "kling-v2-5-turbo-text-to-video",
        {"prompt": "waves at dusk"},
        {
            "prompt": "waves at dusk",
            "duration": "5",
            "aspect_ratio": "16:9",
            "cfg_scale": 0.5,
        },
        id="kling-v2-5-turbo-text-to-video",
    ),
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "as a watercolor", "image_urls": [IMG]},
        {
            "prompt": "as a watercolor",
            "image_urls": [IMG],
            "resolution": "1K",
            "image_size": "16:9",
            "output_format": "png",
            "prompt_extend": True,
        },
        id="qwen3-pro-image-to-image",
    ),
    pytest.param(
        "topaz-image-upscale",
        {"image_url": IMG},
        {"image_url": IMG, "upscale_factor": "2"},
        id="topaz-image-upscale",
    ),
    pytest.param(
        "wan-2-5-image-to-video",
        {"prompt": "she smiles", "image_url": IMG},
        {
            "prompt": "she smiles",
            "image_url": IMG,
            "duration": "5",
            "resolution": "1080p",
            "enable_prompt_expansion": True,
        },
        id="wan-2-5-image-to-video",
    ),
    pytest.param(
        "wan-2-5-text-to-video",
        {"prompt": "a jazz bar"},
        {
            "prompt": "a jazz bar",
            "duration": "5",
            "resolution": "1080p",
            "aspect_ratio": "16:9",
            "enable_prompt_expansion": True,
        },
        id="wan-2-5-text-to-video",
    ),
    # --- catalog-b: kie Veo 3.1 ---------------------------------------------------
    pytest.param(
        "google-veo-3-1-fast-reference-to-video",
        {"prompt": "the cat walks in", "image_urls": [IMG]},
        {"prompt": "the cat walks in", "image_urls": [IMG], **_VEO_DEFAULTS},
        id="google-veo-3-1-fast-reference-to-video",
    ),
    pytest.param(
        "google-veo-3-1-hq-image-to-video",
        {"prompt": "make it move", "image_urls": [IMG]},
        {"prompt": "make it move", "image_urls": [IMG], **_VEO_DEFAULTS},
        id="google-veo-3-1-hq-image-to-video",
    ),
    # --- catalog-b: Runware ------------------------------------------------------
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "a red fox"},
        {"prompt": "a red fox", "width": 1024, "height": 1024, "number_results": 1},
        id="flux-1-kontext-pro-runware",
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "waves at dusk"},
        {"prompt": "waves at dusk", "duration": 8, "width": 1280, "height": 720},
        id="google-veo-3-1-fast-runware",
    ),
    pytest.param(
        "seedream-4-0-runware",
        {"prompt": "a red fox"},
        {"prompt": "a red fox", "width": 1024, "height": 1024, "number_results": 1},
        id="seedream-4-0-runware",
    ),
]


def test_validate_tables_cover_the_whole_catalog() -> None:
    for table in (VALIDATE_MINIMAL, PAYLOADS, COSTS, REFUSALS):
        assert {case.values[0] for case in table} == CATALOG_IDS | CATALOG_A_IDS


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
    *CATALOG_A_VALIDATE_EXPLICIT,
    # --- catalog-b: kie market models ---------------------------------------------
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "a door slams", "duration_seconds": 2.5, "loop": True},
        {
            "text": "a door slams",
            "duration_seconds": 2.5,
            "loop": True,
            "prompt_influence": 0.3,
            "output_format": "mp3_44100_128",
        },
        id="sfx-fractional-seconds-kept",
    ),
    pytest.param(
        "google-imagen-4",
        {"prompt": "p", "seed": "1234", "negative_prompt": "blur"},
        {
            "prompt": "p",
            "aspect_ratio": "1:1",
            "negative_prompt": "blur",
            "seed": "1234",
        },
        id="imagen-4-seed-is-a-string",
    ),
    pytest.param(
        "qwen3-pro-image-to-image",
        {
            "prompt": "merge",
            "image_urls": [IMG, IMG2, IMG],
            "resolution": "2K",
            "seed": 0,
        },
        {
            "prompt": "merge",
            "image_urls": [IMG, IMG2, IMG],
            "resolution": "2K",
            "image_size": "16:9",
            "output_format": "png",
            "prompt_extend": True,
            "seed": 0,
        },
        id="qwen3-three-images",
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
    *CATALOG_A_REFUSALS,
    # --- catalog-b: kie market models ---------------------------------------------
    # elevenlabs-sound-effect-v2
    pytest.param("elevenlabs-sound-effect-v2", {}, {"text"}, id="sfx-missing-text"),
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "x", "duration_seconds": 0.4},
        {"duration_seconds"},
        id="sfx-below-half-a-second",
    ),
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "x", "duration_seconds": 23, "prompt_influence": 1.5},
        {"duration_seconds", "prompt_influence"},
        id="sfx-above-22-s-and-influence-above-1",
    ),
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "x", "output_format": "wav"},
        {"output_format"},
        id="sfx-unknown-format",
    ),
    # google-imagen-4
    pytest.param(
        "google-imagen-4",
        {"prompt": "p", "seed": 42},
        {"seed"},
        id="imagen-4-seed-int-refused",
    ),
    pytest.param(
        "google-imagen-4",
        {"prompt": "p", "aspect_ratio": "2:3"},
        {"aspect_ratio"},
        id="imagen-4-bad-aspect",
    ),
    # google-imagen-4-fast
    pytest.param(
        "google-imagen-4-fast",
        {"prompt": "p", "seed": "42"},
        {"seed"},
        id="imagen-4-fast-seed-string-refused",
    ),
    pytest.param(
        "google-imagen-4-fast",
        {"prompt": "x" * 5001},
        {"prompt"},
        id="imagen-4-fast-prompt-too-long",
    ),
    # hailuo-02-standard-image-to-video
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG, "resolution": "1080P", "duration": "5"},
        {"resolution", "duration"},
        id="hailuo-no-1080p-no-5s",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "x" * 1501, "image_url": IMG},
        {"prompt"},
        id="hailuo-prompt-over-1500",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG, "end_image_url": "last.png"},
        {"end_image_url"},
        id="hailuo-relative-end-image",
    ),
    # ideogram-v3-edit
    pytest.param(
        "ideogram-v3-edit",
        {"prompt": "p", "image_url": IMG},
        {"mask_url"},
        id="ideogram-edit-missing-mask",
    ),
    pytest.param(
        "ideogram-v3-edit",
        {"prompt": "p", "image_url": IMG, "mask_url": IMG2, "rendering_speed": "FAST"},
        {"rendering_speed"},
        id="ideogram-edit-bad-speed",
    ),
    # ideogram-v3-text-to-image
    pytest.param(
        "ideogram-v3-text-to-image",
        {"prompt": "p", "image_size": "portrait_3_2", "style": "ANIME"},
        {"image_size", "style"},
        id="ideogram-t2i-bad-size-and-style",
    ),
    pytest.param(
        "ideogram-v3-text-to-image",
        {"prompt": "p", "num_images": 2},
        {"num_images"},
        id="ideogram-t2i-no-num-images",
    ),
    # kling-v2-5-turbo-image-to-video
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "p", "image_url": IMG, "negative_prompt": "x" * 501},
        {"negative_prompt"},
        id="kling-i2v-negative-over-500",
    ),
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "p", "image_url": IMG, "tail_image_url": "last.png"},
        {"tail_image_url"},
        id="kling-i2v-relative-tail-image",
    ),
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "p", "image_url": IMG, "aspect_ratio": "16:9"},
        {"aspect_ratio"},
        id="kling-i2v-no-aspect-ratio-input",
    ),
    # kling-v2-5-turbo-text-to-video
    pytest.param(
        "kling-v2-5-turbo-text-to-video",
        {"prompt": "p", "duration": 5, "cfg_scale": 1.1},
        {"duration", "cfg_scale"},
        id="kling-t2v-int-duration-and-cfg-above-1",
    ),
    pytest.param(
        "kling-v2-5-turbo-text-to-video",
        {"prompt": "p", "aspect_ratio": "4:3"},
        {"aspect_ratio"},
        id="kling-t2v-bad-aspect",
    ),
    # qwen3-pro-image-to-image
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "p", "image_urls": []},
        {"image_urls"},
        id="qwen3-no-images",
    ),
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "p", "image_urls": [IMG, IMG, IMG, IMG]},
        {"image_urls"},
        id="qwen3-four-images",
    ),
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "p", "image_urls": [IMG], "resolution": "4K", "seed": -1},
        {"resolution", "seed"},
        id="qwen3-4k-and-negative-seed",
    ),
    # topaz-image-upscale
    pytest.param(
        "topaz-image-upscale",
        {"image_url": IMG, "upscale_factor": 2},
        {"upscale_factor"},
        id="topaz-factor-is-a-string",
    ),
    pytest.param(
        "topaz-image-upscale",
        {"image_url": IMG, "upscale_factor": "8"},
        {"upscale_factor"},
        id="topaz-factor-8",
    ),
    pytest.param("topaz-image-upscale", {}, {"image_url"}, id="topaz-missing-image"),
    # wan-2-5-image-to-video
    pytest.param(
        "wan-2-5-image-to-video",
        {"prompt": "p", "image_url": IMG, "aspect_ratio": "16:9"},
        {"aspect_ratio"},
        id="wan-i2v-no-aspect-ratio-input",
    ),
    pytest.param(
        "wan-2-5-image-to-video",
        {"prompt": "x" * 801, "image_url": IMG},
        {"prompt"},
        id="wan-i2v-prompt-over-800",
    ),
    # wan-2-5-text-to-video
    pytest.param(
        "wan-2-5-text-to-video",
        {"prompt": "p", "resolution": "480p", "duration": "15"},
        {"resolution", "duration"},
        id="wan-t2v-480p-and-15s",
    ),
    pytest.param(
        "wan-2-5-text-to-video",
        {"prompt": "p", "seed": 1.5},
        {"seed"},
        id="wan-t2v-fractional-seed",
    ),
    # --- catalog-b: kie Veo 3.1 ---------------------------------------------------
    pytest.param(
        "google-veo-3-1-fast-reference-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2, IMG, IMG2]},
        {"image_urls"},
        id="veo-ref-four-images",
    ),
    pytest.param(
        "google-veo-3-1-fast-reference-to-video",
        {"prompt": "p", "image_urls": [IMG], "aspect_ratio": "Auto"},
        {"aspect_ratio"},
        id="veo-ref-no-auto-aspect",
    ),
    pytest.param(
        "google-veo-3-1-hq-image-to-video",
        {"prompt": "p"},
        {"image_urls"},
        id="veo-hq-i2v-missing-images",
    ),
    pytest.param(
        "google-veo-3-1-hq-image-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2, IMG], "seed": 100000},
        {"image_urls", "seed"},
        id="veo-hq-i2v-three-images-and-seed-above-99999",
    ),
    # --- catalog-b: Runware ------------------------------------------------------
    # flux-1-kontext-pro-runware: sides 672-1568, multiples of 16, ~1 MP
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "p", "width": 1568, "height": 1568},
        {"width, height"},
        id="kontext-above-max-product",
    ),
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "p", "width": 1024, "height": 1040},
        {"width, height"},
        id="kontext-just-above-1568x672",
    ),
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "p", "width": 512, "height": 2048},
        {"width", "height"},
        id="kontext-sides-out-of-range",
    ),
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "p", "width": 1020},
        {"width"},
        id="kontext-width-not-multiple-of-16",
    ),
    # google-veo-3-1-fast-runware
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "p", "duration": 7},
        {"duration"},
        id="veo-rw-duration-7-needs-a-video",
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "p", "duration": "8"},
        {"duration"},
        id="veo-rw-duration-is-an-int",
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "p", "width": 720, "height": 1080},
        {"width, height"},
        id="veo-rw-below-720p",
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "p", "width": 3840, "height": 2160},
        {"width", "height"},
        id="veo-rw-4k-not-offered",
    ),
    # seedream-4-0-runware: sides 1024-6048, multiples of 16, 1K..4K pixels
    pytest.param(
        "seedream-4-0-runware",
        {"prompt": "p", "width": 4096, "height": 4608},
        {"width, height"},
        id="seedream-above-4k-pixels",
    ),
    pytest.param(
        "seedream-4-0-runware",
        {"prompt": "p", "width": 1030},
        {"width"},
        id="seedream-width-not-multiple-of-16",
    ),
    pytest.param(
        "seedream-4-0-runware",
        {"prompt": "p", "height": 1008, "number_results": 5},
        {"height", "number_results"},
        id="seedream-height-below-1024-and-five-images",
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
    *CATALOG_A_PAYLOADS,
    # --- catalog-b: kie market models (kie_jobs: {"model", "input"}) ---------------
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "thunder", "duration_seconds": 10, "output_format": "pcm_44100"},
        {
            "model": "elevenlabs/sound-effect-v2",
            "input": {
                "text": "thunder",
                "duration_seconds": 10,
                "loop": False,
                "prompt_influence": 0.3,
                "output_format": "pcm_44100",
            },
        },
        id="elevenlabs-sound-effect-v2",
    ),
    pytest.param(
        "google-imagen-4",
        {"prompt": "a fox", "aspect_ratio": "auto", "seed": "7"},
        {
            "model": "google/imagen4",
            "input": {"prompt": "a fox", "aspect_ratio": "auto", "seed": "7"},
        },
        id="google-imagen-4",
    ),
    pytest.param(
        "google-imagen-4-fast",
        {"prompt": "a fox", "negative_prompt": "text", "seed": 7},
        {
            "model": "google/imagen4-fast",
            "input": {
                "prompt": "a fox",
                "aspect_ratio": "16:9",
                "negative_prompt": "text",
                "seed": 7,
            },
        },
        id="google-imagen-4-fast",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG, "end_image_url": IMG2, "duration": "6"},
        {
            "model": "hailuo/02-image-to-video-standard",
            "input": {
                "prompt": "p",
                "image_url": IMG,
                "end_image_url": IMG2,
                "duration": "6",
                "resolution": "768P",
                "prompt_optimizer": True,
            },
        },
        id="hailuo-02-standard-image-to-video",
    ),
    pytest.param(
        "ideogram-v3-edit",
        {"prompt": "p", "image_url": IMG, "mask_url": IMG2, "seed": 3},
        {
            "model": "ideogram/v3-edit",
            "input": {
                "prompt": "p",
                "image_url": IMG,
                "mask_url": IMG2,
                "rendering_speed": "BALANCED",
                "expand_prompt": True,
                "seed": 3,
            },
        },
        id="ideogram-v3-edit",
    ),
    pytest.param(
        "ideogram-v3-text-to-image",
        {"prompt": "p", "rendering_speed": "QUALITY", "expand_prompt": False},
        {
            "model": "ideogram/v3-text-to-image",
            "input": {
                "prompt": "p",
                "rendering_speed": "QUALITY",
                "image_size": "square_hd",
                "style": "AUTO",
                "expand_prompt": False,
            },
        },
        id="ideogram-v3-text-to-image",
    ),
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "p", "image_url": IMG, "tail_image_url": IMG2, "duration": "10"},
        {
            "model": "kling/v2-5-turbo-image-to-video-pro",
            "input": {
                "prompt": "p",
                "image_url": IMG,
                "tail_image_url": IMG2,
                "duration": "10",
                "cfg_scale": 0.5,
            },
        },
        id="kling-v2-5-turbo-image-to-video",
    ),
    pytest.param(
        "kling-v2-5-turbo-text-to-video",
        {"prompt": "p", "aspect_ratio": "9:16", "negative_prompt": "blur"},
        {
            "model": "kling/v2-5-turbo-text-to-video-pro",
            "input": {
                "prompt": "p",
                "duration": "5",
                "aspect_ratio": "9:16",
                "negative_prompt": "blur",
                "cfg_scale": 0.5,
            },
        },
        id="kling-v2-5-turbo-text-to-video",
    ),
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "p", "image_urls": [IMG, IMG2], "output_format": "jpeg"},
        {
            "model": "qwen3/pro-image-to-image",
            "input": {
                "prompt": "p",
                "image_urls": [IMG, IMG2],
                "resolution": "1K",
                "image_size": "16:9",
                "output_format": "jpeg",
                "prompt_extend": True,
            },
        },
        id="qwen3-pro-image-to-image",
    ),
    pytest.param(
        "topaz-image-upscale",
        {"image_url": IMG, "upscale_factor": "4"},
        {
            "model": "topaz/image-upscale",
            "input": {"image_url": IMG, "upscale_factor": "4"},
        },
        id="topaz-image-upscale",
    ),
    pytest.param(
        "wan-2-5-image-to-video",
        {"prompt": "p", "image_url": IMG, "resolution": "720p", "seed": 9},
        {
            "model": "wan/2-5-image-to-video",
            "input": {
                "prompt": "p",
                "image_url": IMG,
                "duration": "5",
                "resolution": "720p",
                "enable_prompt_expansion": True,
                "seed": 9,
            },
        },
        id="wan-2-5-image-to-video",
    ),
    pytest.param(
        "wan-2-5-text-to-video",
        {"prompt": "p", "duration": "10", "aspect_ratio": "1:1"},
        {
            "model": "wan/2-5-text-to-video",
            "input": {
                "prompt": "p",
                "duration": "10",
                "resolution": "1080p",
                "aspect_ratio": "1:1",
                "enable_prompt_expansion": True,
            },
        },
        id="wan-2-5-text-to-video",
    ),
    # --- catalog-b: kie Veo 3.1 (flat body, generationType constant) --------------
    pytest.param(
        "google-veo-3-1-fast-reference-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2], "aspect_ratio": "9:16"},
        {
            "model": "veo3_fast",
            "prompt": "p",
            "imageUrls": [IMG, IMG2],
            "aspect_ratio": "9:16",
            "enableTranslation": True,
            "enableFallback": False,
            "generationType": "REFERENCE_2_VIDEO",
        },
        id="google-veo-3-1-fast-reference-to-video",
    ),
    pytest.param(
        "google-veo-3-1-hq-image-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2], "seed": 54321},
        {
            "model": "veo3",
            "prompt": "p",
            "imageUrls": [IMG, IMG2],
            "aspect_ratio": "16:9",
            "seeds": 54321,
            "enableTranslation": True,
            "enableFallback": False,
            "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
        },
        id="google-veo-3-1-hq-image-to-video",
    ),
    # --- catalog-b: Runware ------------------------------------------------------
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "a fox", "width": 1392, "height": 752},
        [
            {
                "model": "bfl:3@1",
                "deliveryMethod": "async",
                "positivePrompt": "a fox",
                "width": 1392,
                "height": 752,
                "numberResults": 1,
                **_RUNWARE_IMAGE_CONSTANTS,
            }
        ],
        id="flux-1-kontext-pro-runware",
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "waves", "duration": 4, "width": 1080, "height": 1920, "seed": 5},
        [
            {
                "model": "google:3@3",
                "deliveryMethod": "async",
                "positivePrompt": "waves",
                "duration": 4,
                "width": 1080,
                "height": 1920,
                "seed": 5,
                **_RUNWARE_VIDEO_CONSTANTS,
                "providerSettings": {"google": {"generateAudio": True}},
            }
        ],
        id="google-veo-3-1-fast-runware",
    ),
    pytest.param(
        "seedream-4-0-runware",
        {
            "prompt": "a fox",
            "width": 2560,
            "height": 1440,
            "number_results": 2,
            "seed": 11,
        },
        [
            {
                "model": "bytedance:5@0",
                "deliveryMethod": "async",
                "positivePrompt": "a fox",
                "width": 2560,
                "height": 1440,
                "numberResults": 2,
                "seed": 11,
                **_RUNWARE_IMAGE_CONSTANTS,
            }
        ],
        id="seedream-4-0-runware",
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
    # ElevenLabs on kie: 6 (Multilingual) / 3 (Turbo) per 1,000 characters, exact
    pytest.param("elevenlabs-tts-multilingual-v2", {"text": "hi"}, "0.01", id="el-v2"),
    pytest.param(
        "elevenlabs-tts-multilingual-v2",
        {"text": "x" * 5000, "voice": VOICE_ARABELLA, "speed": 1.2},
        "30.00",
        id="el-v2-5000-characters",
    ),
    pytest.param("elevenlabs-tts-turbo-2-5", {"text": "hi"}, "0.01", id="el-turbo"),
    pytest.param(
        "elevenlabs-tts-turbo-2-5", {"text": "y" * 1500}, "4.50", id="el-turbo-1500"
    ),
    # flat prices: base only, whatever the inputs
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
        "minimax-speech-02-turbo-replicate", {"text": "hi"}, "0.01", id="minimax"
    ),
    # 6 credits per 1,000 characters, exact: 2,500 -> 15, 1,001 -> 6.006 -> 6.01
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "a" * 2500},
        "15.00",
        id="minimax-2500-characters",
    ),
    pytest.param(
        "minimax-speech-02-turbo-replicate",
        {"text": "a" * 1001},
        "6.01",
        id="minimax-1001-characters",
    ),
    # FLUX schnell on fal: 0.3 per megapixel rounded up, per image; a custom
    # 1600 x 1200 is 1.92 MP -> 2 -> 0.6; x3 images -> 1.8
    pytest.param(
        "flux-1-schnell-fal",
        {"prompt": "p", "image_size": {"width": 1600, "height": 1200}, "num_images": 3},
        "1.80",
        id="flux-fal-custom-size-three-images",
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
    *CATALOG_A_COSTS,
    # --- catalog-b: kie market models ---------------------------------------------
    # elevenlabs-sound-effect-v2: 0.12 per second of duration_seconds (default 5)
    pytest.param(
        "elevenlabs-sound-effect-v2", {"text": "t"}, "0.60", id="sfx-default-5s"
    ),
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "t", "duration_seconds": 22},
        "2.64",
        id="sfx-22s",
    ),
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "t", "duration_seconds": 0.5},
        "0.06",
        id="sfx-half-second",
    ),
    pytest.param(
        "elevenlabs-sound-effect-v2",
        {"text": "t", "duration_seconds": 2.5},
        "0.30",
        id="sfx-2.5s",
    ),
    # google-imagen-4: flat 4 (8 kie credits); -fast: flat 2 (4 kie credits)
    pytest.param("google-imagen-4", {"prompt": "p"}, "4.00", id="imagen-4"),
    pytest.param(
        "google-imagen-4",
        {"prompt": "p", "aspect_ratio": "9:16"},
        "4.00",
        id="imagen-4-portrait-same",
    ),
    pytest.param("google-imagen-4-fast", {"prompt": "p"}, "2.00", id="imagen-4-fast"),
    # hailuo-02-standard-image-to-video: table duration|resolution
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG},
        "25.00",
        id="hailuo-default-10s-768p",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG, "duration": "6", "resolution": "512P"},
        "6.00",
        id="hailuo-6s-512p",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG, "resolution": "512P"},
        "10.00",
        id="hailuo-10s-512p",
    ),
    pytest.param(
        "hailuo-02-standard-image-to-video",
        {"prompt": "p", "image_url": IMG, "duration": "6", "end_image_url": IMG2},
        "15.00",
        id="hailuo-6s-768p",
    ),
    # ideogram v3: table on rendering_speed {TURBO 1.75, BALANCED 3.5, QUALITY 5}
    pytest.param(
        "ideogram-v3-text-to-image", {"prompt": "p"}, "3.50", id="ideogram-balanced"
    ),
    pytest.param(
        "ideogram-v3-text-to-image",
        {"prompt": "p", "rendering_speed": "TURBO", "image_size": "landscape_16_9"},
        "1.75",
        id="ideogram-turbo",
    ),
    pytest.param(
        "ideogram-v3-edit",
        {
            "prompt": "p",
            "image_url": IMG,
            "mask_url": IMG2,
            "rendering_speed": "QUALITY",
        },
        "5.00",
        id="ideogram-edit-quality",
    ),
    pytest.param(
        "ideogram-v3-edit",
        {"prompt": "p", "image_url": IMG, "mask_url": IMG2},
        "3.50",
        id="ideogram-edit-balanced",
    ),
    # kling 2.5 turbo: 4.2 per second
    pytest.param(
        "kling-v2-5-turbo-text-to-video", {"prompt": "p"}, "21.00", id="kling-t2v-5s"
    ),
    pytest.param(
        "kling-v2-5-turbo-text-to-video",
        {"prompt": "p", "duration": "10"},
        "42.00",
        id="kling-t2v-10s",
    ),
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "p", "image_url": IMG},
        "21.00",
        id="kling-i2v-5s",
    ),
    pytest.param(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "p", "image_url": IMG, "tail_image_url": IMG2, "duration": "10"},
        "42.00",
        id="kling-i2v-10s-with-tail",
    ),
    # qwen3-pro-image-to-image: table on resolution {1K 3.45, 2K 6.25}
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "p", "image_urls": [IMG]},
        "3.45",
        id="qwen3-1k",
    ),
    pytest.param(
        "qwen3-pro-image-to-image",
        {"prompt": "p", "image_urls": [IMG, IMG2, IMG], "resolution": "2K"},
        "6.25",
        id="qwen3-2k-three-images",
    ),
    # topaz-image-upscale: table on upscale_factor {1: 5, 2: 10, 4: 20}
    pytest.param("topaz-image-upscale", {"image_url": IMG}, "10.00", id="topaz-2x"),
    pytest.param(
        "topaz-image-upscale",
        {"image_url": IMG, "upscale_factor": "1"},
        "5.00",
        id="topaz-1x",
    ),
    pytest.param(
        "topaz-image-upscale",
        {"image_url": IMG, "upscale_factor": "4"},
        "20.00",
        id="topaz-4x",
    ),
    # wan 2.5: table duration|resolution
    # {5|720p 30, 5|1080p 50, 10|720p 60, 10|1080p 100}
    pytest.param(
        "wan-2-5-text-to-video", {"prompt": "p"}, "50.00", id="wan-t2v-5s-1080p"
    ),
    pytest.param(
        "wan-2-5-text-to-video",
        {"prompt": "p", "resolution": "720p"},
        "30.00",
        id="wan-t2v-5s-720p",
    ),
    pytest.param(
        "wan-2-5-text-to-video",
        {"prompt": "p", "duration": "10"},
        "100.00",
        id="wan-t2v-10s-1080p",
    ),
    pytest.param(
        "wan-2-5-image-to-video",
        {"prompt": "p", "image_url": IMG, "duration": "10", "resolution": "720p"},
        "60.00",
        id="wan-i2v-10s-720p",
    ),
    pytest.param(
        "wan-2-5-image-to-video",
        {"prompt": "p", "image_url": IMG},
        "50.00",
        id="wan-i2v-default",
    ),
    # --- catalog-b: kie Veo 3.1: flat per generation ------------------------------
    pytest.param(
        "google-veo-3-1-fast-reference-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2, IMG]},
        "30.00",
        id="veo-ref-three-images",
    ),
    pytest.param(
        "google-veo-3-1-hq-image-to-video",
        {"prompt": "p", "image_urls": [IMG]},
        "125.00",
        id="veo-hq-i2v-one-frame",
    ),
    pytest.param(
        "google-veo-3-1-hq-image-to-video",
        {"prompt": "p", "image_urls": [IMG, IMG2], "aspect_ratio": "9:16"},
        "125.00",
        id="veo-hq-i2v-two-frames",
    ),
    # --- catalog-b: Runware ------------------------------------------------------
    # flux-1-kontext-pro-runware: 4 x number_results
    pytest.param(
        "flux-1-kontext-pro-runware", {"prompt": "p"}, "4.00", id="kontext-rw-1"
    ),
    pytest.param(
        "flux-1-kontext-pro-runware",
        {"prompt": "p", "number_results": 3, "width": 672, "height": 1568},
        "12.00",
        id="kontext-rw-3",
    ),
    # google-veo-3-1-fast-runware: 15 per second (audio on)
    pytest.param(
        "google-veo-3-1-fast-runware", {"prompt": "p"}, "120.00", id="veo-rw-8s"
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "p", "duration": 4},
        "60.00",
        id="veo-rw-4s",
    ),
    pytest.param(
        "google-veo-3-1-fast-runware",
        {"prompt": "p", "duration": 6, "width": 1920, "height": 1080},
        "90.00",
        id="veo-rw-6s-1080p",
    ),
    # seedream-4-0-runware: 3 x number_results, any size
    pytest.param("seedream-4-0-runware", {"prompt": "p"}, "3.00", id="seedream-rw-1"),
    pytest.param(
        "seedream-4-0-runware",
        {"prompt": "p", "number_results": 4, "width": 4096, "height": 4096},
        "12.00",
        id="seedream-rw-4k-x4",
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

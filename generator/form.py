"""The "add model" workflow form -> spec data.

`.github/workflows/add-model.yml` passes every form input to
`python -m generator form-spec` through `FORM_*` environment variables, never
through a `run:` line, so an input is only ever data: it reaches the spec as a
string, is validated by `generator.spec.parse_spec`, and the generator renders
it as a Python literal. Nothing here touches a shell, a file or the network.

Either `FORM_SPEC_JSON` holds a whole spec (JSON object), or the spec is built
from the single fields below: a model with one required prompt input (plus an
`image_url` input for the image groups), a base cost and no multipliers, which
a contributor refines in the PR with `generator regenerate ID --spec ...`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.spec import ModelSpec, SpecError, parse_spec

__all__ = [
    "FORM_FIELDS",
    "FormError",
    "spec_data_from_form",
    "spec_from_form",
]

PREFIX = "FORM_"
SOURCE = "workflow form"

# Field name (lower case; the env var is FORM_<NAME upper>) -> what it is.
FORM_FIELDS: dict[str, str] = {
    "spec_json": "a whole spec as a JSON object (then the other fields are unused)",
    "id": "model id, lowercase words joined by '-'",
    "name": "display name",
    "group": "image_editing | prompt_to_image | prompt_to_video | ...",
    "provider": "kie_jobs | kie_veo | kie_4o | runware | fal_queue | replicate",
    "provider_model": "the provider's model id",
    "endpoint": "the provider endpoint (default: the provider's usual one)",
    "api_key_env": "the API key's env var (default: the provider's usual one)",
    "docs_url": "the provider's documentation page for the model",
    "estimated_seconds": "typical seconds per generation (integer)",
    "base_cost": "credits per generation (decimal)",
    "prompt_title": "title of the prompt input (default: Prompt)",
    "prompt_description": "description of the prompt input",
    "prompt_max_length": "maximum prompt length (integer, default 10000)",
}

DEFAULT_API_KEY_ENV = {
    "kie_jobs": "KIE_API_KEY",
    "kie_veo": "KIE_API_KEY",
    "kie_4o": "KIE_API_KEY",
    "runware": "RUNWARE_API_KEY",
    "fal_queue": "FAL_KEY",
    "replicate": "REPLICATE_API_TOKEN",
}

IMAGE_GROUPS = frozenset({"image_editing", "image_to_video"})


class FormError(SpecError):
    """The form's values could not even be assembled into a spec."""


def _default_endpoint(provider: str, provider_model: str) -> str | None:
    if provider == "kie_jobs":
        return "https://api.kie.ai/api/v1/jobs/createTask"
    if provider == "kie_veo":
        return "https://api.kie.ai/api/v1/veo/generate"
    if provider == "kie_4o":
        return "https://api.kie.ai/api/v1/gpt4o-image/generate"
    if provider == "runware":
        return "https://api.runware.ai/v1"
    if provider == "fal_queue" and provider_model:
        return f"https://queue.fal.run/{provider_model}"
    if provider == "replicate" and provider_model:
        return f"https://api.replicate.com/v1/models/{provider_model}/predictions"
    return None


def _fields(env: Mapping[str, str]) -> dict[str, str]:
    """The form's values, trimmed; empty values are absent."""
    out: dict[str, str] = {}
    for name in FORM_FIELDS:
        value = env.get(PREFIX + name.upper(), "")
        if name not in ("name", "prompt_description", "spec_json"):
            value = value.strip()
        if value.strip():
            out[name] = value
    return out


def _integer(
    fields: Mapping[str, str], name: str, problems: list[tuple[str, str]]
) -> int | str | None:
    raw = fields.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append((name, f"{raw!r} is not a whole number"))
        return raw


def spec_data_from_form(env: Mapping[str, str]) -> dict[str, Any]:
    """Spec data (not yet validated) from the FORM_* variables in `env`.

    Raises FormError when the values cannot be assembled at all (bad JSON, a
    number that is not one); everything else is left to `parse_spec`.
    """
    fields = _fields(env)
    problems: list[tuple[str, str]] = []
    if "spec_json" in fields:
        try:
            whole = json.loads(fields["spec_json"], parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise FormError([("spec_json", f"not valid JSON: {exc}")], SOURCE) from None
        if not isinstance(whole, dict):
            raise FormError([("spec_json", "must be a JSON object")], SOURCE)
        return {str(key): value for key, value in whole.items()}

    provider = fields.get("provider", "")
    provider_model = fields.get("provider_model", "")
    group = fields.get("group", "")
    estimated = _integer(fields, "estimated_seconds", problems)
    max_length = _integer(fields, "prompt_max_length", problems)
    base: Decimal | str | None = None
    if "base_cost" in fields:
        try:
            base = Decimal(fields["base_cost"])
            if not base.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(("base_cost", f"{fields['base_cost']!r} is not a number"))
    if problems:
        raise FormError(problems, SOURCE)

    prompt: dict[str, Any] = {
        "type": "string",
        "title": fields.get("prompt_title", "Prompt"),
        "required": True,
        "renderer": "prompt",
        "max_length": max_length if max_length is not None else 10000,
    }
    if "prompt_description" in fields:
        prompt["description"] = fields["prompt_description"]
    inputs: dict[str, Any] = {"prompt": prompt}
    data: dict[str, Any] = {}
    for key in ("id", "name", "group", "provider", "provider_model", "docs_url"):
        if key in fields:
            data[key] = fields[key]
    endpoint = fields.get("endpoint") or _default_endpoint(provider, provider_model)
    if endpoint is not None:
        data["endpoint"] = endpoint
    api_key_env = fields.get("api_key_env") or DEFAULT_API_KEY_ENV.get(provider)
    if api_key_env is not None:
        data["api_key_env"] = api_key_env
    if estimated is not None:
        data["estimated_seconds"] = estimated
    data["cost"] = {"base": base} if base is not None else {}
    if group in IMAGE_GROUPS:
        inputs["image_url"] = {
            "type": "string",
            "title": "Image",
            "description": "URL of the source image.",
            "required": True,
            "renderer": "image",
        }
        data["image_input_field"] = "image_url"
    data["inputs"] = inputs
    data["notes"] = (
        "Created from the add-model workflow form: one prompt input and a flat "
        "base cost; refine with `python -m generator regenerate ID --spec ...`."
    )
    return data


def spec_from_form(env: Mapping[str, str]) -> ModelSpec:
    """The validated spec; SpecError (or FormError) lists every problem."""
    return parse_spec(spec_data_from_form(env), SOURCE)

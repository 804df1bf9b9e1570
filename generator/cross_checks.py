"""Spec rules that relate one field to another, each problem with its own path.

Pure. Run on a valid spec by ModelSpec's validator, and by `partial_problems` on
whatever parts of a refused spec are valid on their own, so one run of the
generator lists every problem at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from generator.pricing_checks import (
    constraint_problems,
    enum_values,
    gap_problems,
    pricing_problems,
)

if TYPE_CHECKING:
    from generator.spec import ConstraintSpec, CostSpec, InputSpec, ProviderFamily

Problem = tuple[str, str]


def enum_key(value: Any) -> str:
    """String key for enum labels and cost multipliers (5 -> "5", True -> "true").
    Integral floats key like ints (1.0 -> "1"), so 1 and 1.0 pick the same entry."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def _multiplier_problems(
    inputs: Mapping[str, InputSpec], cost: CostSpec, skip: frozenset[str]
) -> list[Problem]:
    out: list[Problem] = []
    for param, table in cost.multipliers.items():
        if param in skip:
            continue
        path = f"cost.multipliers.{param}"
        field = inputs.get(param)
        if field is None:
            out.append((path, f"no input named {param!r}; use one of {sorted(inputs)}"))
            continue
        allowed = enum_values(field)
        if allowed is None:
            out.append(
                (
                    path,
                    f"input {param!r} has no enum; multipliers need a fixed set of "
                    "values (add an enum)",
                )
            )
            continue
        unknown = [k for k in table if k not in allowed]
        missing = [k for k in allowed if k not in table]
        if unknown:
            out.append(
                (path, f"{unknown} are not values of {param!r}; allowed: {allowed}")
            )
        if missing:
            out.append((path, f"no multiplier for {missing}; give every value one"))
    return out


def _cost_problems(
    inputs: Mapping[str, InputSpec], cost: CostSpec, skip: frozenset[str]
) -> list[Problem]:
    out = _multiplier_problems(inputs, cost, skip)
    for param in cost.per_unit:
        if param in skip:
            continue
        field = inputs.get(param)
        if field is None or field.type != "integer":
            out.append(
                (
                    "cost.per_unit",
                    f"{param!r} must name an integer input (e.g. a number of "
                    f"images); inputs: {sorted(inputs)}",
                )
            )
    for param in [*cost.multipliers, *cost.per_unit]:
        field = inputs.get(param)
        if field is not None and not field.required and field.default is None:
            out.append(
                (
                    f"inputs.{param}",
                    "prices the run but may be left out; give it a default or make "
                    "it required",
                )
            )
    return out


def cross_field_problems(
    *,
    inputs: Mapping[str, InputSpec],
    cost: CostSpec | None,
    image_input_field: str | None,
    payload_constants: Mapping[str, Any],
    provider: ProviderFamily | None,
    provider_model: str | None,
    unjudged_inputs: frozenset[str] = frozenset(),
    constraints: Sequence[ConstraintSpec] = (),
    gaps: Sequence[str] = (),
) -> list[Problem]:
    """`unjudged_inputs`: inputs that exist but are invalid themselves (already
    reported); rules that refer to them are skipped rather than guessed."""
    skip = unjudged_inputs
    problems = _cost_problems(inputs, cost, skip) if cost is not None else []
    if cost is not None:
        problems += pricing_problems(inputs, cost, skip)
    problems += constraint_problems(inputs, constraints, skip)
    problems += gap_problems(gaps)
    if image_input_field is not None and image_input_field not in skip:
        field = inputs.get(image_input_field)
        if field is None:
            problems.append(
                (
                    "image_input_field",
                    f"{image_input_field!r} is not an input; use one of "
                    f"{sorted(inputs)}",
                )
            )
        elif field.type not in ("string", "array"):
            problems.append(("image_input_field", "must name a string or array input"))
    payload_keys = [field.provider_field or name for name, field in inputs.items()]
    clashes = sorted(
        {k for k in payload_keys if payload_keys.count(k) > 1}
        | (set(payload_keys) & set(payload_constants))
    )
    if clashes:
        problems.append(
            (
                "payload_constants",
                f"payload fields {clashes} are set twice (inputs' provider_field or "
                "payload_constants); give each a distinct provider field",
            )
        )
    if provider is not None and provider_model is not None:
        problems += _provider_model_problems(provider.value, provider_model)
    return problems


# kie.ai's 4o Image API takes no model field: its one model is named by the path.
KIE_4O_MODEL = "gpt4o-image"


def _provider_model_problems(provider: str, provider_model: str) -> list[Problem]:
    if provider == "kie_4o" and provider_model != KIE_4O_MODEL:
        return [
            (
                "provider_model",
                f"for kie_4o it must be {KIE_4O_MODEL!r}: the 4o Image API "
                "(/api/v1/gpt4o-image/generate) serves one model and takes no "
                "model field",
            )
        ]
    if provider == "fal_queue" and provider_model.count("/") < 1:
        return [
            (
                "provider_model",
                "for fal_queue it must be an app id like 'fal-ai/flux/schnell'",
            )
        ]
    if provider == "replicate" and not re.fullmatch(
        r"[a-z0-9_.-]+/[a-z0-9_.-]+", provider_model
    ):
        return [
            (
                "provider_model",
                "for replicate it must be 'owner/name', e.g. "
                "'black-forest-labs/flux-schnell'",
            )
        ]
    return []


def partial_problems(
    data: Mapping[str, Any],
    input_type: type[InputSpec],
    cost_type: type[CostSpec],
    provider_type: type[ProviderFamily],
) -> list[Problem]:
    """Cross-field problems among the parts of `data` that are valid on their own."""
    inputs: dict[str, InputSpec] = {}
    invalid: set[str] = set()
    raw_inputs = data.get("inputs")
    if isinstance(raw_inputs, Mapping):
        for name, raw in raw_inputs.items():
            try:
                inputs[str(name)] = input_type.model_validate(raw)
            except ValidationError:
                invalid.add(str(name))
    try:
        cost = cost_type.model_validate(data.get("cost"))
    except ValidationError:
        cost = None
    try:
        provider = provider_type(str(data.get("provider")))
    except ValueError:
        provider = None
    image_field = data.get("image_input_field")
    constants = data.get("payload_constants")
    model = data.get("provider_model")
    return cross_field_problems(
        inputs=inputs,
        cost=cost,
        image_input_field=image_field if isinstance(image_field, str) else None,
        payload_constants=constants if isinstance(constants, Mapping) else {},
        provider=provider,
        provider_model=model if isinstance(model, str) else None,
        unjudged_inputs=frozenset(invalid),
        constraints=_valid_constraints(data.get("constraints")),
        gaps=[g for g in data.get("gaps") or [] if isinstance(g, str)]
        if isinstance(data.get("gaps"), list)
        else (),
    )


def _valid_constraints(raw: Any) -> list[ConstraintSpec]:
    from generator.spec import ConstraintSpec  # noqa: PLC0415 - import cycle

    valid: list[ConstraintSpec] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            valid.append(ConstraintSpec.model_validate(item))
        except ValidationError:
            return []  # reported as its own problem; the indices would shift
    return valid

"""Spec rules for the richer price forms (per second, per character, per
megapixel, price tables), for constraints across inputs and for import gaps.

Pure; each problem carries its own field path and says what to do.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.spec import ConstraintSpec, CostSpec, InputSpec

Problem = tuple[str, str]
# A duration enum value: 5, 5.5, "5", "10s", "8.5s".
SECONDS = re.compile(r"^(\d+(?:\.\d+)?)s?$")


def seconds_of(value: Any) -> str | None:
    """The number of seconds an enum value stands for (as text), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    match = SECONDS.fullmatch(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def resolve(inputs: Mapping[str, InputSpec], path: str) -> InputSpec | None:
    """The input (or object field) a path such as `image_size.width` names."""
    head, _, rest = path.partition(".")
    field = inputs.get(head)
    if field is None or not rest:
        return field
    if field.type != "object" or "." in rest:
        return None
    return (field.fields or {}).get(rest)


def enum_values(field: InputSpec) -> list[str] | None:
    """The keys of an input's fixed set of values (a boolean's or an enum's),
    as cost tables write them; None when it has none."""
    from generator.cross_checks import enum_key  # noqa: PLC0415 - import cycle

    if field.type == "boolean":
        return ["false", "true"]
    if field.enum is not None:
        return [enum_key(v) for v in field.enum]
    return None


def _values(field: InputSpec) -> list[str] | None:
    """enum_values, or an object input's preset names."""
    values = enum_values(field)
    if values is None and field.type == "object" and field.presets:
        return list(field.presets)
    return values


def _priced(inputs: Mapping[str, InputSpec], name: str, path: str) -> list[Problem]:
    field = inputs.get(name.partition(".")[0])
    if field is not None and not field.required and field.default is None:
        return [
            (
                f"inputs.{name.partition('.')[0]}",
                f"prices the run ({path}) but may be left out; give it a default "
                "or make it required",
            )
        ]
    return []


def _per_second(inputs: Mapping[str, InputSpec], name: str) -> list[Problem]:
    path = "cost.per_second"
    field = inputs.get(name)
    if field is None:
        return [(path, f"no input named {name!r}; use one of {sorted(inputs)}")]
    if field.enum is not None:
        bad = [v for v in field.enum if seconds_of(v) is None]
        if bad:
            return [
                (
                    path,
                    f"{name!r} has enum values {bad} that are not durations; use "
                    "numbers or strings like '5' or '8s'",
                )
            ]
    elif field.type not in ("integer", "number"):
        return [(path, f"{name!r} must be an integer or number input (seconds)")]
    return _priced(inputs, name, path)


def _per_characters(inputs: Mapping[str, InputSpec], cost: CostSpec) -> list[Problem]:
    assert cost.per_characters is not None
    name = cost.per_characters.input
    path = "cost.per_characters.input"
    field = inputs.get(name)
    if field is None or field.type != "string":
        return [(path, f"{name!r} must name a string input; inputs: {sorted(inputs)}")]
    return _priced(inputs, name, path)


def _per_megapixel(inputs: Mapping[str, InputSpec], cost: CostSpec) -> list[Problem]:
    rule = cost.per_megapixel
    assert rule is not None
    out: list[Problem] = []
    if rule.width is not None and rule.height is not None:
        for key, name in (("width", rule.width), ("height", rule.height)):
            field = resolve(inputs, name)
            if field is None or field.type != "integer":
                out.append(
                    (
                        f"cost.per_megapixel.{key}",
                        f"{name!r} must name an integer input or object field "
                        "(e.g. width or image_size.width)",
                    )
                )
            else:
                out += _priced(inputs, name, f"cost.per_megapixel.{key}")
        return out
    assert rule.input is not None and rule.sizes is not None
    path = "cost.per_megapixel.sizes"
    field = inputs.get(rule.input)
    allowed = None if field is None else _values(field)
    if field is None or allowed is None:
        return [
            (
                "cost.per_megapixel.input",
                f"{rule.input!r} must name an input with an enum or presets",
            )
        ]
    unknown = sorted(set(rule.sizes) - set(allowed))
    missing = [v for v in allowed if v not in rule.sizes]
    if unknown:
        out.append((path, f"{unknown} are not values of {rule.input!r}: {allowed}"))
    if missing:
        out.append((path, f"no size for {missing}; give every value [width, height]"))
    bad = [k for k, (w, h) in rule.sizes.items() if w <= 0 or h <= 0]
    if bad:
        out.append((path, f"sizes {bad} must be positive [width, height]"))
    if field.type == "object" and not {"width", "height"} <= set(field.fields or {}):
        out.append(
            (
                "cost.per_megapixel.input",
                f"{rule.input!r} also takes an object: give it integer fields width "
                "and height, which price an object value",
            )
        )
    return out + _priced(inputs, rule.input, "cost.per_megapixel.input")


def _table(inputs: Mapping[str, InputSpec], cost: CostSpec) -> list[Problem]:
    table = cost.table
    assert table is not None
    out: list[Problem] = []
    columns: list[list[str]] = []
    for name in table.inputs:
        field = inputs.get(name)
        values = None if field is None else _values(field)
        if values is None:
            out.append(
                (
                    "cost.table.inputs",
                    f"{name!r} must name an input with an enum (or a boolean); "
                    f"inputs: {sorted(inputs)}",
                )
            )
        else:
            columns.append(values)
            out += _priced(inputs, name, "cost.table")
    if out:
        return out
    combos = ["|".join(c) for c in itertools.product(*columns)]
    unknown = sorted(set(table.prices) - set(combos))
    missing = [c for c in combos if c not in table.prices]
    if unknown:
        out.append(
            (
                "cost.table.prices",
                f"{unknown[:5]} are not combinations of {table.inputs} "
                f"(values joined by '|', e.g. {combos[0]!r})",
            )
        )
    if missing:
        out.append(
            ("cost.table.prices", f"no price for {missing[:5]}; list every combination")
        )
    return out


def pricing_problems(
    inputs: Mapping[str, InputSpec], cost: CostSpec, skip: frozenset[str]
) -> list[Problem]:
    """Problems of the per-second / per-character / per-megapixel / table forms
    (rules naming an input in `skip` are left to that input's own problem)."""
    out: list[Problem] = []
    named = {
        "per_second": [cost.per_second] if cost.per_second else [],
        "per_characters": [cost.per_characters.input] if cost.per_characters else [],
        "table": list(cost.table.inputs) if cost.table else [],
    }
    if cost.per_megapixel is not None:
        rule = cost.per_megapixel
        named["per_megapixel"] = [
            n.partition(".")[0] for n in (rule.width, rule.height, rule.input) if n
        ]
    for form, names in named.items():
        if not names or set(names) & skip:
            continue
        if form == "per_second":
            out += _per_second(inputs, names[0])
        elif form == "per_characters":
            out += _per_characters(inputs, cost)
        elif form == "per_megapixel":
            out += _per_megapixel(inputs, cost)
        else:
            out += _table(inputs, cost)
    return out


def constraint_problems(
    inputs: Mapping[str, InputSpec],
    constraints: Sequence[ConstraintSpec],
    skip: frozenset[str],
) -> list[Problem]:
    out: list[Problem] = []
    for index, rule in enumerate(constraints):
        path = f"constraints.{index}.fields"
        for name in rule.fields:
            if name.partition(".")[0] in skip:
                continue
            field = resolve(inputs, name)
            if field is None:
                out.append(
                    (
                        path,
                        f"{name!r} is not an input (or object field); inputs: "
                        f"{sorted(inputs)}",
                    )
                )
            elif rule.rule != "at_least_one" and field.type not in (
                "integer",
                "number",
            ):
                out.append((path, f"{name!r} must be numeric for {rule.rule}"))
            elif rule.rule == "at_least_one" and field.required:
                out.append(
                    (
                        path,
                        f"{name!r} is required, so 'at least one of' always holds: "
                        "make it optional or drop the rule",
                    )
                )
    return out


def gap_problems(gaps: Sequence[str]) -> list[Problem]:
    return [
        (
            "gaps",
            f"{gap!r} could not be read from the provider's schema: fill it in, "
            "then remove it from gaps",
        )
        for gap in gaps
    ]

"""Turn `--set name=value` pairs into typed inputs using a model's SCHEMA. Pure.

Every bad pair is reported at once, each with the form its input expects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

LIST_FORM = (
    'a comma-separated list (--set NAME=a,b) or a JSON list (--set \'NAME=["a", "b"]\')'
)


class AssignmentError(ValueError):
    """Some `--set` pairs could not be read; `problems` maps each name (or the
    raw pair, when it has no name) to what is wrong and the form expected."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(
            "; ".join(f"{name}: {problem}" for name, problem in self.problems.items())
        )


def _range(prop: Mapping[str, Any]) -> str:
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def expected_form(name: str, prop: Mapping[str, Any] | None) -> str:
    """How to write a value for input `name` on the command line."""
    kind = prop.get("type") if prop is not None else None
    if prop is not None and "enum" in prop:
        values = ", ".join(
            v if isinstance(v, str) else json.dumps(v) for v in prop["enum"]
        )
        return f"one of {values}"
    if kind == "integer":
        return f"a whole number{_range(prop or {})} (--set {name}=1)"
    if kind == "number":
        return f"a number{_range(prop or {})} (--set {name}=0.5)"
    if kind == "boolean":
        return f"true or false (--set {name}=true)"
    if kind == "array":
        return LIST_FORM.replace("NAME", name)
    if kind == "object":
        fields = ", ".join((prop or {}).get("properties", {}))
        presets = (prop or {}).get("x-presets")
        preset = f" or a preset ({', '.join(presets)})" if presets else ""
        return f"a JSON object with {fields}{preset} (--set {name}='{{...}}')"
    return f"text (--set {name}='a fox in the snow')"


def _coerce(raw: str, prop: Mapping[str, Any] | None) -> Any:
    """The typed value; ValueError (with the detail, if any) when `raw` is not."""
    kind = prop.get("type") if prop is not None else None
    if kind == "integer":
        return int(raw)
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ValueError("")
    if kind == "array":
        if raw.lstrip().startswith("["):
            try:
                return json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not JSON: {exc.msg}") from None
        items = [item.strip() for item in raw.split(",") if item.strip()]
        item_prop = (prop or {}).get("items", {})
        return [_coerce(item, item_prop) for item in items]
    if kind == "object" and raw.lstrip().startswith("{"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
    return raw


def parse_assignments(
    pairs: Sequence[str], schema: Mapping[str, Any]
) -> dict[str, Any]:
    """{"prompt": "a fox", "seed": 10} from ["prompt=a fox", "seed=10"].

    Unknown names are kept as strings so the model's own validation names them.
    Raises AssignmentError listing every pair that cannot be read.
    """
    properties = schema.get("properties", {})
    inputs: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            problems[pair] = "not NAME=VALUE (--set prompt='a fox in the snow')"
            continue
        prop = properties.get(name)
        try:
            inputs[name] = _coerce(raw, prop)
        except ValueError as exc:
            detail = f" ({exc})" if prop and prop.get("type") == "array" else ""
            problems[name] = f"{raw!r} is not {expected_form(name, prop)}{detail}"
    if problems:
        raise AssignmentError(problems)
    return inputs


def parse_what_can_be_read(
    pairs: Sequence[str], schema: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The inputs that could be read and the problems of the rest, so a caller
    can validate the first and report both at once."""
    readable: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for pair in pairs:
        try:
            readable.update(parse_assignments([pair], schema))
        except AssignmentError as exc:
            problems.update(exc.problems)
    return readable, problems

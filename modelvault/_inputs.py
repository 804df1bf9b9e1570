"""Turn `--set name=value` pairs into typed inputs using a model's SCHEMA. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


class AssignmentError(ValueError):
    pass


def _coerce(name: str, raw: str, prop: Mapping[str, Any] | None) -> Any:
    kind = prop.get("type") if prop is not None else None
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        raise AssignmentError(f"{name}: {raw!r} is not a {kind}") from None
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise AssignmentError(f"{name}: {raw!r} is not true or false")
    if kind == "array":
        if raw.lstrip().startswith("["):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise AssignmentError(f"{name}: not a JSON list ({exc})") from None
            return value
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def parse_assignments(
    pairs: Sequence[str], schema: Mapping[str, Any]
) -> dict[str, Any]:
    """{"prompt": "a fox", "duration": 10} from ["prompt=a fox", "duration=10"].

    Unknown names are kept as strings so the model's own validation names them.
    """
    properties = schema.get("properties", {})
    inputs: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise AssignmentError(f"{pair!r} is not NAME=VALUE")
        inputs[name] = _coerce(name, raw, properties.get(name))
    return inputs

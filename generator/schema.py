"""Spec <-> (MODEL_CONFIG, SCHEMA): the two literals a model file carries.

Pure and lossless: `spec_from_literals(to_config(s), to_schema(s))` renders to the same
bytes as `s`, which is how a model file stays its own source of truth.
"""

from __future__ import annotations

from typing import Any

from generator.spec import InputSpec, ModelSpec, SpecError, parse_spec

# Spec input field -> JSON Schema / UI-hint key, as the origin product's UI reads them.
_PROPERTY_KEYS = (
    ("type", "type"),
    ("title", "title"),
    ("description", "description"),
    ("default", "default"),
    ("enum", "enum"),
    ("enum_labels", "enumLabels"),
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("max_length", "maxLength"),
    ("min_items", "minItems"),
    ("max_items", "maxItems"),
    ("renderer", "renderer"),
    ("advanced", "isAdvanced"),
    ("show_to_user", "showToUser"),
    ("provider_field", "x-provider-field"),
    ("multiple_of", "multipleOf"),
    ("presets", "x-presets"),
)
_ALWAYS = {"type", "title", "description", "advanced", "show_to_user"}


def to_config(spec: ModelSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "record_id": str(spec.effective_record_id),
        "name": spec.name,
        "group": spec.group.value,
        "content_type": spec.content_type,
        "provider": spec.provider.value,
        "provider_model": spec.provider_model,
        "endpoint": spec.endpoint,
        "api_key_env": spec.api_key_env,
        "docs_url": spec.docs_url,
        "estimated_seconds": spec.estimated_seconds,
        "polling": spec.polling.model_dump(mode="python"),
        "cost": _cost(spec),
        "payload_constants": dict(spec.payload_constants),
        "notes": spec.notes,
    }


def _cost(spec: ModelSpec) -> dict[str, Any]:
    """MODEL_CONFIG["cost"]: the three original keys always, the richer forms
    only when a spec uses them (older files keep their bytes)."""
    cost = spec.cost
    out: dict[str, Any] = {
        "base": str(cost.base),
        "multipliers": {
            param: {value: str(m) for value, m in table.items()}
            for param, table in cost.multipliers.items()
        },
        "per_unit": list(cost.per_unit),
    }
    if cost.per_second is not None:
        out["per_second"] = cost.per_second
    if cost.per_characters is not None:
        out["per_characters"] = cost.per_characters.model_dump(mode="python")
    if cost.per_megapixel is not None:
        rule = cost.per_megapixel.model_dump(mode="python", exclude_none=True)
        if "sizes" in rule:
            rule["sizes"] = {k: list(v) for k, v in rule["sizes"].items()}
        out["per_megapixel"] = rule
    if cost.table is not None:
        out["table"] = {
            "inputs": list(cost.table.inputs),
            "prices": {k: str(v) for k, v in cost.table.prices.items()},
        }
    return out


def _property(field: InputSpec) -> dict[str, Any]:
    prop: dict[str, Any] = {}
    for spec_key, schema_key in _PROPERTY_KEYS:
        value = getattr(field, spec_key)
        if spec_key in _ALWAYS or value is not None:
            prop[schema_key] = value
        if spec_key == "type" and value == "array":
            prop["items"] = {"type": field.items or "string"}
    if field.type == "object":
        fields = field.fields or {}
        prop["properties"] = {name: _property(f) for name, f in fields.items()}
        prop["required"] = [name for name, f in fields.items() if f.required]
    return prop


def _field_data(prop: dict[str, Any], required: bool) -> dict[str, Any]:
    field: dict[str, Any] = {}
    for spec_key, schema_key in _PROPERTY_KEYS:
        if schema_key in prop:
            field[spec_key] = prop[schema_key]
    if prop.get("type") == "array" and prop.get("items", {}).get("type") != "string":
        field["items"] = prop["items"]["type"]
    if prop.get("type") == "object":
        inner = set(prop.get("required", []))
        field["fields"] = {
            name: _field_data(sub, name in inner)
            for name, sub in prop.get("properties", {}).items()
        }
    field["required"] = required
    return field


def to_schema(spec: ModelSpec) -> dict[str, Any]:
    ordered = spec.ordered_inputs()
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: _property(field) for name, field in ordered},
        "required": [name for name, field in ordered if field.required],
        "additionalProperties": False,
        "x-order": [name for name, _ in ordered],
    }
    if spec.image_input_field is not None:
        schema["imageInputField"] = spec.image_input_field
    if spec.constraints:
        schema["x-constraints"] = [
            c.model_dump(mode="python", exclude_none=True) for c in spec.constraints
        ]
    return schema


def spec_data_from_literals(
    config: dict[str, Any], schema: dict[str, Any]
) -> dict[str, Any]:
    """Rebuild spec data (the dict a contributor would write) from a file's literals."""
    inputs: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for position, name in enumerate(schema["x-order"]):
        field = _field_data(schema["properties"][name], name in required)
        field["order"] = position
        inputs[name] = field
    data: dict[str, Any] = {
        key: config[key]
        for key in (
            "id",
            "record_id",
            "name",
            "group",
            "provider",
            "provider_model",
            "endpoint",
            "api_key_env",
            "docs_url",
            "estimated_seconds",
            "polling",
            "cost",
        )
    }
    data["inputs"] = inputs
    if "imageInputField" in schema:
        data["image_input_field"] = schema["imageInputField"]
    if "x-constraints" in schema:
        data["constraints"] = schema["x-constraints"]
    data["payload_constants"] = config["payload_constants"]
    data["notes"] = config["notes"]
    return data


def spec_from_literals(
    config: dict[str, Any], schema: dict[str, Any], source: str = "model file"
) -> ModelSpec:
    try:
        data = spec_data_from_literals(config, schema)
    except (KeyError, TypeError) as exc:
        raise SpecError(
            [("MODEL_CONFIG/SCHEMA", f"missing or malformed entry {exc}")], source
        ) from None
    return parse_spec(data, source)

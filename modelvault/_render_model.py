"""`modelvault show`: one model as a sheet that fits the terminal. Pure.

Every line fits `width` (long values wrap; a single word longer than the line,
such as a URL, is left whole rather than broken). An input is "required" only
when a run needs it from the user: one with a default runs without it.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from typing import Any

from modelvault._catalog import ModelInfo
from modelvault._inputs import LIST_FORM
from modelvault._pricing import Price, price, price_text

MIN_WIDTH = 30
DETAIL = " " * 6  # indent of an input's details


def _plain(value: Any) -> Any:
    """A model file's frozen value (mapping proxy, tuple) as plain JSON data."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(_plain(value), ensure_ascii=False)


def _wrap(text: str, width: int, indent: str, later: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, len(indent) + 10),
        initial_indent=indent,
        subsequent_indent=indent if later is None else later,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def needs_value(name: str, prop: Mapping[str, Any], schema: Mapping[str, Any]) -> bool:
    """True when a run fails without this input (required, and no default)."""
    return name in schema.get("required", ()) and "default" not in prop


def _limits(prop: Mapping[str, Any]) -> list[str]:
    out = []
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None and high is not None:
        out.append(f"{low} to {high}")
    elif low is not None:
        out.append(f"at least {low}")
    elif high is not None:
        out.append(f"at most {high}")
    if "maxLength" in prop:
        out.append(f"up to {prop['maxLength']} characters")
    if prop.get("type") == "array":
        low_items, high_items = prop.get("minItems"), prop.get("maxItems")
        if low_items is not None or high_items is not None:
            out.append(f"{low_items or 0} to {high_items or 'any number of'} items")
    return out


def _input_lines(
    name: str, prop: Mapping[str, Any], schema: Mapping[str, Any], width: int
) -> list[str]:
    mark = "*" if needs_value(name, prop, schema) else ""
    kind = str(prop["type"])
    if kind == "array":
        kind = f"list of {prop.get('items', {}).get('type', 'value')}s"
    title = prop.get("title", name) + (" (advanced)" if prop.get("isAdvanced") else "")
    lines = _wrap(f"{name}{mark}  {kind}  {title}", width, "  ", DETAIL)
    details = []
    if prop.get("description"):
        details.append(str(prop["description"]))
    if "default" in prop:
        details.append(f"default: {_show(prop['default'])}")
    details += _limits(prop)
    for detail in details:
        lines += _wrap(detail, width, DETAIL)
    labels = prop.get("enumLabels") or {}
    if "enum" in prop and labels:
        lines.append(f"{DETAIL}one of:")
        values = [_show(v) for v in prop["enum"]]
        column = max(len(v) for v in values) + 2
        for value in values:
            label = labels.get(value, "")
            lines += _wrap(
                f"{value.ljust(column)}{label}".rstrip(),
                width,
                DETAIL + "  ",
                DETAIL + "  " + " " * column,
            )
    elif "enum" in prop:
        allowed = ", ".join(_show(v) for v in prop["enum"])
        lines += _wrap(f"one of: {allowed}", width, DETAIL, DETAIL + "  ")
    if prop["type"] == "array":
        lines += _wrap(LIST_FORM.replace("NAME", name), width, DETAIL)
    return lines


def _cost_lines(config: Mapping[str, Any], found: Price, width: int) -> list[str]:
    cost = config["cost"]
    headline = f"Cost (credits): {price_text(found)}"
    if found.default is not None:
        headline += " for a run with the defaults"
    lines = _wrap(headline, width, "", "  ")
    table = cost.get("table")
    if table is not None:
        entries = ", ".join(f"{key} {value}" for key, value in table["prices"].items())
        factors = [f"price by {' | '.join(table['inputs'])}: {entries}"]
    else:
        factors = [f"base {cost['base']}"]
    for param, multipliers in cost["multipliers"].items():
        steps = ", ".join(f"{value} x{m}" for value, m in multipliers.items())
        factors.append(f"x {param} ({steps})")
    factors += [f"x {param} (per unit)" for param in cost["per_unit"]]
    factors += _per_lines(cost)
    for factor in factors:
        lines += _wrap(factor, width, "  ", "    ")
    return lines


def _per_lines(cost: Mapping[str, Any]) -> list[str]:
    """The factors that grow with the output or the text."""
    lines: list[str] = []
    if cost.get("per_second") is not None:
        lines.append(f"x seconds of {cost['per_second']} (per second)")
    rule = cost.get("per_characters")
    if rule is not None:
        block = "character" if rule["per"] == 1 else f"{rule['per']:,} characters"
        started = ", a started block counts whole" if rule.get("round") == "up" else ""
        lines.append(f"x per {block} of {rule['input']}{started}")
    rule = cost.get("per_megapixel")
    if rule is not None:
        source = rule.get("input") or f"{rule['width']} x {rule['height']}"
        up = ", rounded up" if rule.get("round") == "up" else ""
        lines.append(f"x megapixels of {source}{up}")
    return lines


def model_sheet(
    info: ModelInfo, config: Mapping[str, Any], schema: Any, width: int = 100
) -> str:
    width = max(width, MIN_WIDTH)
    lock = (
        f"locked (body-sha256 {info.body_sha256[:12]}…)" if info.locked else "unlocked"
    )
    facts = [
        ("group", f"{info.group} ({info.content_type})"),
        ("provider", f"{info.provider}: {info.provider_model}"),
        ("endpoint", str(config["endpoint"])),
        ("api key", f"${info.api_key_env}"),
        ("docs", str(config["docs_url"])),
        (
            "estimated",
            f"~{info.estimated_seconds} s; gives up after "
            f"{config['polling']['timeout_s']} s",
        ),
        ("lock", lock),
        ("record id", info.record_id),
    ]
    lines = _wrap(f"{info.name} ({info.id})", width, "")
    for label, value in facts:
        lines += _wrap(f"{label:<10} {value}", width, "  ", " " * 13)
    lines += ["", *_wrap("Inputs (--set NAME=VALUE; * = a run needs it)", width, "")]
    for name in schema["x-order"]:
        lines += _input_lines(name, schema["properties"][name], schema, width)
    lines += ["", *_cost_lines(config, price(config, schema), width)]
    if config.get("notes"):
        lines += ["", "Notes"]
        for paragraph in str(config["notes"]).splitlines():
            lines += _wrap(paragraph, width, "  ") if paragraph.strip() else [""]
    return "\n".join(lines)

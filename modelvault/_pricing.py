"""What a model costs before anyone picks inputs: a run with the defaults, and the
cheapest run. Pure: read from MODEL_CONFIG["cost"] and SCHEMA, by the same rules
as the model file's calculate_cost (the price table's entry or the base, x each
multiplier, unit count, second and megapixel, rounded half-up to cents). A price
per character cannot be known before the text is: it is shown per block."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

_CENT = Decimal("0.01")
_MEGA = Decimal(1_000_000)


def _key(value: Any) -> str:
    """A cost table's key for an input value (the model files' _enum_key)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def _rounded(credits: Decimal) -> Decimal:
    return credits.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Price:
    """`default`: one run with every default input (None when a priced input
    has no default); `cheapest`: the least any inputs cost; `unit`: what both
    are per, when the price grows with the text ("1000 characters of text")."""

    default: Decimal | None
    cheapest: Decimal
    unit: str | None = None

    @property
    def varies(self) -> bool:
        return self.default is None or self.cheapest != self.default


class _Factors:
    """The running default and cheapest figures."""

    def __init__(self, default: Decimal | None, cheapest: Decimal) -> None:
        self.default = default
        self.cheapest = cheapest

    def times(self, default: Decimal | None, cheapest: Decimal) -> None:
        self.default = (
            None
            if self.default is None or default is None
            else (self.default * default)
        )
        self.cheapest *= cheapest


def _seconds(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = value.removesuffix("s") if isinstance(value, str) else repr(value)
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def _at(properties: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    head, _, rest = path.partition(".")
    prop: Mapping[str, Any] = properties.get(head, {})
    if not rest:
        return prop
    inner: Mapping[str, Any] = prop.get("properties", {}).get(rest, {})
    return inner


def _megapixels(width: Any, height: Any, up: bool) -> Decimal | None:
    if not isinstance(width, int) or not isinstance(height, int):
        return None
    value = Decimal(width * height) / _MEGA
    return value.to_integral_value(rounding=ROUND_CEILING) if up else value


def _min_of(values: Iterable[Decimal | None]) -> Decimal:
    found = [v for v in values if v is not None]
    return min(found) if found else Decimal(1)


def _start(cost: Mapping[str, Any], properties: Mapping[str, Any]) -> _Factors:
    table = cost.get("table")
    if table is None:
        base = Decimal(str(cost["base"]))
        return _Factors(base, base)
    picked = []
    for name in table["inputs"]:
        prop = properties.get(name, {})
        picked.append(_key(prop["default"]) if "default" in prop else None)
    prices = {k: Decimal(str(v)) for k, v in table["prices"].items()}
    default = None if None in picked else prices.get("|".join(map(str, picked)))
    return _Factors(default, min(prices.values()))


def _per_megapixel(
    rule: Mapping[str, Any], properties: Mapping[str, Any]
) -> tuple[Decimal | None, Decimal]:
    up = rule.get("round") == "up"
    if "sizes" in rule:
        sizes = {k: _megapixels(w, h, up) for k, (w, h) in rule["sizes"].items()}
        prop = properties.get(rule["input"], {})
        default = prop.get("default")
        if isinstance(default, Mapping):
            chosen = _megapixels(default.get("width"), default.get("height"), up)
        else:
            chosen = None if default is None else sizes.get(_key(default))
        return chosen, _min_of(sizes.values())
    width, height = _at(properties, rule["width"]), _at(properties, rule["height"])
    default = _megapixels(width.get("default"), height.get("default"), up)
    least = _megapixels(width.get("minimum", 1), height.get("minimum", 1), up)
    return default, least or Decimal(0)


def price(config: Mapping[str, Any], schema: Mapping[str, Any]) -> Price:
    cost = config["cost"]
    properties = schema["properties"]
    figures = _start(cost, properties)
    for param, table in cost["multipliers"].items():
        factors = {key: Decimal(str(m)) for key, m in table.items()}
        prop = properties.get(param, {})
        chosen = factors.get(_key(prop["default"])) if "default" in prop else None
        figures.times(chosen, min(factors.values()))
    for param in cost["per_unit"]:
        prop = properties.get(param, {})
        units = prop.get("default")
        figures.times(
            None if units is None else Decimal(str(units)),
            Decimal(str(prop.get("minimum", 1))),
        )
    if cost.get("per_second") is not None:
        prop = properties.get(cost["per_second"], {})
        choices = [_seconds(v) for v in prop.get("enum", [])]
        least = _min_of(choices) if choices else _seconds(prop.get("minimum", 1))
        figures.times(_seconds(prop.get("default")), least or Decimal(1))
    if cost.get("per_megapixel") is not None:
        figures.times(*_per_megapixel(cost["per_megapixel"], properties))
    unit = None
    rule = cost.get("per_characters")
    if rule is not None:
        per = int(rule["per"])
        unit = (
            f"{per:,} characters of {rule['input']}"
            if per > 1
            else (f"character of {rule['input']}")
        )
    return Price(
        default=None if figures.default is None else _rounded(figures.default),
        cheapest=_rounded(figures.cheapest),
        unit=unit,
    )


def price_text(found: Price) -> str:
    """ "11.25 (from 5)": the default run, and the cheapest when it is less;
    "0.3 per 1,000 characters of text" when the text decides."""
    per = f" per {found.unit}" if found.unit else ""
    if found.default is None:
        return f"from {_plain(found.cheapest)}{per}"
    if found.cheapest < found.default:
        return f"{_plain(found.default)}{per} (from {_plain(found.cheapest)})"
    return _plain(found.default) + per


def _plain(credits: Decimal) -> str:
    """5.00 -> "5", 0.30 -> "0.3": as the registry writes base costs."""
    return format(credits.normalize(), "f")

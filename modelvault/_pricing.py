"""What a model costs before anyone picks inputs: a run with the defaults, and the
cheapest run. Pure: read from MODEL_CONFIG["cost"] and SCHEMA, by the same rule
as the model file's calculate_cost (base x each multiplier x each unit count,
rounded half-up to cents)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_CENT = Decimal("0.01")


def _key(value: Any) -> str:
    """A cost table's key for an input value (the model files' _enum_key)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def _rounded(credits: Decimal) -> Decimal:
    return credits.quantize(_CENT, rounding=ROUND_HALF_UP)


def _product(factors: Iterable[Decimal]) -> Decimal:
    out = Decimal(1)
    for factor in factors:
        out *= factor
    return out


@dataclass(frozen=True)
class Price:
    """`default`: one run with every default input (None when a priced input
    has no default); `cheapest`: the least any inputs cost."""

    default: Decimal | None
    cheapest: Decimal

    @property
    def varies(self) -> bool:
        return self.default is None or self.cheapest != self.default


def price(config: Mapping[str, Any], schema: Mapping[str, Any]) -> Price:
    cost = config["cost"]
    base = Decimal(str(cost["base"]))
    properties = schema["properties"]
    tables = {
        param: {key: Decimal(str(m)) for key, m in table.items()}
        for param, table in cost["multipliers"].items()
    }
    default: Decimal | None = base
    for param, table in tables.items():
        prop = properties.get(param, {})
        factor = table.get(_key(prop["default"])) if "default" in prop else None
        default = None if default is None or factor is None else default * factor
    cheapest = base * _product(min(table.values()) for table in tables.values())
    for param in cost["per_unit"]:
        prop = properties.get(param, {})
        units = prop.get("default")
        if default is not None:
            default = None if units is None else default * Decimal(str(units))
        cheapest *= Decimal(str(prop.get("minimum", 1)))
    return Price(
        default=None if default is None else _rounded(default),
        cheapest=_rounded(cheapest),
    )


def price_text(found: Price) -> str:
    """ "11.25 (from 5)": the default run, and the cheapest when it is less."""
    if found.default is None:
        return f"from {_plain(found.cheapest)}"
    if found.cheapest < found.default:
        return f"{_plain(found.default)} (from {_plain(found.cheapest)})"
    return _plain(found.default)


def _plain(credits: Decimal) -> str:
    """5.00 -> "5", 0.30 -> "0.3": as the registry writes base costs."""
    return format(credits.normalize(), "f")

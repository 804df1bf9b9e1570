"""`modelvault list`'s prices (default inputs, cheapest inputs) for the richer
price forms, against hand-worked figures, without importing a model file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modelvault._pricing import price, price_text


def _config(**cost: Any) -> dict[str, Any]:
    return {"cost": {"base": "20", "multipliers": {}, "per_unit": [], **cost}}


def test_per_second_takes_the_default_and_the_shortest_duration() -> None:
    schema = {"properties": {"duration": {"enum": ["4s", "6s", "8s"], "default": "8s"}}}
    found = price(_config(per_second="duration"), schema)
    assert (found.default, found.cheapest) == (Decimal("160.00"), Decimal("80.00"))
    assert price_text(found) == "160 (from 80)"


def test_a_price_table_lists_its_default_entry_and_its_least() -> None:
    schema = {
        "properties": {
            "resolution": {"enum": ["720p", "1080p"], "default": "1080p"},
            "duration": {"enum": [5, 10], "default": 5},
        }
    }
    table = {
        "inputs": ["resolution", "duration"],
        "prices": {"720p|5": "30", "720p|10": "55", "1080p|5": "70", "1080p|10": "130"},
    }
    found = price(_config(base="0", table=table), schema)
    assert (found.default, found.cheapest) == (Decimal("70.00"), Decimal("30.00"))


def test_per_megapixel_from_presets_and_from_sides() -> None:
    sizes = {"square_hd": [1024, 1024], "landscape_4_3": [1024, 768]}
    schema = {"properties": {"image_size": {"default": "square_hd"}}}
    rule = {"input": "image_size", "sizes": sizes, "round": "up"}
    found = price(_config(base="2.5", per_megapixel=rule), schema)
    assert (found.default, found.cheapest) == (Decimal("5.00"), Decimal("2.50"))
    sides = {
        "properties": {
            "width": {"default": 1500, "minimum": 500},
            "height": {"default": 1000, "minimum": 500},
        }
    }
    exact = {"width": "width", "height": "height"}
    found = price(_config(base="2", per_megapixel=exact), sides)
    assert (found.default, found.cheapest) == (Decimal("3.00"), Decimal("0.50"))


def test_a_price_per_characters_is_shown_per_block() -> None:
    rule = {"input": "text", "per": 1000, "round": "up"}
    found = price(_config(base="6", per_characters=rule), {"properties": {}})
    assert price_text(found) == "6 per 1,000 characters of text"

"""`list`, `show`, `info` and `status` without an id, as a person reads them."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import modelvault
from modelvault._cli_text import close_ids
from modelvault._pricing import price
from modelvault._render_model import model_sheet, needs_value

MODEL_IDS = [m.id for m in modelvault.list_models()]


def _modelvault(
    *args: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MODELVAULT_DB": str(tmp_path / "g.sqlite3"), **env}
    return subprocess.run(
        [sys.executable, "-m", "modelvault", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def _required_filled(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A value for every input a run needs, of the right type."""
    out: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if not needs_value(name, prop, schema):
            continue
        if prop["type"] == "array":
            out[name] = ["https://images.test/a.png"]
        elif prop.get("renderer") == "image" or "url" in name or "image" in name:
            out[name] = "https://images.test/a.png"
        else:
            out[name] = "a fox in the snow"
    return out


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_list_price_is_what_the_model_file_charges(model_id: str) -> None:
    module = modelvault.get(model_id)
    found = price(module.MODEL_CONFIG, module.SCHEMA)
    inputs = _required_filled(module.SCHEMA)
    assert found.default == module.calculate_cost(inputs)
    cost = module.MODEL_CONFIG["cost"]
    props = module.SCHEMA["properties"]
    # Every input the price reads, by brute force: each value of an enum (a
    # multiplier, a price-table column, a duration enum priced per second), both
    # booleans, the minimum of a numeric duration priced per second.
    priced = [*cost["multipliers"], *cost.get("table", {}).get("inputs", ())]
    if "per_second" in cost:
        priced.append(cost["per_second"])
    choices = [
        [(p, v) for v in props[p]["enum"]]
        if "enum" in props[p]
        else [(p, False), (p, True)]
        if props[p]["type"] == "boolean"
        else [(p, props[p]["minimum"])]
        for p in dict.fromkeys(priced)
    ]
    units = {p: props[p].get("minimum", 1) for p in cost["per_unit"]}
    cheapest = min(
        module.calculate_cost({**inputs, **dict(combo), **units})
        for combo in itertools.product(*choices)
    )
    assert found.cheapest == cheapest


def test_list_shows_the_default_run_and_from(tmp_path: Path) -> None:
    result = _modelvault("list", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    row = next(
        line for line in result.stdout.splitlines() if line.startswith("seedance-v1-")
    )
    assert "11.25 (from 5)" in row
    assert "CREDITS: one run with the default inputs" in result.stdout
    rows = json.loads(_modelvault("list", "--json", tmp_path=tmp_path).stdout)
    lite = next(r for r in rows if r["id"] == "seedance-v1-lite")
    assert (lite["default_cost"], lite["cheapest_cost"]) == ("11.25", "5.00")


def _too_wide(text: str, columns: int) -> list[str]:
    """Lines wider than `columns`, except a single word (a URL) that cannot wrap."""
    return [
        line
        for line in text.splitlines()
        if len(line) > columns and " " in line.strip()
    ]


@pytest.mark.parametrize("columns", [100, 40])
@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_show_sheet_fits_the_width(model_id: str, columns: int) -> None:
    module = modelvault.get(model_id)
    info = modelvault.describe(model_id)
    sheet = model_sheet(info, module.MODEL_CONFIG, module.SCHEMA, columns)
    assert _too_wide(sheet, columns) == []


@pytest.mark.parametrize("columns", [100, 40])
def test_show_uses_the_terminal_width(columns: int, tmp_path: Path) -> None:
    result = _modelvault(
        "show",
        "minimax-speech-02-turbo-replicate",
        tmp_path=tmp_path,
        COLUMNS=str(columns),
    )
    assert result.returncode == 0, result.stderr
    assert _too_wide(result.stdout, columns) == []
    assert max(len(line) for line in result.stdout.splitlines()) > columns - 10


def test_show_marks_required_only_what_a_run_needs() -> None:
    module = modelvault.get("elevenlabs-tts-multilingual-v2")
    assert "voice" in module.SCHEMA["required"]  # the provider needs it ...
    sheet = model_sheet(
        modelvault.describe("elevenlabs-tts-multilingual-v2"),
        module.MODEL_CONFIG,
        module.SCHEMA,
        100,
    )
    assert "  text*  string  Text" in sheet
    assert "  voice  string  Voice" in sheet  # ... but it has a default
    assert "default: EkK5I93UQWFDigLMpZcX" in sheet
    assert "EkK5I93UQWFDigLMpZcX  James - Husky, Engaging and Bold" in sheet
    # ... so a run without it is valid.
    assert modelvault.cost("elevenlabs-tts-multilingual-v2", {"text": "hi"}) > 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("veo", "google-veo-3-1-fast"),
        ("flux", "flux-1-schnell-fal"),
        ("seedance lite", "seedance-v1-lite"),
        ("google-veo-3-1-fats", "google-veo-3-1-fast"),
    ],
)
def test_unknown_model_suggests_ids_containing_what_was_typed(
    typed: str, expected: str
) -> None:
    assert expected in close_ids(typed, MODEL_IDS)


def test_show_veo_suggests_the_veo_models(tmp_path: Path) -> None:
    result = _modelvault("show", "veo", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: no model 'veo' in the catalog; did you mean"
    )
    assert "google-veo-3-1-fast" in result.stderr
    assert "google-veo-3-1-hq" in result.stderr


def test_info_and_status_say_where_the_database_is(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    info = _modelvault("info", tmp_path=tmp_path, KIE_API_KEY="sk-never-shown")
    assert info.returncode == 0, info.stderr
    assert f"database   {db}" in info.stdout
    assert "KIE_API_KEY set" in info.stdout and "sk-never-shown" not in info.stdout
    before = _modelvault("status", tmp_path=tmp_path)
    assert before.returncode == 0
    assert f"database {db}: none yet" in before.stdout
    started = _modelvault(
        "run",
        "seedance-v1-lite",
        "--set",
        "prompt=a fox",
        "--fake",
        "--no-wait",
        tmp_path=tmp_path,
    )
    assert started.returncode == 0, started.stderr
    after = _modelvault("status", tmp_path=tmp_path)
    assert after.stdout.splitlines()[0] == f"database {db}"
    assert "seedance-v1-lite  processing" in after.stdout
    assert "`modelvault resume` continues them" in after.stdout
    missing = _modelvault("status", "no-such-id", tmp_path=tmp_path)
    assert missing.returncode == 1
    assert f"no generation 'no-such-id' in {db}" in missing.stderr


def test_default_cost_rounds_like_the_model_files() -> None:
    config = {
        "cost": {"base": "18", "multipliers": {"d": {"2": "0.47"}}, "per_unit": []}
    }
    schema = {"properties": {"d": {"type": "string", "enum": ["2"], "default": "2"}}}
    assert price(config, schema).default == Decimal("8.46")

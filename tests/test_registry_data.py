"""registry.py read as data (modelvault._registry): the generator's layout on the
fast path, anything else through `ast` literals, code never run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelvault._registry import RegistryError, _ast_parse, _fast_parse, parse_registry

REPO = Path(__file__).resolve().parents[1]


def _text() -> str:
    return (REPO / "registry.py").read_text("utf-8")


def test_the_fast_path_reads_the_checked_in_registry_as_ast_does() -> None:
    fast = _fast_parse(_text())
    assert fast is not None
    assert fast == _ast_parse(_text())
    models, records = fast
    assert {entry["record_id"] for entry in models.values()} == set(records)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("    },\n", "    },  # a comment\n", 1),
        lambda t: t.replace('"base_cost": "', '"base_cost": \'', 1).replace(
            '",\n        "api_key_env"', '\',\n        "api_key_env"', 1
        ),
        lambda t: t.replace("MODELS = {\n", "MODELS = {  \n", 1),
    ],
    ids=["comment", "single-quotes", "trailing-space"],
)
def test_other_layouts_fall_back_to_ast_and_mean_the_same(edit: object) -> None:
    changed = edit(_text())  # type: ignore[operator]
    assert changed != _text()
    fast = _fast_parse(changed)
    assert fast is None or fast == _ast_parse(changed)  # quotes: still fast
    assert parse_registry(changed.encode()) == _ast_parse(_text())


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("import os\n", "neither MODELS"),
        ("MODELS['x'] = {}\n", "neither MODELS"),
        ("RECORD_IDS = {1: 2}\n", "RECORD_IDS"),
    ],
)
def test_code_in_a_registry_is_refused_never_run(extra: str, problem: str) -> None:
    text = _text().replace("\nRECORD_IDS = {", "\nRECORD_IDS_OLD = {", 1)
    text = text if "RECORD_IDS =" in extra else _text()
    with pytest.raises(RegistryError, match=re.escape(problem)):
        parse_registry((text + extra).encode())


def test_a_registry_whose_bytes_mean_another_text_is_refused() -> None:
    declared = "# -*- coding: latin-1 -*-\n" + _text()
    with pytest.raises(RegistryError, match="encoding declaration"):
        parse_registry(declared.encode())
    with pytest.raises(RegistryError, match="byte order mark"):
        parse_registry(b"\xef\xbb\xbf" + _text().encode())

"""registry.py split back into per-model parts for `verify` (generator.derived):
the fast split agrees with the regular expressions, and anything out of the
generator's layout is not trusted."""

from __future__ import annotations

from pathlib import Path

from generator.derived import (
    RegistryText,
    _parse_registry_slowly,
    _split_registry,
    parse_registry_text,
    patch_registry,
)
from generator.outputs import assemble_registry

REPO = Path(__file__).resolve().parents[1]


def test_split_and_regular_expressions_agree_on_the_registry() -> None:
    text = (REPO / "registry.py").read_text("utf-8")
    fast = _split_registry(text)
    assert fast is not None and fast == _parse_registry_slowly(text)
    assert assemble_registry(fast.blocks, fast.record_lines) == text


def test_out_of_order_or_edited_registries_are_not_trusted() -> None:
    text = (REPO / "registry.py").read_text("utf-8")
    parsed = parse_registry_text(text)
    assert parsed is not None
    first, second = sorted(parsed.blocks)[:2]
    swapped = text.replace(parsed.blocks[first], "\0").replace(
        parsed.blocks[second], parsed.blocks[first]
    )
    swapped = swapped.replace("\0", parsed.blocks[second])
    assert parse_registry_text(swapped) is None  # not what the generator writes
    assert parse_registry_text(text.replace("MODELS = {", "MODELS  = {")) is None
    assert parse_registry_text(text + "\nEXTRA = 1\n") is None


def test_an_empty_catalog_parses_and_patches() -> None:
    empty = parse_registry_text(assemble_registry({}, {}))
    assert empty == RegistryText({}, {}, {})
    patched, clashes = patch_registry(empty, [])
    assert patched == empty and clashes == []

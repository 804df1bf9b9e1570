"""generator.literals: spec values become inert Python literals that round-trip and
are already in the shape `ruff format` keeps."""

from __future__ import annotations

import ast
import io
import math
import tokenize
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import ruff
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.literals import literal, string_literal

# Every code point but surrogates (they cannot be encoded in a UTF-8 source file).
TEXT = st.text(st.characters(codec="utf-8"))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
LEAVES = st.none() | st.booleans() | st.integers() | FLOATS | TEXT
JSON_LIKE = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=16,
)

NASTY_STRINGS = [
    "",
    "plain",
    "it's",
    'say "hi"',
    "both ' and \"",
    "'''",
    '"""',
    '"""; import os; os.system("x") #',
    "'''; import os; os.system('x') #",
    "back\\slash \\n not a newline \\",
    "trailing backslash\\",
    "new\nline\r\ncrlf\ttab",
    "# not a comment",
    "{{ config_literal }} {% raw %} {# x #}",
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f",
    "\x85\xa0\xad",
    "line\u2028separator\u2029paragraph",
    "\ufeffbom \u200bzero-width \u200d joiner \u202eright-to-left",
    "emoji 🎉 👩‍👩‍👧 \U0001d54f and CJK 中文 and é",
    "\U0010ffff \ue000 \ufffe",
    "f\"{__import__('os')}\"",
]


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return [
        token
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]


@given(JSON_LIKE)
@settings(max_examples=300, deadline=None)
def test_literal_round_trips(value: Any) -> None:
    source = literal(value)
    assert ast.literal_eval(source) == value


@given(JSON_LIKE, st.integers(min_value=0, max_value=3))
@settings(max_examples=100, deadline=None)
def test_literal_at_any_depth_is_one_expression(value: Any, depth: int) -> None:
    source = literal(value, depth=depth)
    # A single expression, nothing else: ast accepts it as an eval-mode module.
    tree = ast.parse(source, mode="eval")
    assert ast.literal_eval(tree) == value


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_string_literal_is_a_single_string_token(text: str) -> None:
    source = string_literal(text)
    tokens = _tokens(source)
    assert [token.type for token in tokens] == [tokenize.STRING]
    assert ast.literal_eval(source) == text
    # One physical line, only printable characters: nothing a reader can miss.
    assert source.isprintable()


@pytest.mark.parametrize("text", NASTY_STRINGS)
def test_nasty_strings_are_inert(text: str) -> None:
    source = string_literal(text)
    assert ast.literal_eval(source) == text
    assert [token.type for token in _tokens(source)] == [tokenize.STRING]
    assert "\n" not in source
    assert "\u2028" not in source
    assert "\x00" not in source
    # As a value in a container too.
    assert ast.literal_eval(literal({text: [text]})) == {text: [text]}


def test_quote_choice_follows_ruff() -> None:
    assert string_literal("plain") == '"plain"'
    assert string_literal("it's") == '"it\'s"'
    assert string_literal('say "hi"') == "'say \"hi\"'"
    assert string_literal("one ' one \"") == '"one \' one \\""'


def test_containers_are_exploded_with_trailing_commas() -> None:
    assert literal({"a": [1, {"b": None}], "c": {}}) == (
        '{\n    "a": [\n        1,\n        {\n            "b": None,\n        },\n'
        '    ],\n    "c": {},\n}'
    )
    assert literal([]) == "[]"
    assert literal(("x",)) == '[\n    "x",\n]'


def test_decimals_render_as_strings() -> None:
    assert literal(Decimal("0.25")) == '"0.25"'
    assert literal({"base": Decimal("10.0")}) == '{\n    "base": "10.0",\n}'


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        literal({"x": value})


@pytest.mark.parametrize("value", [{1: "a"}, {None: "a"}, {("a",): 1}])
def test_non_string_keys_are_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="keys must be strings"):
        literal(value)


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", 1j])
def test_unknown_types_are_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="cannot render"):
        literal(value)


def _ruff_format_diff(source: str, tmp_path: Path) -> str:
    path = tmp_path / "sample.py"
    path.write_text(source, "utf-8")
    result = ruff("format", "--diff", str(path))
    assert result.returncode in (0, 1), result.stderr
    return result.stdout if result.returncode else ""


@given(values=st.lists(JSON_LIKE, min_size=20, max_size=20))
@example(values=[1e16, -1.5e300, 1e-05, 2.5e-300])
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_literal_output_is_ruff_format_stable(
    values: list[Any], tmp_path: Path
) -> None:
    source = "".join(f"X{i} = {literal(v)}\n" for i, v in enumerate(values))
    source += "".join(
        f"Y{i} = {{\n    {string_literal('k')}: {literal(v, depth=1)},\n}}\n"
        for i, v in enumerate(values)
    )
    assert _ruff_format_diff(source, tmp_path) == ""


@pytest.mark.parametrize("value", [1e16, 1.0e20, -3e300, 1e-7])
def test_float_exponents_are_written_as_ruff_writes_them(
    value: float, tmp_path: Path
) -> None:
    # Specs may carry such numbers (payload_constants, minimum/maximum, defaults);
    # the rendered model file must still pass `ruff format --check`.
    source = f"X = {literal(value)}\n"
    assert ast.literal_eval(literal(value)) == value
    assert _ruff_format_diff(source, tmp_path) == ""


def test_nasty_strings_are_ruff_format_stable(tmp_path: Path) -> None:
    source = f"X = {literal(NASTY_STRINGS)}\n"
    source += f"Y = {literal(dict.fromkeys(NASTY_STRINGS, 1))}\n"
    assert _ruff_format_diff(source, tmp_path) == ""

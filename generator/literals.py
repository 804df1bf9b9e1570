"""Render data as Python source literals: the only way spec values enter a model file.

The output is inert (strings are escaped, never pasted as code), round-trips through
`ast.literal_eval`, and is already in the shape `ruff format` keeps: one item per line
with a trailing comma for every non-empty container, quotes chosen as ruff chooses them.
"""

from __future__ import annotations

import math
import re
from typing import Any

INDENT = "    "

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII without quotes or backslash


def string_literal(text: str) -> str:
    """A Python string literal for `text`, using double quotes unless ruff would not."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = [quote]
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append(quote)
    return "".join(out)


def literal(value: Any, depth: int = 0) -> str:
    """Python source for `value`; containers are exploded, nested at `depth` indents."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot render non-finite number {value!r}")
        return repr(value).replace("e+", "e")  # ruff writes 1e16, not 1e+16
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = INDENT * (depth + 1)
        items = [
            f"{inner}{string_literal(_key(k))}: {literal(v, depth + 1)},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + "\n" + INDENT * depth + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = INDENT * (depth + 1)
        items = [f"{inner}{literal(v, depth + 1)}," for v in value]
        return "[\n" + "\n".join(items) + "\n" + INDENT * depth + "]"
    # Imported last: rendering registry.py (verify, on every PR) never needs it.
    from decimal import Decimal  # noqa: PLC0415

    if isinstance(value, Decimal):
        return string_literal(str(value))
    raise TypeError(f"cannot render {type(value).__name__} as a literal")


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping keys must be strings, got {key!r}")
    return key

"""registry.py read as data: its literals parsed from its bytes, never imported.

An import would run whatever `__pycache__/registry.cpython-3xx.pyc` holds (an
unchecked-hash .pyc is used without looking at the source), and would execute code
if registry.py held any. Here the bytes are decoded as UTF-8 (no BOM, no encoding
declaration: `decode_source`) and only two literals are read: MODELS and RECORD_IDS.

The generator writes registry.py in one layout, which `_fast_parse` reads line by
line (a 1,000-model registry in a few milliseconds, where `ast.parse` takes about
100); any other text goes through `ast`, which accepts a docstring and the two
assignments of plain literals and nothing else. Pure.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from modelvault._modelfile import SourceError, decode_source

Models = dict[str, dict[str, Any]]
RecordIds = dict[str, str]


class RegistryError(ValueError):
    """Not a registry: the message says what is wrong."""


_DOCSTRING = re.compile(r'"""(?:[^"\\]|"(?!""))*"""\n+')
_ENTRY_START = re.compile(r'    "([^"\\\n]+)": \{')
_FIELD = re.compile(r'        "([a-z_0-9]+)": (.+),')
_RECORD = re.compile(r'    "([^"\\\n]+)": "([^"\\\n]+)",')
_STRING = re.compile(r'"([^"\\\n]*)"')
_INT = re.compile(r"-?[0-9]+")
_CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None}


def parse_registry(data: bytes) -> tuple[Models, RecordIds]:
    """MODELS and RECORD_IDS from registry.py's bytes. Raises RegistryError."""
    try:
        text = decode_source(data)
    except SourceError as exc:
        raise RegistryError(str(exc)) from None
    fast = _fast_parse(text)
    return fast if fast is not None else _ast_parse(text)


def _value(token: str) -> Any:
    plain = _STRING.fullmatch(token)
    if plain is not None:
        return plain.group(1)  # no escapes inside: the text is the value
    if token in _CONSTANTS:
        return _CONSTANTS[token]
    if _INT.fullmatch(token):
        return int(token)
    if token[:1] in ("'", '"'):  # a string with escapes or other quotes
        value = ast.literal_eval(token)
        if isinstance(value, str):
            return value
    raise ValueError(f"not a value the generator writes: {token!r}")


def _fast_parse(text: str) -> tuple[Models, RecordIds] | None:
    """The generator's layout; None for anything else (then `_ast_parse` decides)."""
    docstring = _DOCSTRING.match(text)
    if docstring is None:
        return None
    lines = text[docstring.end() :].split("\n")
    if len(lines) < 5 or lines[0] != "MODELS = {" or lines[-1] != "":
        return None
    models: Models = {}
    entry: dict[str, Any] | None = None
    index = 1
    try:
        while lines[index] != "}":
            line = lines[index]
            index += 1
            if entry is None:
                start = _ENTRY_START.fullmatch(line)
                if start is None or start.group(1) in models:
                    return None
                entry = models[start.group(1)] = {}
            elif line == "    },":
                entry = None
            elif (field := _FIELD.fullmatch(line)) is not None:
                if field.group(1) in entry:
                    return None
                entry[field.group(1)] = _value(field.group(2))
            else:
                return None
        if entry is not None or lines[index + 1 : index + 3] != ["", "RECORD_IDS = {"]:
            return None
        records: RecordIds = {}
        for line in lines[index + 3 : -2]:
            record = _RECORD.fullmatch(line)
            if record is None or record.group(1) in records:
                return None
            records[record.group(1)] = record.group(2)
    except (IndexError, ValueError, SyntaxError):
        return None
    if lines[-2] != "}" or len(lines) < index + 5:
        return None
    return models, records


def _ast_parse(text: str) -> tuple[Models, RecordIds]:
    try:
        tree = ast.parse(text, "registry.py")
    except (SyntaxError, ValueError) as exc:
        raise RegistryError(f"not valid Python ({exc})") from None
    found: dict[str, Any] = {}
    for index, node in enumerate(tree.body):
        if (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            continue  # the docstring
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if (
            not isinstance(node, ast.Assign)
            or len(node.targets) != 1
            or not isinstance(target, ast.Name)
            or target.id not in ("MODELS", "RECORD_IDS")
            or target.id in found
        ):
            raise RegistryError(
                f"line {node.lineno} is neither MODELS = {{...}} nor "
                "RECORD_IDS = {...}: a registry holds those two literals only"
            )
        try:
            found[target.id] = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise RegistryError(f"{target.id} is not a plain literal") from None
    models, records = found.get("MODELS"), found.get("RECORD_IDS", {})
    if not isinstance(models, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in models.items()
    ):
        raise RegistryError("MODELS is missing or not a mapping of id -> entry")
    if not isinstance(records, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in records.items()
    ):
        raise RegistryError("RECORD_IDS is not a mapping of record id -> id")
    return models, records

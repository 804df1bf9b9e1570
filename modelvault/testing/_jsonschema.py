"""A small JSON Schema validator (standard library only) for the fakes.

It checks the subset of JSON Schema that the providers' published input schemas
use: `type` (a name or a list; OpenAPI's `nullable`), `enum`, `const`,
`minimum`/`maximum`, `exclusiveMinimum`/`exclusiveMaximum` (numbers, and the
draft-4 booleans), `multipleOf`, `minLength`/`maxLength`, `pattern`, `items`,
`minItems`/`maxItems`, `required`, `properties`, `additionalProperties` (a
boolean or a schema), `anyOf`/`oneOf`/`allOf` and `$ref` to "#/..." inside the
same document (fal's and Replicate's OpenAPI components). Keys it does not know
(`title`, `description`, `default`, `format`, `x-*`, ...) are ignored, so an
unknown key never refuses a request.

`validate(instance, schema)` returns every problem found, each with the path of
the offending value (`("input", "prompt")`), so a fake can answer the way its
provider does (fal's `loc`, Runware's `parameter`, Replicate's field list).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Path = tuple[str | int, ...]
_MAX_DEPTH = 64  # $ref cycles and absurd nesting end here


@dataclass(frozen=True)
class SchemaError:
    """One way an instance breaks a schema: where, what, and which keyword."""

    path: Path
    message: str
    keyword: str

    @property
    def field(self) -> str:
        """The dotted path of the offending value ("" for the document)."""
        return ".".join(str(part) for part in self.path)


class SchemaDocumentError(ValueError):
    """The schema itself is unusable (a dangling or external $ref)."""


@lru_cache(maxsize=256)
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def _type_ok(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        return isinstance(value, float) and value.is_integer()
    if name == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return not (isinstance(value, float) and not math.isfinite(value))
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list | tuple)
    if name == "object":
        return isinstance(value, Mapping)
    return True  # an unknown type name restricts nothing


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _type_ok(value, name):
            return name
    return type(value).__name__


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


class _Validator:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaDocumentError(f"only local $ref is supported: {ref!r}")
        node: Any = self.root
        for raw in ref.lstrip("#").split("/"):
            if not raw:
                continue
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaDocumentError(f"$ref {ref!r} points nowhere")
        return node

    def check(
        self, value: Any, schema: Any, path: Path, depth: int
    ) -> list[SchemaError]:
        if schema is True or schema is None:
            return []
        if schema is False:
            return [SchemaError(path, "no value is allowed here", "false")]
        if not isinstance(schema, Mapping):
            return []
        if depth > _MAX_DEPTH:
            return [SchemaError(path, "the value is nested too deeply", "depth")]
        if "$ref" in schema:
            errors = self.check(value, self.resolve(schema["$ref"]), path, depth + 1)
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            return errors + (
                self.check(value, siblings, path, depth + 1) if siblings else []
            )
        if value is None and schema.get("nullable") is True:
            return []
        errors = self._type_and_value(value, schema, path)
        if errors:
            return errors  # a mistyped value: its other keywords say nothing useful
        errors += self._combinators(value, schema, path, depth)
        if isinstance(value, Mapping):
            errors += self._object(value, schema, path, depth)
        elif isinstance(value, list | tuple):
            errors += self._array(value, schema, path, depth)
        return errors

    def _type_and_value(
        self, value: Any, schema: Mapping[str, Any], path: Path
    ) -> list[SchemaError]:
        wanted = schema.get("type")
        if wanted is not None:
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            if schema.get("nullable") is True:
                names.append("null")
            if not any(_type_ok(value, name) for name in names):
                expected = " or ".join(str(n) for n in names)
                message = f"expected {expected}, got {_kind(value)}"
                return [SchemaError(path, message, "type")]
        if "enum" in schema and not any(_equal(value, c) for c in schema["enum"]):
            allowed = ", ".join(repr(c) for c in schema["enum"])
            return [SchemaError(path, f"{value!r} is not one of: {allowed}", "enum")]
        if "const" in schema and not _equal(value, schema["const"]):
            return [SchemaError(path, f"must be {schema['const']!r}", "const")]
        if _type_ok(value, "number"):
            return self._number(value, schema, path)
        if isinstance(value, str):
            return self._string(value, schema, path)
        return []

    def _number(
        self, value: float, schema: Mapping[str, Any], path: Path
    ) -> list[SchemaError]:
        errors: list[SchemaError] = []
        low, high = schema.get("minimum"), schema.get("maximum")
        ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(ex_low, bool):  # draft 4: a flag on minimum
            ex_low = low if ex_low else None
            low = None if ex_low is not None else low
        if isinstance(ex_high, bool):
            ex_high = high if ex_high else None
            high = None if ex_high is not None else high
        if low is not None and value < low:
            errors.append(
                SchemaError(path, f"must be >= {low}, got {value}", "minimum")
            )
        if high is not None and value > high:
            errors.append(
                SchemaError(path, f"must be <= {high}, got {value}", "maximum")
            )
        if ex_low is not None and value <= ex_low:
            errors.append(
                SchemaError(
                    path, f"must be > {ex_low}, got {value}", "exclusiveMinimum"
                )
            )
        if ex_high is not None and value >= ex_high:
            errors.append(
                SchemaError(
                    path, f"must be < {ex_high}, got {value}", "exclusiveMaximum"
                )
            )
        step = schema.get("multipleOf")
        if step and not math.isclose(value / step, round(value / step)):
            errors.append(
                SchemaError(path, f"must be a multiple of {step}", "multipleOf")
            )
        return errors

    def _string(
        self, value: str, schema: Mapping[str, Any], path: Path
    ) -> list[SchemaError]:
        errors: list[SchemaError] = []
        if "minLength" in schema and len(value) < schema["minLength"]:
            message = f"must be at least {schema['minLength']} characters"
            errors.append(SchemaError(path, message, "minLength"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            message = f"must be at most {schema['maxLength']} characters"
            errors.append(SchemaError(path, message, "maxLength"))
        regex = schema.get("pattern")
        if isinstance(regex, str) and not _pattern(regex).search(value):
            errors.append(SchemaError(path, f"does not match {regex!r}", "pattern"))
        return errors

    def _combinators(
        self, value: Any, schema: Mapping[str, Any], path: Path, depth: int
    ) -> list[SchemaError]:
        errors: list[SchemaError] = []
        for sub in schema.get("allOf") or []:
            errors += self.check(value, sub, path, depth + 1)
        any_of = schema.get("anyOf")
        if any_of and not any(
            not self.check(value, s, path, depth + 1) for s in any_of
        ):
            errors.append(
                SchemaError(path, "matches none of the allowed forms", "anyOf")
            )
        one_of = schema.get("oneOf")
        if one_of:
            matches = sum(
                1 for s in one_of if not self.check(value, s, path, depth + 1)
            )
            if matches != 1:
                message = f"must match exactly one allowed form, matches {matches}"
                errors.append(SchemaError(path, message, "oneOf"))
        return errors

    def _object(
        self,
        value: Mapping[str, Any],
        schema: Mapping[str, Any],
        path: Path,
        depth: int,
    ) -> list[SchemaError]:
        errors = [
            SchemaError((*path, name), "field required", "required")
            for name in schema.get("required") or []
            if name not in value
        ]
        properties: Mapping[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                errors += self.check(item, properties[name], (*path, name), depth + 1)
            elif extra is False:
                errors.append(
                    SchemaError(
                        (*path, name),
                        "extra field not permitted",
                        "additionalProperties",
                    )
                )
            elif isinstance(extra, Mapping):
                errors += self.check(item, extra, (*path, name), depth + 1)
        return errors

    def _array(
        self, value: Sequence[Any], schema: Mapping[str, Any], path: Path, depth: int
    ) -> list[SchemaError]:
        errors: list[SchemaError] = []
        if "minItems" in schema and len(value) < schema["minItems"]:
            message = f"must hold at least {schema['minItems']} items"
            errors.append(SchemaError(path, message, "minItems"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            message = f"must hold at most {schema['maxItems']} items"
            errors.append(SchemaError(path, message, "maxItems"))
        items = schema.get("items")
        if isinstance(items, Mapping | bool):
            for index, item in enumerate(value):
                errors += self.check(item, items, (*path, index), depth + 1)
        return errors


def validate(
    instance: Any, schema: Mapping[str, Any], *, root: Mapping[str, Any] | None = None
) -> list[SchemaError]:
    """Every way `instance` breaks `schema` (empty when it conforms).

    `root` is the document `$ref`s resolve against (default: `schema`).
    Raises `SchemaDocumentError` for a `$ref` that cannot be resolved.
    """
    return _Validator(root if root is not None else schema).check(
        instance, schema, (), 0
    )

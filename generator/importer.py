"""A provider's published input schema -> draft spec data. Pure: no file or network.

Two documents are read, as the providers publish them:

- **fal**: one OpenAPI document per endpoint
  (https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<id>). The input is
  the JSON request body of the endpoint's POST (`paths["/<id>"].post.requestBody`),
  a `$ref` into `components.schemas`; `x-fal-order-properties` gives the order,
  fal's `image_size` is `anyOf: [{$ref: ImageSize}, {enum: presets}]`.
- **Replicate**: a model version's `openapi_schema` (also accepted: the model
  object `GET /v1/models/{owner}/{name}` answers, with
  `latest_version.openapi_schema`). The input is `components.schemas.Input`;
  enums are `allOf: [{$ref: "#/components/schemas/<name>"}]`, the order is each
  property's `x-order`.

A plain JSON Schema object (`{"type": "object", "properties": ...}`) is read too.
`draft_spec` turns the input object into spec data (see README, "Adding or changing
a model"); what a schema cannot tell (display name, group, price, typical duration)
gets a placeholder and is listed in `gaps`, which `check`, `new` and `regenerate`
refuse until a person fills it in. `provider_fields` gives the same reading keyed
by provider field, for `generator.drift`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ProviderField",
    "ProviderSchema",
    "SchemaImportError",
    "Target",
    "canonical_url",
    "draft_spec",
    "load_document",
    "parse_target",
    "provider_fields",
    "read_schema",
]

Provider = Literal["fal", "replicate"]
FAMILY: dict[Provider, str] = {"fal": "fal_queue", "replicate": "replicate"}
PROVIDERS: dict[str, Provider] = {"fal_queue": "fal", "replicate": "replicate"}

_INPUT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PROVIDER_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_FAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)+$")
_REPLICATE_ID = re.compile(r"^[a-z0-9_.-]+/[a-z0-9_.-]+$")
_MAX_REF_DEPTH = 32
_SCALARS = ("string", "integer", "number", "boolean")
_FIX = (
    "give the provider's own input schema: fal's OpenAPI document for the endpoint "
    "(https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<endpoint id>) or a "
    "Replicate model version's openapi_schema (GET "
    "https://api.replicate.com/v1/models/<owner>/<name>: latest_version.openapi_schema)"
)

# Placeholders for what no schema tells; each is also listed in `gaps`.
PLACEHOLDER_COST = {"base": "0"}
PLACEHOLDER_SECONDS = 60

# fal's x-fal-metadata.category -> group (a guess: `group` stays in gaps).
_FAL_CATEGORIES = {
    "text-to-image": "prompt_to_image",
    "image-to-image": "image_editing",
    "text-to-video": "prompt_to_video",
    "image-to-video": "image_to_video",
    "video-to-video": "image_to_video",
    "text-to-speech": "prompt_to_audio",
    "text-to-audio": "prompt_to_audio",
    "audio-to-audio": "prompt_to_audio",
    "speech-to-speech": "prompt_to_audio",
}
_NAME_HINTS = (  # words in a model id -> group guess, first match wins
    ("image-to-video", "image_to_video"),
    ("i2v", "image_to_video"),
    ("text-to-video", "prompt_to_video"),
    ("t2v", "prompt_to_video"),
    ("video", "prompt_to_video"),
    ("upscale", "image_editing"),
    ("edit", "image_editing"),
    ("background", "image_editing"),
    ("inpaint", "image_editing"),
    ("tts", "prompt_to_audio"),
    ("speech", "prompt_to_audio"),
    ("audio", "prompt_to_audio"),
    ("music", "prompt_to_audio"),
    ("sound", "prompt_to_audio"),
)


class SchemaImportError(Exception):
    """A document could not be read as a provider's input schema. The message
    names the document and says what to give instead; never a traceback."""


@dataclass(frozen=True)
class Target:
    """What to import: `fal:<endpoint id>` or `replicate:<owner>/<name>`."""

    provider: Provider
    model: str

    @property
    def family(self) -> str:
        return FAMILY[self.provider]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_target(text: str) -> Target:
    provider, sep, model = text.partition(":")
    if not sep or provider not in ("fal", "replicate") or not model:
        raise SchemaImportError(
            f"{text!r} is not a model to import: write fal:<endpoint id> (e.g. "
            "fal:fal-ai/flux/dev) or replicate:<owner>/<name> (e.g. "
            "replicate:black-forest-labs/flux-schnell)"
        )
    if provider == "fal" and not _FAL_ID.fullmatch(model):
        raise SchemaImportError(
            f"{model!r} is not a fal endpoint id: owner/app[/path], e.g. "
            "fal-ai/flux/dev (the id in the model page's URL)"
        )
    if provider == "replicate" and not _REPLICATE_ID.fullmatch(model):
        raise SchemaImportError(
            f"{model!r} is not a Replicate model: owner/name in lower case, e.g. "
            "black-forest-labs/flux-schnell (without a :version)"
        )
    return Target("fal" if provider == "fal" else "replicate", model)


def canonical_url(target: Target) -> str:
    """Where the provider publishes the schema (what a draft's notes cite)."""
    if target.provider == "fal":
        return (
            "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=" + target.model
        )
    return f"https://api.replicate.com/v1/models/{target.model} (latest_version)"


def load_document(data: bytes | str, source: str) -> Any:
    """JSON text -> data; SchemaImportError naming `source` and the fix."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise SchemaImportError(
            f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start}); {_FIX}"
        ) from None
    if not text.strip():
        raise SchemaImportError(f"{source}: empty; {_FIX}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaImportError(
            f"{source}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"{_FIX}"
        ) from None
    except RecursionError:
        raise SchemaImportError(
            f"{source}: nested too deeply to read; {_FIX}"
        ) from None


# --- reading the document ----------------------------------------------------------


@dataclass(frozen=True)
class ProviderField:
    """One field of a provider's input object, as spec input data.

    `data` is None when the spec cannot express the field; `problem` says why."""

    provider_field: str
    name: str  # the snake_case input name
    data: dict[str, Any] | None
    problem: str | None = None
    position: int = 0


@dataclass
class ProviderSchema:
    """A provider's input object, read: its fields in the provider's order."""

    fields: list[ProviderField]
    endpoint_id: str | None = None  # fal: x-fal-metadata.endpointId
    category: str | None = None  # fal: x-fal-metadata.category
    docs_url: str | None = None  # fal: x-fal-metadata.documentationUrl
    version: str | None = None  # Replicate: the version id, when the document has it
    kind: str = "json-schema"  # "fal-openapi" | "replicate-openapi" | "json-schema"
    notes: list[str] = field(default_factory=list)

    def by_provider_field(self) -> dict[str, ProviderField]:
        return {f.provider_field: f for f in self.fields}


class _Resolver:
    def __init__(self, root: Any, source: str) -> None:
        self.root = root
        self.source = source

    def deref(self, node: Any, depth: int = 0) -> Any:
        """`node` with its `$ref` (and allOf members) merged in; siblings win."""
        if depth > _MAX_REF_DEPTH:
            raise SchemaImportError(
                f"{self.source}: $ref chain deeper than {_MAX_REF_DEPTH} (a cycle?); "
                f"{_FIX}"
            )
        if not isinstance(node, dict):
            return node
        merged: dict[str, Any] = {}
        if "$ref" in node:
            merged.update(self.deref(self.pointer(node["$ref"]), depth + 1))
        for member in node.get("allOf") or []:
            merged.update(self.deref(member, depth + 1))
        merged.update({k: v for k, v in node.items() if k not in ("$ref", "allOf")})
        return merged

    def pointer(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SchemaImportError(
                f"{self.source}: $ref {ref!r} points outside the document; only "
                f"local references (#/components/schemas/...) are read; {_FIX}"
            )
        node = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaImportError(
                    f"{self.source}: $ref {ref!r} does not resolve (no {part!r}); "
                    f"the document is incomplete; {_FIX}"
                )
        return node


def _post_body_schema(doc: Mapping[str, Any], preferred: str | None) -> Any:
    """The JSON request body schema of the document's POST operation: the one at
    /<preferred> when given, else the only POST with a JSON body."""
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        return None
    found: list[tuple[str, Any]] = []
    for path, item in paths.items():
        post = item.get("post") if isinstance(item, dict) else None
        body = post.get("requestBody") if isinstance(post, dict) else None
        content = body.get("content") if isinstance(body, dict) else None
        media = content.get("application/json") if isinstance(content, dict) else None
        if isinstance(media, dict) and "schema" in media:
            found.append((str(path), media["schema"]))
    if preferred:
        for path, schema in found:
            if path.strip("/") == preferred.strip("/"):
                return schema
    return found[0][1] if len(found) == 1 else None


def _input_object(doc: Any, source: str) -> tuple[Any, _Resolver, dict[str, Any]]:
    """(input object schema, resolver, metadata) from any accepted document."""
    if not isinstance(doc, dict):
        raise SchemaImportError(
            f"{source}: a JSON {type(doc).__name__}, not an OpenAPI document or JSON "
            f"Schema object; {_FIX}"
        )
    meta: dict[str, Any] = {}
    # Replicate's API objects around the openapi_schema.
    if "latest_version" in doc and not isinstance(doc["latest_version"], dict):
        raise SchemaImportError(
            f"{source}: a Replicate model without a latest_version (nothing "
            "published yet, or the token cannot see it); give a model version's "
            "openapi_schema"
        )
    if isinstance(doc.get("latest_version"), dict):
        meta["version"] = doc["latest_version"].get("id")
        doc = doc["latest_version"].get("openapi_schema")
        if not isinstance(doc, dict):
            raise SchemaImportError(
                f"{source}: a Replicate model whose latest_version has no "
                "openapi_schema (the model has no published version yet, or the "
                "token cannot see it); give a model version's openapi_schema"
            )
    elif isinstance(doc.get("openapi_schema"), dict):
        meta["version"] = doc.get("id")
        doc = doc["openapi_schema"]
    resolver = _Resolver(doc, source)
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    fal = info.get("x-fal-metadata") if isinstance(info, dict) else None
    if isinstance(fal, dict):
        meta["kind"] = "fal-openapi"
        for key, name in (
            ("endpoint_id", "endpointId"),
            ("category", "category"),
            ("docs_url", "documentationUrl"),
        ):
            if isinstance(fal.get(name), str):
                meta[key] = fal[name]
    components = doc.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    schemas = schemas if isinstance(schemas, dict) else {}
    if "$ref" in doc and "openapi" not in doc and "paths" not in doc:
        meta["kind"] = "json-schema"  # a JSON Schema whose root refers into itself
        return resolver.deref(doc), resolver, meta
    if "openapi" in doc or "swagger" in doc or "paths" in doc or schemas:
        body = _post_body_schema(doc, meta.get("endpoint_id"))
        if isinstance(schemas.get("Input"), dict) and meta.get("kind") is None:
            meta["kind"] = "replicate-openapi"
            return schemas["Input"], resolver, meta
        if body is not None:
            body = resolver.deref(body)
            props = body.get("properties") if isinstance(body, dict) else None
            inner = props.get("input") if isinstance(props, dict) else None
            if meta.get("kind") is None and isinstance(inner, dict):
                meta["kind"] = "replicate-openapi"  # PredictionRequest {input: ...}
                return inner, resolver, meta
            meta.setdefault("kind", "openapi")
            return body, resolver, meta
        raise SchemaImportError(
            f"{source}: an OpenAPI document without an input object: no POST "
            "operation with a JSON request body (fal) and no components.schemas."
            f"Input (Replicate); {_FIX}"
        )
    if "properties" in doc or doc.get("type") == "object":
        meta["kind"] = "json-schema"
        return doc, resolver, meta
    raise SchemaImportError(
        f"{source}: JSON, but neither an OpenAPI document (no 'openapi', 'paths' or "
        "'components') nor a JSON Schema object (no 'properties'); " + _FIX
    )


def snake_name(provider_field: str) -> str:
    """The input name for a provider field: camelCase and dashes to snake_case."""
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", provider_field)
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    name = re.sub(r"_+", "_", name)
    if not name or not name[0].isalpha():
        name = f"field_{name}".rstrip("_")
    return name


def humanize(name: str) -> str:
    words = re.sub(r"[_\-\s]+", " ", snake_name(name)).strip()
    return (words[:1].upper() + words[1:]) or name


class _UnsupportedError(Exception):
    """A field the spec cannot express; the message says why (internal)."""


def _json_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


class _Reader:
    """Reads one input object's properties into spec input data."""

    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver

    def flatten(self, raw: Any) -> tuple[dict[str, Any], bool, list[Any]]:
        """(schema, nullable, alternatives): $ref/allOf merged, null alternatives
        dropped; `alternatives` holds the anyOf/oneOf members that remain."""
        node = self.resolver.deref(raw)
        if not isinstance(node, dict):
            raise _UnsupportedError("its schema is not an object")
        nullable = bool(node.get("nullable"))
        kind = node.get("type")
        if isinstance(kind, list):  # OpenAPI 3.1 / JSON Schema: ["integer", "null"]
            nullable = nullable or "null" in kind
            kinds = [k for k in kind if k != "null"]
            if len(kinds) != 1:
                raise _UnsupportedError(f"it takes several types {kinds}")
            node = {**node, "type": kinds[0]}
        alternatives: list[Any] = []
        for key in ("anyOf", "oneOf"):
            members = node.get(key)
            if not isinstance(members, list):
                continue
            for member in members:
                resolved = self.resolver.deref(member)
                if isinstance(resolved, dict) and resolved.get("type") == "null":
                    nullable = True
                else:
                    alternatives.append(resolved)
        node = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        if len(alternatives) == 1:
            node = {**alternatives[0], **node}
            alternatives = []
            if node.get("nullable"):
                nullable = True
        return node, nullable, alternatives

    def read(self, name: str, raw: Any, required: bool) -> dict[str, Any]:
        node, nullable, alternatives = self.flatten(raw)
        if alternatives:
            return self._alternatives(name, node, alternatives, required)
        kind = self._type_of(node)
        data: dict[str, Any] = {"type": kind}
        self._common(name, node, data)
        if kind == "array":
            self._array(node, data)
        elif kind == "object":
            data["fields"] = self._fields(node)
        else:
            self._scalar(node, data)
        self._default(node, data, nullable)
        data["required"] = required
        return data

    def _type_of(self, node: Mapping[str, Any]) -> str:
        kind = node.get("type")
        if kind is None and isinstance(node.get("enum"), list):
            kinds = {_json_type(v) for v in node["enum"] if v is not None}
            if kinds == {"integer", "number"}:
                kinds = {"number"}
            kind = kinds.pop() if len(kinds) == 1 else None
        if kind is None and isinstance(node.get("properties"), dict):
            kind = "object"
        if kind not in (*_SCALARS, "array", "object"):
            raise _UnsupportedError(
                f"no type the spec knows (type {kind!r}; the spec takes "
                "string, integer, number, boolean, array or object)"
            )
        return str(kind)

    def _common(self, name: str, node: Mapping[str, Any], data: dict[str, Any]) -> None:
        title = node.get("title")
        if not isinstance(title, str) or not title.strip() or title == name:
            title = humanize(name)  # Replicate's enum titles are the raw name
        data["title"] = title.strip()[:200]
        description = node.get("description")
        if isinstance(description, str) and description.strip():
            data["description"] = description.strip()

    def _scalar(self, node: Mapping[str, Any], data: dict[str, Any]) -> None:
        kind = data["type"]
        if isinstance(node.get("enum"), list):
            values = [v for v in node["enum"] if v is not None]
            if kind == "integer" and all(
                isinstance(v, float) and v.is_integer() for v in values
            ):
                values = [int(v) for v in values]
            bad = [v for v in values if not _fits(v, kind)]
            if bad or not values:
                raise _UnsupportedError(
                    f"enum values {bad or values} are not all {kind}"
                )
            data["enum"] = values
        if kind in ("integer", "number"):
            self._range(node, data)
            step = node.get("multipleOf")
            if kind == "integer" and isinstance(step, int) and step > 0:
                data["multiple_of"] = step
        if kind == "string":
            length = node.get("maxLength")
            if isinstance(length, int) and not isinstance(length, bool) and length > 0:
                data["max_length"] = length

    def _range(self, node: Mapping[str, Any], data: dict[str, Any]) -> None:
        integer = data["type"] == "integer"
        for key, exclusive, step in (
            ("minimum", "exclusiveMinimum", 1),
            ("maximum", "exclusiveMaximum", -1),
        ):
            value: Any = node.get(key)
            bound: Any = node.get(exclusive)
            if isinstance(bound, bool):  # OpenAPI 3.0: a flag on minimum/maximum
                bound = value if bound else None
                value = None if bound is not None else value
            if _number(bound):
                # An exclusive integer bound is the next integer; a number keeps the
                # bound (the spec has no exclusive form: one value more is allowed).
                whole = integer and float(bound).is_integer()
                value = int(bound) + step if whole else bound
            if _number(value):
                whole = integer and float(value).is_integer()
                data[key] = int(value) if whole else value

    def _array(self, node: Mapping[str, Any], data: dict[str, Any]) -> None:
        items, _nullable, alternatives = self.flatten(node.get("items") or {})
        kind = items.get("type", "string") if not alternatives else None
        if kind not in ("string", "integer", "number") or "enum" in items:
            what = "objects" if kind == "object" else f"{kind or 'mixed'} values"
            if "enum" in items:
                what = "values from an enum"
            raise _UnsupportedError(
                f"an array of {what}: the spec's arrays hold strings, integers or "
                "numbers"
            )
        if kind != "string":
            data["items"] = kind
        for key, spec_key, least in (
            ("minItems", "min_items", 0),
            ("maxItems", "max_items", 1),
        ):
            value = node.get(key)
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and value >= least
            ):
                data[spec_key] = value

    def _fields(self, node: Mapping[str, Any]) -> dict[str, Any]:
        props = node.get("properties")
        if not isinstance(props, dict) or not props:
            raise _UnsupportedError(
                "an object whose fields the schema does not list (the spec's "
                "objects need their fields)"
            )
        required = set(node.get("required") or [])
        fields: dict[str, Any] = {}
        for key, raw in _ordered(node, props):
            if not _INPUT_NAME.fullmatch(key):
                raise _UnsupportedError(f"its field {key!r} is not snake_case")
            sub = self.read(key, raw, key in required)
            if sub["type"] in ("array", "object"):
                raise _UnsupportedError(f"its field {key!r} is an {sub['type']}")
            sub.pop("order", None)
            fields[key] = sub
        return fields

    def _alternatives(
        self,
        name: str,
        node: Mapping[str, Any],
        alternatives: list[Any],
        required: bool,
    ) -> dict[str, Any]:
        """fal's image_size: anyOf [an object {width, height}, a string enum of
        presets] -> an object input with fields and presets."""
        objects = [
            a for a in alternatives if isinstance(a, dict) and self._is_object(a)
        ]
        presets = [
            a
            for a in alternatives
            if isinstance(a, dict)
            and isinstance(a.get("enum"), list)
            and all(isinstance(v, str) for v in a["enum"] if v is not None)
        ]
        if len(objects) != 1 or len(objects) + len(presets) != len(alternatives):
            kinds = sorted({str(a.get("type", "?")) for a in alternatives})
            raise _UnsupportedError(
                f"it is one of several shapes ({', '.join(kinds)}); the spec "
                "takes one type (or an object with string presets)"
            )
        data: dict[str, Any] = {"type": "object"}
        self._common(name, {**objects[0], **node}, data)
        data["fields"] = self._fields(objects[0])
        names = [v for p in presets for v in p["enum"] if v is not None]
        if names:
            data["presets"] = list(dict.fromkeys(names))
        self._default(node, data, nullable=False)
        data["required"] = required
        return data

    @staticmethod
    def _is_object(node: Mapping[str, Any]) -> bool:
        return node.get("type") == "object" or isinstance(node.get("properties"), dict)

    @staticmethod
    def _default(node: Mapping[str, Any], data: dict[str, Any], nullable: bool) -> None:
        if "default" not in node or node["default"] is None:
            return
        value = node["default"]
        if _default_fits(value, data):
            data["default"] = value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(value: Any, kind: str, items: str | None = None) -> bool:
    if kind == "number":
        return _number(value)
    if kind == "array":
        return isinstance(value, list) and all(
            _fits(v, items or "string") for v in value
        )
    return _json_type(value) == kind


def _default_fits(value: Any, data: Mapping[str, Any]) -> bool:
    """Only a default the drafted input would accept is kept (a provider default
    outside its own enum or range would make the draft refuse itself)."""
    kind = data["type"]
    if kind == "object":
        if isinstance(value, str):
            return value in data.get("presets", [])
        fields = data.get("fields", {})
        return isinstance(value, dict) and all(
            k in fields and v is not None and _default_fits(v, fields[k])
            for k, v in value.items()
        )
    if not _fits(value, kind, data.get("items")):
        return False
    if "enum" in data and value not in data["enum"]:
        return False
    if _number(value):
        if "minimum" in data and value < data["minimum"]:
            return False
        if "maximum" in data and value > data["maximum"]:
            return False
    if isinstance(value, str) and "max_length" in data:
        return len(value) <= int(data["max_length"])
    return True


def _ordered(
    node: Mapping[str, Any], props: Mapping[str, Any]
) -> list[tuple[str, Any]]:
    """Properties in the provider's order: fal's x-fal-order-properties, else each
    property's x-order (Replicate), else as written."""
    position = {name: i for i, name in enumerate(props)}
    fal_order = node.get("x-fal-order-properties")
    if isinstance(fal_order, list):
        rank = {str(n): i for i, n in enumerate(fal_order)}
        return sorted(
            props.items(), key=lambda kv: (rank.get(kv[0], len(rank)), position[kv[0]])
        )

    def x_order(item: tuple[str, Any]) -> tuple[float, int]:
        raw = item[1] if isinstance(item[1], dict) else {}
        order: Any = raw.get("x-order")
        return (float(order) if _number(order) else float("inf"), position[item[0]])

    return sorted(props.items(), key=x_order)


def read_schema(doc: Any, source: str) -> ProviderSchema:
    """The input object of any accepted document, every field read."""
    schema, resolver, meta = _input_object(doc, source)
    schema = resolver.deref(schema)
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or not props:
        raise SchemaImportError(
            f"{source}: the input object has no properties (nothing a model could "
            f"be given); {_FIX}"
        )
    required = (
        schema.get("required") if isinstance(schema.get("required"), list) else []
    )
    reader = _Reader(resolver)
    fields: list[ProviderField] = []
    taken: set[str] = set()
    for position, (raw_key, raw) in enumerate(_ordered(schema, props)):
        key = str(raw_key)
        name = snake_name(key)
        while name in taken:
            name += "_2"
        taken.add(name)
        problem: str | None = None
        data: dict[str, Any] | None = None
        if not _PROVIDER_FIELD.fullmatch(key):
            problem = "its name has characters a payload field name cannot have"
        else:
            try:
                data = reader.read(key, raw, key in required)
            except _UnsupportedError as exc:
                problem = str(exc)
            except RecursionError:
                problem = "its schema is nested too deeply"
        fields.append(ProviderField(key, name, data, problem, position))
    return ProviderSchema(
        fields=fields,
        endpoint_id=meta.get("endpoint_id"),
        category=meta.get("category"),
        docs_url=meta.get("docs_url"),
        version=meta.get("version") if isinstance(meta.get("version"), str) else None,
        kind=str(meta.get("kind", "json-schema")),
    )


def provider_fields(doc: Any, source: str) -> dict[str, ProviderField]:
    """Every field of the document's input object, by provider field name."""
    return read_schema(doc, source).by_provider_field()


# --- the draft spec ----------------------------------------------------------------

_IMAGE_WORDS = re.compile(r"(^|_)(image|images|img|mask|frame|photo|picture)(_|$)")
_URLISH = re.compile(r"(^|_)(url|urls|uri|file)$")
_NOT_IMAGE = re.compile(r"(^|_)(size|sizes|num|count|format|resolution|strength)(_|$)")


def _renderer(name: str, data: Mapping[str, Any], raw_format: str | None) -> str | None:
    kind, items = data["type"], data.get("items", "string")
    if kind == "string" and "enum" not in data and re.search(r"prompt", name):
        return "prompt"
    if kind == "string" and "enum" not in data and name in ("text", "input"):
        return "prompt"
    stringy = kind == "string" or (kind == "array" and items == "string")
    if not stringy or "enum" in data or _NOT_IMAGE.search(name):
        return None
    if _IMAGE_WORDS.search(name) and (
        raw_format == "uri" or _URLISH.search(name) or name in ("image", "images")
    ):
        return "image"
    return None


def _model_id(target: Target) -> str:
    base = target.model.removeprefix("fal-ai/")
    words = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
    suffix = "-fal" if target.provider == "fal" else "-replicate"
    words = words[: 64 - len(suffix)].strip("-")
    if not words or not words[0].isalpha():
        words = f"model-{words}".strip("-")[: 64 - len(suffix)]
    return words + suffix


def _display_name(target: Target) -> str:
    base = target.model.removeprefix("fal-ai/")
    parts = [p for p in re.split(r"[/_-]+", base) if p]
    words = " ".join(
        p if any(c.isdigit() for c in p) else p.capitalize() for p in parts
    )
    where = "fal.ai" if target.provider == "fal" else "Replicate"
    return f"{words} ({where})"[:120]


def _guess_group(target: Target, schema: ProviderSchema) -> tuple[str, str]:
    """(group, how it was guessed)."""
    if schema.category in _FAL_CATEGORIES:
        return _FAL_CATEGORIES[schema.category], f"fal's category {schema.category!r}"
    lowered = target.model.lower()
    for word, group in _NAME_HINTS:
        if word in lowered:
            return group, f"the word {word!r} in the model id"
    return "prompt_to_image", "nothing (a default)"


def _docs_url(target: Target, schema: ProviderSchema) -> str:
    if target.provider == "fal":
        url = schema.docs_url or ""
        if re.fullmatch(r"https://\S+", url):
            return url
        return f"https://fal.ai/models/{target.model}/api"
    return f"https://replicate.com/{target.model}/api"


def _endpoint(target: Target) -> str:
    if target.provider == "fal":
        return f"https://queue.fal.run/{target.model}"
    return f"https://api.replicate.com/v1/models/{target.model}/predictions"


def _raw_format(doc_field: Any) -> str | None:
    if isinstance(doc_field, dict):
        fmt = doc_field.get("format")
        if isinstance(fmt, str):
            return fmt
        items = doc_field.get("items")
        if isinstance(items, dict) and isinstance(items.get("format"), str):
            return str(items["format"])
        if isinstance(items, dict) and items.get("_fal_ui_field") == "image":
            return "uri"
    return None


def draft_spec(target: Target, doc: Any, source: str) -> dict[str, Any]:
    """Draft spec data for `target` from its provider's schema document.

    Every value the schema gives is taken as the provider wrote it; what it cannot
    give is a placeholder listed in `gaps`. Raises SchemaImportError (with the
    document's name and the fix) when the document is not a schema or has no
    input object, or is another model's document."""
    schema = read_schema(doc, source)
    if target.provider == "fal" and schema.endpoint_id not in (None, target.model):
        raise SchemaImportError(
            f"{source}: fal's OpenAPI document for {schema.endpoint_id!r}, not "
            f"{target.model!r}; import fal:{schema.endpoint_id} or give "
            f"{target.model}'s document"
        )
    raw_props = _raw_properties(doc, source)
    inputs: dict[str, Any] = {}
    gaps = ["name", "group", "cost", "estimated_seconds"]
    left_out: list[str] = []
    constants: dict[str, Any] = {}
    order = 0
    for item in schema.fields:
        if item.data is None:
            gaps.append(f"inputs.{item.name}")
            left_out.append(f"{item.provider_field}: {item.problem}")
            continue
        if target.provider == "fal" and item.provider_field == "sync_mode":
            # sync_mode true answers with data URIs instead of URLs, which the
            # runtime neither records as outputs nor copies: always send false.
            constants["sync_mode"] = False
            continue
        data = dict(item.data)
        raw_format = _raw_format(raw_props.get(item.provider_field))
        renderer = _renderer(item.name, data, raw_format)
        if renderer:
            data["renderer"] = renderer
        if item.name != item.provider_field:
            data["provider_field"] = item.provider_field
        data["order"] = order
        order += 1
        inputs[item.name] = _key_order(data)
    if not inputs:
        raise SchemaImportError(
            f"{source}: no input of the schema can be expressed in a spec "
            f"({'; '.join(left_out)}); write the spec by hand"
        )
    group, guessed_from = _guess_group(target, schema)
    image_field = _image_input_field(inputs, group)
    spec: dict[str, Any] = {
        "id": _model_id(target),
        "name": _display_name(target),
        "group": group,
        "provider": target.family,
        "provider_model": target.model,
        "endpoint": _endpoint(target),
        "api_key_env": "FAL_KEY" if target.provider == "fal" else "REPLICATE_API_TOKEN",
        "docs_url": _docs_url(target, schema),
        "estimated_seconds": PLACEHOLDER_SECONDS,
        "cost": dict(PLACEHOLDER_COST),
        "inputs": inputs,
    }
    if image_field:
        spec["image_input_field"] = image_field
    if constants:
        spec["payload_constants"] = constants
    spec["gaps"] = gaps
    spec["notes"] = _notes(target, schema, guessed_from, left_out, constants)
    return spec


def _raw_properties(doc: Any, source: str) -> dict[str, Any]:
    schema, resolver, _meta = _input_object(doc, source)
    schema = resolver.deref(schema)
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    out: dict[str, Any] = {}
    for key, raw in props.items():
        try:
            out[str(key)] = resolver.deref(raw)
        except SchemaImportError:
            out[str(key)] = {}
    return out


_KEY_ORDER = (
    "type",
    "title",
    "description",
    "required",
    "default",
    "enum",
    "items",
    "minimum",
    "maximum",
    "multiple_of",
    "max_length",
    "min_items",
    "max_items",
    "fields",
    "presets",
    "renderer",
    "provider_field",
    "order",
)


def _key_order(data: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: data[k] for k in _KEY_ORDER if k in data}
    out.update({k: v for k, v in data.items() if k not in out})
    if "fields" in out:
        out["fields"] = {k: _key_order(v) for k, v in out["fields"].items()}
    return out


def _image_input_field(inputs: Mapping[str, Any], group: str) -> str | None:
    if group not in ("image_editing", "image_to_video"):
        return None
    images = [n for n, d in inputs.items() if d.get("renderer") == "image"]
    required = [n for n in images if inputs[n].get("required")]
    return (required or images or [None])[0]  # type: ignore[list-item]


def _notes(
    target: Target,
    schema: ProviderSchema,
    guessed_from: str,
    left_out: list[str],
    constants: Mapping[str, Any],
) -> str:
    where = (
        "fal's OpenAPI document"
        if target.provider == "fal"
        else ("Replicate's openapi_schema")
    )
    lines = [
        f"Drafted by `python -m generator import {target}` from {where} "
        f"({canonical_url(target)}).",
        "Taken from the schema: inputs, types, enums, defaults, ranges, "
        "descriptions, order and provider field names.",
        "To fill before `new` accepts it (then remove each from gaps): name (a "
        f"display name), group (guessed from {guessed_from}), cost (the provider's "
        "price converted to credits, with its source here), estimated_seconds "
        "(typical run time).",
    ]
    if schema.version:
        lines.append(f"Replicate version read: {schema.version}.")
    if target.provider == "replicate":
        lines.append(
            "The replicate template posts to /v1/models/{owner}/{name}/predictions, "
            "which serves official models; a community model needs its version."
        )
    if constants:
        lines.append(
            "Payload constants: sync_mode false (true answers with data URIs, "
            "which are not recorded as outputs nor copied)."
        )
    for line in left_out:
        lines.append(
            f"Not imported (listed in gaps: add it by hand or drop it): {line}."
        )
    lines.append(
        "Not in any schema: constraints across inputs (e.g. one of two inputs "
        "required), titles a person would choose, which inputs are advanced."
    )
    return "\n".join(lines)

"""Compare each model's inputs with its provider's published input schema. Pure.

A model's inputs come from its own file (`spec_data_from_literals`: the file is
its spec); the provider's from the document `generator.importer` reads. Fields
are matched by provider field (an input's `provider_field`, else its name; the
model's `payload_constants` count as fields it sends). Each difference is

- **added**: the provider takes a field the model neither has nor sends;
- **removed**: the model has (or sends) a field the provider no longer lists;
- **changed**: one aspect of a field differs: type, items, enum, presets,
  default, minimum, maximum, multiple_of, max_length, min_items, max_items,
  required (object fields compared one by one, as `image_size.width`).

A difference is *breaking* when a run the model allows could now be refused
(a removed field, a value the provider's enum or range no longer takes, a new
required field...). Differences a maintainer has accepted (`drift --accept`,
stored in generator/drift_accepted.json with both sides' values) are reported as
accepted and do not count as drift, until either side changes again.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from generator.importer import (
    PROVIDERS,
    ProviderField,
    SchemaImportError,
    load_document,
    read_schema,
)

__all__ = [
    "ACCEPTED_PATH",
    "COMPARED_FAMILIES",
    "REPORT_VERSION",
    "Accepted",
    "Difference",
    "ModelDrift",
    "compare_inputs",
    "drift_report",
    "exit_status",
    "schema_file_name",
]

REPORT_VERSION = 1
ACCEPTED_PATH = "generator/drift_accepted.json"
# Families whose providers publish a per-model input schema drift can read.
COMPARED_FAMILIES = tuple(PROVIDERS)
ASPECTS = (
    "type",
    "items",
    "enum",
    "presets",
    "default",
    "minimum",
    "maximum",
    "multiple_of",
    "max_length",
    "min_items",
    "max_items",
    "required",
)
# Aspects a model may set where the provider states none (a default of its own, a
# narrower range or enum): not a difference unless the provider states one too.
_MODEL_MAY_NARROW = frozenset(
    {
        "default",
        "enum",
        "presets",
        "minimum",
        "maximum",
        "multiple_of",
        "max_length",
        "min_items",
        "max_items",
    }
)
Kind = Literal["added", "removed", "changed"]
Status = Literal["ok", "drift", "error", "skipped"]


def schema_file_name(family: str, provider_model: str) -> str:
    """Where `--schema-dir` keeps a model's schema: <family>/<provider model with
    '/' as '__'>.json, e.g. fal_queue/fal-ai__flux__schnell.json."""
    return f"{family}/{provider_model.replace('/', '__')}.json"


@dataclass(frozen=True)
class Difference:
    kind: Kind
    field: str  # the provider's field (object fields: "image_size.width")
    input: str | None  # the model's input name, if it has one
    aspect: str | None  # changed: which aspect; added/removed: None
    model: Any  # the model's value (None: absent)
    provider: Any  # the provider's value (None: absent)
    breaking: bool
    accepted: bool = False

    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.field, self.aspect or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "field": self.field,
            "input": self.input,
            "aspect": self.aspect,
            "model": self.model,
            "provider": self.provider,
            "breaking": self.breaking,
            "accepted": self.accepted,
        }

    def describe(self) -> str:
        where = self.field + (
            f" (input {self.input})"
            if self.input and self.input != self.field.split(".")[0]
            else ""
        )
        if self.kind == "added":
            return f"added    {where}: {_show(self.provider)}"
        if self.kind == "removed":
            return f"removed  {where}: the model has {_show(self.model)}"
        return (
            f"changed  {where} {self.aspect}: model {_show(self.model)}, "
            f"provider {_show(self.provider)}"
        )


@dataclass
class ModelDrift:
    id: str
    path: str
    provider: str
    provider_model: str
    locked: bool
    status: Status
    source: str | None = None  # where the provider's schema was read
    error: str | None = None
    differences: list[Difference] = field(default_factory=list)
    stale_accepted: int = 0  # accepted entries that no longer match anything

    @property
    def open_differences(self) -> list[Difference]:
        return [d for d in self.differences if not d.accepted]

    @property
    def fingerprint(self) -> str:
        """A digest of the unaccepted differences: same drift, same fingerprint."""
        rows = sorted(
            json.dumps(d.to_json(), sort_keys=True) for d in self.open_differences
        )
        return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "provider": self.provider,
            "provider_model": self.provider_model,
            "locked": self.locked,
            "status": self.status,
            "source": self.source,
            "error": self.error,
            "fingerprint": self.fingerprint if self.status == "drift" else None,
            "differences": [d.to_json() for d in self.differences],
            "stale_accepted": self.stale_accepted,
        }


# --- values ----------------------------------------------------------------------


def _canon(value: Any) -> Any:
    """Integral floats as ints (5.0 == 5), recursively; bools stay bools."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    return value


def _key(value: Any) -> str:
    return json.dumps(_canon(value), sort_keys=True)


def _same(a: Any, b: Any) -> bool:
    if a != b:  # canonical forms only merge values Python already finds equal
        return False
    if type(a) is type(b) and not isinstance(a, list | dict):
        return True
    return _key(a) == _key(b)  # True == 1 and [1] == [1.0]: compare as JSON


def _show(value: Any, limit: int = 120) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(_canon(value), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _summary(data: Mapping[str, Any] | None, problem: str | None = None) -> Any:
    """How a whole field is shown when it is added or removed."""
    if data is None:
        return {"unreadable": problem}
    keys = ("type", "items", "enum", "presets", "default", "minimum", "maximum")
    out = {k: data[k] for k in keys if k in data}
    out["required"] = bool(data.get("required"))
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(value: Any, shape: Mapping[str, Any]) -> bool:
    """Would the provider's field (as read) take this value?"""
    kind = shape.get("type")
    if kind == "object":
        if isinstance(value, str):
            return value in (shape.get("presets") or [])
        fields = shape.get("fields") or {}
        return isinstance(value, dict) and all(
            k in fields and _fits(v, fields[k]) for k, v in value.items()
        )
    if kind == "number":
        ok = _number(value)
    elif kind == "integer":
        ok = _number(value) and float(value).is_integer()
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "array":
        ok = isinstance(value, list)
    else:
        ok = True
    if not ok:
        return False
    if "enum" in shape and _key(value) not in {_key(v) for v in shape["enum"]}:
        return False
    if _number(value):
        if "minimum" in shape and value < shape["minimum"]:
            return False
        if "maximum" in shape and value > shape["maximum"]:
            return False
    return True


# --- comparing one field -----------------------------------------------------------


def _lower_bound_breaks(model: Any, provider: Any) -> bool:
    """The provider's lower bound refuses values the model allows."""
    if provider is None:
        return False
    return model is None or provider > model


def _upper_bound_breaks(model: Any, provider: Any) -> bool:
    if provider is None:
        return False
    return model is None or provider < model


def _aspect_breaks(
    aspect: str, model: Mapping[str, Any], provider: Mapping[str, Any]
) -> bool:
    m, p = model.get(aspect), provider.get(aspect)
    if aspect in ("enum", "presets"):
        if p is None:
            return False
        allowed = {_key(v) for v in p}
        if m is None:  # the model takes any value; the provider now a few
            return model.get("type") != "boolean"
        return any(_key(v) not in allowed for v in m)
    if aspect in ("minimum", "min_items"):
        return _lower_bound_breaks(m, p)
    if aspect in ("maximum", "max_items", "max_length"):
        return _upper_bound_breaks(m, p)
    if aspect == "multiple_of":
        return p is not None and (m is None or m % p != 0)
    if aspect == "required":
        return bool(p) and not m and model.get("default") is None
    if aspect == "items":
        return (m or "string") != (p or "string")
    return False  # default: the model sends its own, or the provider applies its own


def _compare_field(
    path: str,
    input_name: str | None,
    model: Mapping[str, Any],
    provider: Mapping[str, Any],
) -> list[Difference]:
    def diff(aspect: str, m: Any, p: Any, breaking: bool) -> Difference:
        return Difference("changed", path, input_name, aspect, m, p, breaking)

    m_type, p_type = model.get("type"), provider.get("type")
    out: list[Difference] = []
    presets_as_enum = (
        m_type == "string" and p_type == "object" and provider.get("presets")
    )
    if presets_as_enum:
        # A string enum standing for an object input's presets (the catalog's
        # image_size before object inputs existed): compare its values only.
        values = {_key(v) for v in model.get("enum") or []}
        presets = provider.get("presets") or []
        if values != {_key(v) for v in presets}:
            breaking = not model.get("enum") or not values <= {_key(v) for v in presets}
            out.append(diff("enum", model.get("enum"), presets, breaking))
        if provider.get("default") is not None and not _same(
            model.get("default"), provider.get("default")
        ):
            out.append(
                diff("default", model.get("default"), provider.get("default"), False)
            )
        return out
    if m_type != p_type:
        compatible = m_type == "integer" and p_type == "number"
        return [diff("type", m_type, p_type, not compatible)]
    for aspect in ASPECTS[1:]:
        if aspect == "required":
            m_value: Any = bool(model.get("required"))
            p_value: Any = bool(provider.get("required"))
        elif aspect == "items" and m_type == "array":
            m_value, p_value = (
                model.get("items") or "string",
                provider.get("items") or "string",
            )
        else:
            m_value, p_value = model.get(aspect), provider.get(aspect)
        if p_value is None and aspect in _MODEL_MAY_NARROW:
            continue  # the provider states nothing: the model's own choice
        if (
            aspect in ("enum", "presets")
            and m_value is not None
            and p_value is not None
            and {_key(v) for v in m_value} == {_key(v) for v in p_value}
        ):
            continue  # the same values in another order
        if _same(m_value, p_value):
            continue
        out.append(
            diff(aspect, m_value, p_value, _aspect_breaks(aspect, model, provider))
        )
    if m_type == "object":
        out += _compare_fields(
            path, input_name, model.get("fields") or {}, provider.get("fields") or {}
        )
    return out


def _compare_fields(
    path: str,
    input_name: str | None,
    model: Mapping[str, Any],
    provider: Mapping[str, Any],
) -> list[Difference]:
    out: list[Difference] = []
    for name, m in model.items():
        sub = f"{path}.{name}"
        if name not in provider:
            out.append(
                Difference("removed", sub, input_name, None, _summary(m), None, True)
            )
        else:
            out += _compare_field(sub, input_name, m, provider[name])
    for name, p in provider.items():
        if name not in model:
            breaking = bool(p.get("required")) and p.get("default") is None
            out.append(
                Difference(
                    "added",
                    f"{path}.{name}",
                    input_name,
                    None,
                    None,
                    _summary(p),
                    breaking,
                )
            )
    return out


def compare_inputs(
    inputs: Mapping[str, Mapping[str, Any]],
    constants: Mapping[str, Any],
    provider: Mapping[str, ProviderField],
) -> list[Difference]:
    """Every difference between a model's inputs (spec data, by input name) plus
    its payload constants, and the provider's fields (by provider field)."""
    out: list[Difference] = []
    sent: set[str] = set()
    for name, data in inputs.items():
        pfield = str(data.get("provider_field") or name)
        sent.add(pfield)
        theirs = provider.get(pfield)
        if theirs is None:
            out.append(
                Difference("removed", pfield, name, None, _summary(data), None, True)
            )
        elif theirs.data is None:
            out.append(
                Difference(
                    "changed",
                    pfield,
                    name,
                    "type",
                    data.get("type"),
                    f"unreadable: {theirs.problem}",
                    False,
                )
            )
        else:
            out += _compare_field(pfield, name, data, theirs.data)
    for key, value in constants.items():
        sent.add(key)
        theirs = provider.get(key)
        if theirs is None:
            out.append(
                Difference("removed", key, None, None, {"constant": value}, None, True)
            )
        elif theirs.data is not None and not _fits(value, theirs.data):
            out.append(
                Difference(
                    "changed", key, None, "value", value, _summary(theirs.data), True
                )
            )
    for pfield, theirs in provider.items():
        if pfield in sent:
            continue
        shape = theirs.data
        breaking = (
            shape is not None
            and bool(shape.get("required"))
            and shape.get("default") is None
        )
        out.append(
            Difference(
                "added",
                pfield,
                None,
                None,
                None,
                _summary(shape, theirs.problem),
                breaking,
            )
        )
    return sorted(out, key=lambda d: (_KIND_ORDER[d.kind], d.field, d.aspect or ""))


_KIND_ORDER = {"removed": 0, "changed": 1, "added": 2}


# --- accepted differences ------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A difference a maintainer accepted, with both sides' values at the time."""

    model: str
    kind: str
    field: str
    aspect: str | None
    model_value: Any
    provider_value: Any
    reason: str

    def matches(self, model_id: str, d: Difference) -> bool:
        return (
            self.model == model_id
            and (self.kind, self.field, self.aspect or "") == d.key()
            and _same(self.model_value, d.model)
            and _same(self.provider_value, d.provider)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "kind": self.kind,
            "field": self.field,
            "aspect": self.aspect,
            "model_value": self.model_value,
            "provider_value": self.provider_value,
            "reason": self.reason,
        }


def parse_accepted(data: Any, source: str) -> list[Accepted]:
    """The accepted file's entries; ValueError naming the file and the entry."""
    entries = data.get("accepted") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(
            f'{source}: expected {{"accepted": [...]}}; write it with '
            "`python -m generator drift --accept MODEL --reason ...`"
        )
    out: list[Accepted] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("model", "kind", "field", "reason")
        ):
            raise ValueError(
                f"{source}: accepted[{i}] needs model, kind, field and reason "
                "(strings); regenerate it with `drift --accept`"
            )
        out.append(
            Accepted(
                model=entry["model"],
                kind=entry["kind"],
                field=entry["field"],
                aspect=entry.get("aspect"),
                model_value=entry.get("model_value"),
                provider_value=entry.get("provider_value"),
                reason=entry["reason"],
            )
        )
    return out


def render_accepted(entries: Iterable[Accepted]) -> str:
    rows = sorted(
        (e.to_json() for e in entries),
        key=lambda e: (e["model"], e["kind"], e["field"], e["aspect"] or ""),
    )
    return json.dumps({"accepted": rows}, indent=2, ensure_ascii=False) + "\n"


def accept(
    entries: Sequence[Accepted], drift: ModelDrift, reason: str
) -> list[Accepted]:
    """`entries` with `drift.id`'s current differences accepted (and its entries
    that match nothing any more dropped)."""
    kept = [e for e in entries if e.model != drift.id]
    kept += [
        Accepted(
            drift.id,
            d.kind,
            d.field,
            d.aspect,
            d.model,
            d.provider,
            next((e.reason for e in entries if e.matches(drift.id, d)), reason),
        )
        for d in drift.differences
    ]
    return kept


def _apply_accepted(
    model_id: str, diffs: list[Difference], accepted: Sequence[Accepted]
) -> tuple[list[Difference], int]:
    mine = [e for e in accepted if e.model == model_id]
    used: set[int] = set()
    out = []
    for found in diffs:
        hit = next((i for i, e in enumerate(mine) if e.matches(model_id, found)), None)
        if hit is not None:
            used.add(hit)
        out.append(found if hit is None else replace(found, accepted=True))
    return out, len(mine) - len(used)


# --- the catalog -----------------------------------------------------------------


@dataclass(frozen=True)
class CatalogModel:
    """What drift needs of one model file."""

    id: str
    path: str
    provider: str
    provider_model: str
    locked: bool
    inputs: Mapping[str, Mapping[str, Any]]
    constants: Mapping[str, Any]


SchemaLoader = Callable[[str, str], tuple[bytes, str]]
"""(family, provider model) -> (document bytes, where it came from); raises
LookupError or OSError (missing), or any Exception whose message says why."""


def check_model(
    model: CatalogModel, loader: SchemaLoader, accepted: Sequence[Accepted] = ()
) -> ModelDrift:
    result = ModelDrift(
        id=model.id,
        path=model.path,
        provider=model.provider,
        provider_model=model.provider_model,
        locked=model.locked,
        status="ok",
    )
    if model.provider not in COMPARED_FAMILIES:
        result.status = "skipped"
        result.error = (
            f"{model.provider} publishes no per-model input schema drift can read "
            f"(compared: {', '.join(COMPARED_FAMILIES)})"
        )
        return result
    try:
        data, source = loader(model.provider, model.provider_model)
        result.source = source
        fields = read_schema(load_document(data, source), source).by_provider_field()
    except (SchemaImportError, LookupError, OSError) as exc:
        result.status = "error"
        result.error = str(exc)
        return result
    except Exception as exc:  # one model's trouble never stops the rest
        result.status = "error"
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    diffs = compare_inputs(model.inputs, model.constants, fields)
    result.differences, result.stale_accepted = _apply_accepted(
        model.id, diffs, accepted
    )
    result.status = "drift" if result.open_differences else "ok"
    return result


def drift_report(results: Sequence[ModelDrift], schema_source: str) -> dict[str, Any]:
    by_status: dict[str, list[str]] = {
        "ok": [],
        "drift": [],
        "error": [],
        "skipped": [],
    }
    for r in results:
        by_status[r.status].append(r.id)
    return {
        "version": REPORT_VERSION,
        "schemas": schema_source,
        "summary": {
            "models": len(results),
            "compared": len(by_status["ok"]) + len(by_status["drift"]),
            "drifted": by_status["drift"],
            "unchecked": by_status["error"],
            "skipped": len(by_status["skipped"]),
        },
        "exit_status": exit_status(results),
        "models": [r.to_json() for r in results],
    }


def exit_status(results: Iterable[ModelDrift]) -> int:
    """0 no drift; 1 drift; 2 some models could not be checked; 3 both."""
    statuses = {r.status for r in results}
    return (1 if "drift" in statuses else 0) | (2 if "error" in statuses else 0)


def catalog_models(
    models: Iterable[Any],
) -> tuple[list[CatalogModel], list[ModelDrift]]:
    """Parsed model files -> what drift compares; a file whose literals cannot be
    read as a spec is an error result naming it (the rest are still checked)."""
    from generator.schema import spec_data_from_literals  # noqa: PLC0415

    found: list[CatalogModel] = []
    broken: list[ModelDrift] = []
    for parsed in models:
        config, schema = parsed.config, parsed.schema
        try:
            data = spec_data_from_literals(config, schema)
            found.append(
                CatalogModel(
                    id=str(data["id"]),
                    path=parsed.path,
                    provider=str(data["provider"]),
                    provider_model=str(data["provider_model"]),
                    locked=bool(parsed.header.locked),
                    inputs=data["inputs"],
                    constants=data.get("payload_constants") or {},
                )
            )
        except (KeyError, TypeError, AttributeError) as exc:
            broken.append(
                ModelDrift(
                    id=str(config.get("id", parsed.path)),
                    path=parsed.path,
                    provider=str(config.get("provider", "?")),
                    provider_model=str(config.get("provider_model", "?")),
                    locked=bool(parsed.header.locked),
                    status="error",
                    error=(
                        f"{parsed.path}: MODEL_CONFIG/SCHEMA lack {exc}; "
                        "`python -m generator check` says what is wrong"
                    ),
                )
            )
    return found, broken

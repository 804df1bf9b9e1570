"""The providers' published input schemas, kept as data files beside the fakes.

`schemas/<family>/<slug>.json` holds one provider model's request schema as the
provider publishes it (fal's OpenAPI per endpoint, Replicate's `openapi_schema`
Input component, Runware's model schema, kie.ai's documented parameters):

    {"source_url": ..., "retrieved": "YYYY-MM-DD", "provider_model": ...,
     "notes": ..., "schema": {JSON Schema}}

`notes` says what could not be confirmed; such fields are kept permissive in
the schema. Nothing here is derived from this repository's model files or specs:
the fakes judge the model files against the providers' own word.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from modelvault.testing._jsonschema import SchemaError, validate
from modelvault.testing._types import FAMILIES, Family

_REQUIRED_KEYS = ("source_url", "retrieved", "provider_model", "notes", "schema")


@dataclass(frozen=True)
class ProviderSchema:
    """One provider model's published input schema and where it came from."""

    family: Family
    provider_model: str
    source_url: str
    retrieved: str
    notes: str
    schema: Mapping[str, Any]
    file: str

    def check(self, instance: Any) -> list[SchemaError]:
        """Every way `instance` breaks this schema (empty when accepted)."""
        return validate(instance, self.schema)


def _load(family: Family, name: str, text: str) -> ProviderSchema:
    data = json.loads(text)
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        raise ValueError(f"schemas/{family}/{name} lacks {', '.join(missing)}")
    return ProviderSchema(
        family=family,
        provider_model=str(data["provider_model"]),
        source_url=str(data["source_url"]),
        retrieved=str(data["retrieved"]),
        notes=str(data["notes"]),
        schema=data["schema"],
        file=f"schemas/{family}/{name}",
    )


@cache
def schemas_of(family: Family) -> dict[str, ProviderSchema]:
    """Every schema file of `family`, by provider model id."""
    if family not in FAMILIES:
        raise KeyError(f"no provider family {family!r}")
    folder = resources.files("modelvault.testing").joinpath("schemas", family)
    found: dict[str, ProviderSchema] = {}
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            loaded = _load(family, entry.name, entry.read_text(encoding="utf-8"))
            if loaded.provider_model in found:
                raise ValueError(f"two schema files for {loaded.provider_model}")
            found[loaded.provider_model] = loaded
    return found


def schema_for(family: Family, provider_model: str) -> ProviderSchema | None:
    """The published schema of one provider model, or None when unknown."""
    return schemas_of(family).get(provider_model)


def all_schemas() -> list[ProviderSchema]:
    """Every schema file, family by family."""
    return [s for family in FAMILIES for s in schemas_of(family).values()]

"""The public functions behind `import modelvault`."""

from __future__ import annotations

from types import ModuleType

from modelvault._catalog import ModelInfo, default_catalog


def list_models(group: str | None = None) -> list[ModelInfo]:
    """Every model in the registry (optionally one group), sorted by id.
    Reads registry.py only; no model file is imported."""
    models = default_catalog().models()
    if group is not None:
        models = [m for m in models if m.group == group]
    return sorted(models, key=lambda m: m.id)


def describe(model_id: str) -> ModelInfo:
    """Registry facts about one model, by id or record id."""
    return default_catalog().resolve(model_id)


def get(model_id: str) -> ModuleType:
    """The model's module (imported on first use, after checking its lock hash)."""
    return default_catalog().load_model(model_id)

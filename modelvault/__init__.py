"""modelvault: run AI generation models from a reviewed, Git-native catalog.

    import modelvault
    modelvault.list_models()                     # the registry only; fast
    veo = modelvault.get("google-veo-3-1-fast")  # imports that one model file
    record = modelvault.run("google-veo-3-1-fast", {"prompt": "a fox"})

Running (and everything that needs httpx) is imported on first use, so listing
stays as cheap as reading the registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelvault._api import describe, get, list_models
from modelvault._catalog import ModelInfo
from modelvault.errors import (
    CatalogError,
    GenerationNotFoundError,
    GenerationTimeoutError,
    InvalidInputsError,
    MissingApiKeyError,
    ModelVaultError,
    ProviderError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from modelvault._run import Clock, cost, resume, run, run_async, status
    from modelvault.store import (
        Generation,
        GenerationStatus,
        GenerationStore,
        MemoryStore,
        SQLiteStore,
    )

__version__ = "0.1.0"

_LAZY = {
    "Clock": "modelvault._run",
    "cost": "modelvault._run",
    "resume": "modelvault._run",
    "run": "modelvault._run",
    "run_async": "modelvault._run",
    "status": "modelvault._run",
    "Generation": "modelvault.store",
    "GenerationStatus": "modelvault.store",
    "GenerationStore": "modelvault.store",
    "MemoryStore": "modelvault.store",
    "SQLiteStore": "modelvault.store",
}

__all__ = [
    "CatalogError",
    "Clock",
    "Generation",
    "GenerationNotFoundError",
    "GenerationStatus",
    "GenerationStore",
    "GenerationTimeoutError",
    "InvalidInputsError",
    "MemoryStore",
    "MissingApiKeyError",
    "ModelInfo",
    "ModelVaultError",
    "ProviderError",
    "SQLiteStore",
    "UnknownModelError",
    "__version__",
    "cost",
    "describe",
    "get",
    "list_models",
    "resume",
    "run",
    "run_async",
    "status",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'modelvault' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value

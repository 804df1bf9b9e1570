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
    GenerationConflictError,
    GenerationNotFoundError,
    GenerationTimeoutError,
    InvalidApiKeyError,
    InvalidInputsError,
    LeaseLostError,
    MissingApiKeyError,
    ModelVaultError,
    ProviderError,
    RecordNotSavedError,
    StoreError,
    StoreSchemaError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from modelvault._resume import ResumeFailure, ResumeResults, resume
    from modelvault._run import Clock, cost, run, run_async, status
    from modelvault._stats import stats
    from modelvault._store_async import AsyncStore
    from modelvault._store_open import open_store
    from modelvault._store_pg import PostgresStore
    from modelvault._worker import Worker
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
    "resume": "modelvault._resume",
    "ResumeFailure": "modelvault._resume",
    "ResumeResults": "modelvault._resume",
    "run": "modelvault._run",
    "run_async": "modelvault._run",
    "status": "modelvault._run",
    "Generation": "modelvault.store",
    "GenerationStatus": "modelvault.store",
    "GenerationStore": "modelvault.store",
    "MemoryStore": "modelvault.store",
    "SQLiteStore": "modelvault.store",
    "PostgresStore": "modelvault._store_pg",
    "open_store": "modelvault._store_open",
    "stats": "modelvault._stats",
    "Worker": "modelvault._worker",
    "AsyncStore": "modelvault._store_async",
}

__all__ = [
    "AsyncStore",
    "CatalogError",
    "Clock",
    "Generation",
    "GenerationConflictError",
    "GenerationNotFoundError",
    "GenerationStatus",
    "GenerationStore",
    "GenerationTimeoutError",
    "InvalidApiKeyError",
    "InvalidInputsError",
    "LeaseLostError",
    "MemoryStore",
    "MissingApiKeyError",
    "ModelInfo",
    "ModelVaultError",
    "PostgresStore",
    "ProviderError",
    "RecordNotSavedError",
    "ResumeFailure",
    "ResumeResults",
    "SQLiteStore",
    "StoreError",
    "StoreSchemaError",
    "UnknownModelError",
    "Worker",
    "__version__",
    "cost",
    "describe",
    "get",
    "list_models",
    "open_store",
    "resume",
    "run",
    "run_async",
    "stats",
    "status",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'modelvault' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value

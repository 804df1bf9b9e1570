"""modelvault: run AI generation models from a reviewed, Git-native catalog.

import modelvault
modelvault.list_models()                  # the registry only; fast
veo = modelvault.get("google-veo-3-1-fast")  # imports that one model file
"""

from modelvault._api import describe, get, list_models
from modelvault._catalog import ModelInfo
from modelvault.errors import CatalogError, ModelVaultError, UnknownModelError

__version__ = "0.1.0"

__all__ = [
    "CatalogError",
    "ModelInfo",
    "ModelVaultError",
    "UnknownModelError",
    "__version__",
    "describe",
    "get",
    "list_models",
]

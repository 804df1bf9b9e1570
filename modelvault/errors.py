"""Typed errors of the modelvault runtime; each message says what to do next."""

from __future__ import annotations


class ModelVaultError(Exception):
    """Base class of every runtime error."""


class UnknownModelError(ModelVaultError, LookupError):
    def __init__(self, ref: str, closest: list[str]) -> None:
        self.ref = ref
        self.closest = closest
        hint = f"; did you mean {', '.join(closest)}?" if closest else ""
        super().__init__(
            f"no model {ref!r} in the catalog{hint} (run `modelvault list` to see all)"
        )


class CatalogError(ModelVaultError):
    """The registry or a model file is missing, unreadable or does not match."""

"""Keep secrets out of generation records, whatever a provider echoes back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelvault.store import Generation, GenerationStore

REDACTED = "[redacted]"
# Shorter "secrets" (test keys like "k") would match inside ordinary words and
# corrupt records; every real provider key is far longer.
MIN_SECRET_LENGTH = 8


def redact(value: Any, secret: str) -> Any:
    """`value` with every occurrence of `secret` inside its string values replaced."""
    if len(secret) < MIN_SECRET_LENGTH:
        return value
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, Mapping):
        return {k: redact(v, secret) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item, secret) for item in value]
    return value


class RedactingStore:
    """Wraps a store so nothing written to it contains the API key."""

    def __init__(self, store: GenerationStore, secret: str) -> None:
        self._store = store
        self._secret = secret

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self._store.create_generation(redact(record, self._secret))

    def update_generation(self, generation_id: str, changes: Mapping[str, Any]) -> None:
        self._store.update_generation(generation_id, redact(changes, self._secret))

    def get_generation(self, generation_id: str) -> Generation | None:
        return self._store.get_generation(generation_id)

    def unfinished_generations(self) -> list[Generation]:
        return self._store.unfinished_generations()

"""Keep secrets out of generation records, whatever a provider echoes back.

Redaction never raises: it walks at most MAX_DEPTH levels (deeper parts are
replaced by a marker, so the record stays storable as JSON) and rewrites
mapping keys as well as values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
TOO_DEEP = "[too deeply nested: not stored]"
# Shorter "secrets" (test keys like "k") would match inside ordinary words and
# corrupt records; every real provider key is far longer.
MIN_SECRET_LENGTH = 8
MAX_DEPTH = 64


def redact(value: Any, secret: str, *, _depth: int = 0) -> Any:
    """`value` with every occurrence of `secret` in its strings (keys included)
    replaced; tuples become lists, as JSON stores them."""
    if isinstance(value, str):
        if len(secret) >= MIN_SECRET_LENGTH and secret in value:
            return value.replace(secret, REDACTED)
        return value
    if not isinstance(value, Mapping | list | tuple):
        return value
    if _depth >= MAX_DEPTH:
        return TOO_DEEP
    depth = _depth + 1
    if isinstance(value, Mapping):
        return {
            redact(key, secret, _depth=depth): redact(item, secret, _depth=depth)
            for key, item in value.items()
        }
    return [redact(item, secret, _depth=depth) for item in value]


def redact_text(text: str, secret: str) -> str:
    """A message with the secret replaced (any length: messages are ours)."""
    return text.replace(secret, REDACTED) if secret else text

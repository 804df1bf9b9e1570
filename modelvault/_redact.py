"""Keep secrets out of generation records, whatever a provider echoes back.

Redaction never raises: it walks at most MAX_DEPTH levels (deeper parts are
replaced by a marker, so the record stays storable as JSON) and rewrites
mapping keys as well as values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

REDACTED = "[redacted]"
TOO_DEEP = "[too deeply nested: not stored]"
# Shorter "secrets" (test keys like "k") would match inside ordinary words and
# corrupt records; every real provider key is far longer.
MIN_SECRET_LENGTH = 8
MAX_DEPTH = 64


# A callback URL's token (secrets.token_urlsafe(32): 43 characters), plain or
# percent-encoded inside another URL (fal's ?fal_webhook=).
_TOKEN = re.compile(r"(token(?:=|%3D|%3d))([A-Za-z0-9_-]{43})")


def redact(value: Any, secret: str, *, _depth: int = 0) -> Any:
    """`value` with every occurrence of `secret` in its strings (keys included)
    replaced; tuples become lists, as JSON stores them."""
    if len(secret) < MIN_SECRET_LENGTH:
        return _walk(value, lambda text: text)
    return _walk(value, lambda text: text.replace(secret, REDACTED))


def redact_token(value: Any, token_sha256: str | None) -> Any:
    """`value` with the callback token whose sha256 is `token_sha256` replaced
    wherever a provider echoes the callback URL back (kie.ai's `param`, for
    one). Only that token: other `token=` values (a CDN's signed output URL)
    are kept exactly."""
    if not token_sha256:
        return value

    def one(match: re.Match[str]) -> str:
        digest = hashlib.sha256(match.group(2).encode()).hexdigest()
        return match.group(1) + REDACTED if digest == token_sha256 else match.group(0)

    return _walk(value, lambda text: _TOKEN.sub(one, text) if "oken" in text else text)


def _walk(value: Any, fix: Callable[[str], str], _depth: int = 0) -> Any:
    if isinstance(value, str):
        return fix(value)
    if not isinstance(value, Mapping | list | tuple):
        return value
    if _depth >= MAX_DEPTH:
        return TOO_DEEP
    depth = _depth + 1
    if isinstance(value, Mapping):
        return {
            _walk(key, fix, depth): _walk(item, fix, depth)
            for key, item in value.items()
        }
    return [_walk(item, fix, depth) for item in value]


def redact_text(text: str, secret: str) -> str:
    """A message with the secret replaced (any length: messages are ours)."""
    return text.replace(secret, REDACTED) if secret else text

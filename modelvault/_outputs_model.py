"""The shapes of durable outputs: what a stored copy records (`StoredOutput`),
what a store does (`OutputStore`), the limits of a download (`FetchPolicy`),
and the two helpers every part shares: key checking and URL display."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

GIB = 1024**3
MIB = 1024**2

# A key is `segment/segment/...`; each segment of these characters only, and
# never "." or "..": the same key is a safe relative path and a plain S3 key.
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")
_MAX_KEY = 1024


def check_key(key: str) -> str:
    """`key` if it is a safe store key (for a folder and a bucket alike), else
    ValueError: a caller bug, never provider input."""
    segments = key.split("/")
    if (
        not key
        or len(key) > _MAX_KEY
        or not all(_SEGMENT.fullmatch(s) and s not in {".", ".."} for s in segments)
    ):
        raise ValueError(
            f"output key {key!r} is not safe: use segments of letters, digits, "
            "'.', '_' and '-' joined by '/' (no empty, '.' or '..' segments)"
        )
    return key


def is_safe_segment(text: str) -> bool:
    return bool(_SEGMENT.fullmatch(text)) and text not in {".", ".."}


def display_url(url: str) -> str:
    """The URL as messages may show it: scheme://host[:port]/path. Userinfo,
    query string and fragment are dropped (signed URLs carry tokens there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "<unparseable URL>"
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    path = parts.path if len(parts.path) <= 160 else parts.path[:157] + "..."
    scheme = parts.scheme or "?"
    return f"{scheme}://{host}{port}{path}"


@dataclass(frozen=True)
class StoredOutput:
    """One output copied to an output store. `url` is the provider's URL as
    given, `location` where the copy is (an absolute file path or
    s3://bucket/key), `sha256` the hex digest of the stored bytes."""

    url: str
    location: str
    sha256: str
    content_type: str | None
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "location": self.location,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "bytes": self.bytes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredOutput:
        """The inverse of `to_dict`; ValueError naming every bad field."""
        problems = []
        for name in ("url", "location", "sha256"):
            if not isinstance(data.get(name), str):
                problems.append(f"{name} must be a string")
        content_type = data.get("content_type")
        if content_type is not None and not isinstance(content_type, str):
            problems.append("content_type must be a string or null")
        size = data.get("bytes")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            problems.append("bytes must be a non-negative integer")
        digest = data.get("sha256")
        if isinstance(digest, str) and not re.fullmatch(r"[0-9a-f]{64}", digest):
            problems.append("sha256 must be 64 lowercase hex digits")
        if problems:
            raise ValueError("not a stored output: " + "; ".join(problems))
        return cls(
            url=data["url"],
            location=data["location"],
            sha256=data["sha256"],
            content_type=content_type,
            bytes=size,  # type: ignore[arg-type]  # checked above
        )


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one output download. An output URL is provider-controlled
    input: only http(s), only public addresses unless `allow_private` (all of
    them) or `allow_networks` (these CIDR blocks, e.g. ("10.1.2.0/24",) for a
    trusted mirror), at most `max_redirects` hops, at most `max_bytes` stored.
    `timeout_s` bounds each connect and each read; `total_timeout_s` the whole
    download (a server that trickles a byte at a time cannot hold a worker for
    ever). `chunk_size` is the smallest piece handed to the store: a network
    read this large (httpcore reads up to 64 KiB) passes through uncopied,
    smaller reads are gathered first."""

    max_bytes: int = 2 * GIB
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()
    max_redirects: int = 5
    timeout_s: float = 30.0
    total_timeout_s: float = 1800.0
    chunk_size: int = 64 * 1024

    def __post_init__(self) -> None:
        if self.max_bytes < 0 or self.max_redirects < 0 or self.chunk_size <= 0:
            raise ValueError(
                "FetchPolicy: max_bytes and max_redirects must be >= 0 and "
                "chunk_size > 0"
            )
        if self.timeout_s <= 0 or self.total_timeout_s <= 0:
            raise ValueError("FetchPolicy: timeouts must be positive seconds")
        if isinstance(self.allow_networks, str):
            raise ValueError("FetchPolicy: allow_networks is a tuple of CIDR blocks")
        for block in self.allow_networks:
            try:
                ipaddress.ip_network(block, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"FetchPolicy: allow_networks entry {block!r} is not an IP "
                    "network (write e.g. '10.1.2.0/24' or '127.0.0.1/32')"
                ) from exc

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(b, strict=False) for b in self.allow_networks]


@runtime_checkable
class OutputStore(Protocol):
    """Where output copies go. `put` is atomic: it either stores every chunk at
    `key` and returns the location, or raises and leaves nothing at `key` (an
    earlier complete copy at the same key stays until a new one replaces it)."""

    def describe(self) -> str: ...

    def put(
        self, key: str, chunks: Iterable[bytes], content_type: str | None
    ) -> str: ...

"""Output files the fakes serve: `GET /files/<name>` answers deterministic bytes
(the same name gives the same bytes, on every fake and run) with the content
type of the name's extension, so tests of durable outputs can download what a
fake's result URLs point at (`serve_outputs=True`) and check what they stored.

Like a provider's CDN, the route needs no key. `output_size` sets the length;
`output_break_after` closes the connection after that many bytes although
Content-Length announced them all (a download that breaks halfway). Bodies
are streamed in 64 KiB chunks, so large files cost no memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from modelvault.testing._http import Reply

FILES_PREFIX = "/files/"
_BLOCK_HASHES = 128  # 128 x 32 bytes: a 4 KiB block
_CHUNK_BLOCKS = 16  # 64 KiB chunks
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "json": "application/json",
    "txt": "text/plain",
}


def file_name(path_or_url: str) -> str:
    """The name a files-route path or URL serves ("<task>/output-0.jpg")."""
    path = urlsplit(path_or_url).path if "://" in path_or_url else path_or_url
    if not path.startswith(FILES_PREFIX):
        raise ValueError(f"not a files-route path: {path_or_url!r} (want /files/...)")
    return unquote(path.removeprefix(FILES_PREFIX))


def content_type(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def _block(name: str) -> bytes:
    seed = hashlib.sha256(name.encode("utf-8")).digest()
    return b"".join(
        hashlib.sha256(seed + i.to_bytes(4, "big")).digest()
        for i in range(_BLOCK_HASHES)
    )


def chunks(name: str, size: int) -> Iterator[bytes]:
    """The bytes of `name`, `size` long, in chunks of at most 64 KiB."""
    chunk = _block(name) * _CHUNK_BLOCKS
    left = size
    while left > 0:
        piece = chunk[:left]
        yield piece
        left -= len(piece)


def content(name: str, size: int) -> bytes:
    """All the bytes of `name` (for tests that check what was stored)."""
    return b"".join(chunks(name, size))


def file_reply(name: str, size: int, break_after: int | None) -> Reply:
    return Reply(
        200,
        b"",
        headers={"Cache-Control": "public, max-age=3600"},
        content_type=content_type(name),
        chunks=lambda: chunks(name, size),
        length=size,
        break_after=break_after,
    )

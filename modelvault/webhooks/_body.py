"""Reading a delivery's body with a size cap, before anything else is looked at.

A declared Content-Length above the cap is refused without reading a byte; a
body streamed without one (or longer than it said) is read only up to the cap.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from modelvault.webhooks._refusal import RefusalError


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or a RefusalError: 413 past `limit` bytes, 400 for a
    Content-Length that is not a number."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RefusalError(400, "Content-Length is not a number of bytes")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise RefusalError(400, "the sender hung up before the body ended") from None
    return b"".join(chunks)


def _too_large(limit: int) -> RefusalError:
    return RefusalError(
        413,
        f"body larger than this receiver's limit of {limit} bytes "
        "(create_app(max_body_bytes=...) or --max-body-bytes raises it)",
    )

"""copy_output / copy_outputs: stream provider outputs into an output store.

The body goes from the socket to the store chunk by chunk (never whole in
memory), counted and hashed on the way. Anything that goes wrong (a refused
address, the cap, a broken download, the store) raises OutputCopyError, and
the store's atomic put leaves nothing at the key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from modelvault._outputs_fetch import Meter, new_client, open_output
from modelvault._outputs_guard import Resolver, system_resolver
from modelvault._outputs_model import (
    FetchPolicy,
    OutputStore,
    StoredOutput,
    check_key,
    display_url,
    is_safe_segment,
)
from modelvault.errors import OutputCopyError

DEFAULT_POLICY = FetchPolicy()

# Extensions for the media types generation models return; anything else falls
# back to the URL's own suffix (a fixed table: mimetypes reads system files).
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/avif": ".avif",
    "image/heic": ".heic",
    "image/svg+xml": ".svg",
    "image/tiff": ".tiff",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "application/json": ".json",
    "text/plain": ".txt",
    "application/zip": ".zip",
    "model/gltf-binary": ".glb",
}
_URL_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
_CONTENT_TYPE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,199}")

KeyFor = Callable[[str | None], str]  # content type -> key


def extension(content_type: str | None, url: str) -> str:
    """ ".png" from the content type, else from the URL's path, else ""."""
    if content_type:
        media = content_type.split(";", 1)[0].strip().lower()
        if media in EXTENSIONS:
            return EXTENSIONS[media]
    try:
        name = urlsplit(url).path.rsplit("/", 1)[-1]
    except ValueError:
        return ""
    if "." in name:
        suffix = "." + name.rsplit(".", 1)[1]
        if _URL_SUFFIX.fullmatch(suffix):
            return suffix.lower()
    return ""


def _content_type(response: httpx.Response) -> str | None:
    """The Content-Type as sent, if it is plain printable ASCII (it is stored
    and handed to S3 as an attribute)."""
    value = response.headers.get("content-type", "").strip()
    return value if _CONTENT_TYPE.fullmatch(value) else None


@contextmanager
def _client_scope(
    client: httpx.Client | None, policy: FetchPolicy
) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    own = new_client(policy)
    try:
        yield own
    finally:
        own.close()


def _copy(
    url: str,
    store: OutputStore,
    key_for: KeyFor,
    *,
    client: httpx.Client,
    policy: FetchPolicy,
    resolver: Resolver,
) -> StoredOutput:
    shown = display_url(url)
    started = time.monotonic()
    with open_output(client, url, policy, resolver) as response:
        meter = Meter(response, shown, policy, started)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise meter.too_large(f"Content-Length {declared}")
        content_type = _content_type(response)
        key = check_key(key_for(content_type))
        try:
            location = store.put(key, meter.chunks(), content_type)
        except BaseException as exc:
            if meter.error is exc:
                raise
            if meter.error is not None:  # the download's fault, not the store's
                raise meter.error from exc
            if isinstance(exc, OutputCopyError) or not isinstance(exc, Exception):
                raise
            raise _store_error(store, shown, exc) from exc
        if not meter.finished:
            raise _store_error(
                store, shown, RuntimeError("the store stopped reading the download")
            )
    return StoredOutput(
        url=url,
        location=location,
        sha256=meter.hash.hexdigest(),
        content_type=content_type,
        bytes=meter.bytes,
    )


def _store_error(store: OutputStore, shown: str, exc: Exception) -> OutputCopyError:
    return OutputCopyError(
        f"output {shown} could not be written to {store.describe()} "
        f"({store_detail(exc)}); nothing was kept there. Check that the store is "
        "reachable and writable (and, for S3, the bucket and the AWS_* "
        "credentials), then copy again",
        url=shown,
        reason="store",
        retryable=True,
    )


def store_detail(exc: Exception) -> str:
    """One line of a store's error: its first line without URL query strings
    or the raw XML body, plus the S3 error code and message when there is one."""
    text = str(exc)
    line = text.split("\n", 1)[0].split(": <?xml", 1)[0]
    line = re.sub(r"(https?://[^\s?#'\"]+)[?#][^\s'\"]*", r"\1", line)
    code = re.search(r"<Code>([^<]{1,100})</Code>", text)
    message = re.search(r"<Message>([^<]{1,200})</Message>", text)
    if code:
        line += f" [{code.group(1)}" + (f": {message.group(1)}]" if message else "]")
    detail = f"{type(exc).__name__}: {line}"
    return detail if len(detail) <= 500 else detail[:497] + "..."


def copy_output(
    url: str,
    store: OutputStore,
    key: str,
    *,
    client: httpx.Client | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    resolver: Resolver | None = None,
) -> StoredOutput:
    """Copy the output at `url` to `store` under `key`; OutputCopyError (and
    nothing stored) if anything goes wrong. `client` (HTTP/1.1) is used as is
    but never follows redirects itself; `resolver` replaces the system's DNS
    (tests)."""
    check_key(key)
    with _client_scope(client, policy) as http:
        return _copy(
            url,
            store,
            lambda _type: key,
            client=http,
            policy=policy,
            resolver=resolver or system_resolver,
        )


def copy_outputs(
    generation_id: str,
    urls: Sequence[str],
    store: OutputStore,
    *,
    client: httpx.Client | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    resolver: Resolver | None = None,
) -> list[StoredOutput]:
    """Copy every output of a generation, as `{generation_id}/{index}{ext}`.
    Raises at the first failure (OutputCopyError); the outputs copied before
    it are complete and are simply written again on the next attempt."""
    if not is_safe_segment(generation_id):
        raise ValueError(
            f"generation id {generation_id!r} cannot name output keys: use "
            "letters, digits, '.', '_' and '-'"
        )
    stored: list[StoredOutput] = []
    with _client_scope(client, policy) as http:
        for index, url in enumerate(urls):

            def key_for(
                content_type: str | None, index: int = index, url: str = url
            ) -> str:
                return f"{generation_id}/{index}{extension(content_type, url)}"

            stored.append(
                _copy(
                    url,
                    store,
                    key_for,
                    client=http,
                    policy=policy,
                    resolver=resolver or system_resolver,
                )
            )
    return stored

"""S3OutputStore: output copies as objects in S3-compatible storage, via obstore.

Why obstore (the `s3` extra): one small wheel (Rust object_store inside, no
botocore), and `obstore.put` takes a Python iterator and streams it as a
multipart upload, `chunk_size` bytes per part, at most `max_concurrency` parts
in flight (https://developmentseed.org/obstore/latest/api/put/). It calls
AbortMultipartUpload when the upload fails for any reason, our iterator's
error included (obstore/src/put.rs, `put_multipart_inner`), and an object
exists only once CompleteMultipartUpload succeeds: a failed put leaves no
object. A process killed mid-upload cannot abort, so its parts stay hidden in
the bucket until a lifecycle rule for incomplete multipart uploads removes
them (obstore's docs recommend one; so do we). Credentials and region come
from the usual AWS_* environment variables (obstore reads them when the store
is built).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from modelvault._outputs_model import MIB, check_key, display_url
from modelvault.errors import OutputStoreConfigError

ENDPOINT_ENV = "MODELVAULT_S3_ENDPOINT"
AWS_ENDPOINT_ENV = "AWS_ENDPOINT_URL"
EXTRA_HINT = "pip install 'modelvault[s3]'"
# S3 bucket names (lowercase letters, digits, dots, hyphens; 3-63 long); the
# underscore is kept for older S3-compatible servers that allow it.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
# S3 parts must be at least 5 MiB (but the last); 8 MiB x 4 in flight bounds
# the memory one upload holds to about 32 MiB.
DEFAULT_PART = 8 * MIB
DEFAULT_CONCURRENCY = 4


def _obstore() -> Any:
    try:
        import obstore  # noqa: PLC0415 - optional extra, loaded on first use
        import obstore.store  # noqa: PLC0415
    except ImportError as exc:
        raise OutputStoreConfigError(
            f"S3 output stores need obstore, which is not installed: {EXTRA_HINT} "
            "(or use a folder: MODELVAULT_OUTPUTS=/path/to/outputs)"
        ) from exc
    return obstore


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket[/prefix]`; OutputStoreConfigError with
    the fix otherwise."""
    shown = display_url(url)
    example = "use s3://bucket or s3://bucket/prefix"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise OutputStoreConfigError(f"{shown} is not an S3 URL: {example}") from exc
    if parts.scheme != "s3":
        raise OutputStoreConfigError(f"{shown} is not an S3 URL: {example}")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise OutputStoreConfigError(
            f"{shown}: an S3 output URL holds no credentials, query or fragment; "
            f"{example} and put credentials in AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        )
    bucket = parts.netloc
    if not bucket:
        raise OutputStoreConfigError(f"{shown} names no bucket: {example}")
    if not _BUCKET.fullmatch(bucket):
        raise OutputStoreConfigError(
            f"{shown}: {bucket!r} is not a valid bucket name (3-63 lowercase "
            f"letters, digits, '.', '-'); {example}"
        )
    segments = [s for s in parts.path.split("/") if s]
    bad = [s for s in segments if not _PREFIX_SEGMENT.fullmatch(s) or s == ".."]
    if bad:
        raise OutputStoreConfigError(
            f"{shown}: prefix part {bad[0]!r} is not allowed (letters, digits, "
            f"'.', '_', '-'); {example}"
        )
    return bucket, "/".join(segments)


class S3OutputStore:
    """Copies in `s3://bucket/prefix`, at `prefix/<key>`. `endpoint` is the
    server's URL (MinIO, moto, R2, ...): the argument, else MODELVAULT_S3_ENDPOINT,
    else AWS_ENDPOINT_URL, else AWS itself. Plain http is allowed only when the
    endpoint says http."""

    def __init__(
        self,
        url: str,
        endpoint: str | None = None,
        *,
        region: str | None = None,
        part_size: int = DEFAULT_PART,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        chosen = (
            endpoint
            or os.environ.get(ENDPOINT_ENV)
            or os.environ.get(AWS_ENDPOINT_ENV)
            or None
        )
        if chosen is not None and urlsplit(chosen).scheme not in {"http", "https"}:
            raise OutputStoreConfigError(
                f"S3 endpoint {display_url(chosen)} is not an http(s) URL; set "
                f"{ENDPOINT_ENV} to e.g. https://s3.example.com or "
                "http://127.0.0.1:9000"
            )
        self.endpoint = chosen.rstrip("/") if chosen else None
        if part_size < 5 * MIB or max_concurrency < 1:
            raise ValueError("S3 parts must be >= 5 MiB, with at least 1 in flight")
        self._part_size = part_size
        self._concurrency = max_concurrency
        self._obstore = _obstore()
        config: dict[str, Any] = {}
        if self.endpoint:
            config["endpoint"] = self.endpoint
        if region:
            config["region"] = region
        client_options = (
            {"allow_http": True}
            if self.endpoint and self.endpoint.startswith("http://")
            else None
        )
        self._store = self._obstore.store.S3Store(
            self.bucket,
            prefix=self.prefix or None,
            config=config or None,
            client_options=client_options,
        )

    @property
    def url(self) -> str:
        return (
            f"s3://{self.bucket}/{self.prefix}"
            if self.prefix
            else f"s3://{self.bucket}"
        )

    def describe(self) -> str:
        where = display_url(self.endpoint) if self.endpoint else "AWS"
        return f"{self.url} at {where}"

    def __repr__(self) -> str:
        return f"S3OutputStore({self.describe()!r})"

    def location_for(self, key: str) -> str:
        return f"{self.url}/{check_key(key)}"

    def put(self, key: str, chunks: Iterable[bytes], content_type: str | None) -> str:
        location = self.location_for(key)
        attributes = {"Content-Type": content_type} if content_type else None
        self._obstore.put(
            self._store,
            key,
            iter(chunks),
            attributes=attributes,
            use_multipart=True,
            chunk_size=self._part_size,
            max_concurrency=self._concurrency,
        )
        return location

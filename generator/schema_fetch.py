"""Fetch a provider's published input schema over HTTP (httpx).

- fal: `GET {fal base}/api/openapi/queue/openapi.json?endpoint_id=<id>`, public,
  no key (the base defaults to https://fal.ai).
- Replicate: `GET {replicate base}/v1/models/{owner}/{name}` with
  `Authorization: Bearer $REPLICATE_API_TOKEN`; the schema is the answer's
  `latest_version.openapi_schema` (the base defaults to https://api.replicate.com).

Bases are overridable (`--fal-api-base`, `--replicate-api-base`, or the env vars
MODELVAULT_FAL_API_BASE / MODELVAULT_REPLICATE_API_BASE) so tests use a loopback
fake. Transient failures (connection errors, timeouts, 429, 5xx) are retried a few
times; answers over `max_bytes` are refused. The token never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import quote, urlencode

import httpx

FAL_API_BASE = "https://fal.ai"
REPLICATE_API_BASE = "https://api.replicate.com"
FAL_BASE_ENV = "MODELVAULT_FAL_API_BASE"
REPLICATE_BASE_ENV = "MODELVAULT_REPLICATE_API_BASE"
TOKEN_ENV = "REPLICATE_API_TOKEN"
MAX_BYTES = 8 * 1024 * 1024
_TRANSIENT = (429, 500, 502, 503, 504)


class FetchError(Exception):
    """A schema could not be fetched; the message names the URL and what to do."""


def fal_schema_url(base: str, endpoint_id: str) -> str:
    query = urlencode({"endpoint_id": endpoint_id}, safe="/")
    return f"{base.rstrip('/')}/api/openapi/queue/openapi.json?{query}"


def replicate_model_url(base: str, model: str) -> str:
    return f"{base.rstrip('/')}/v1/models/{quote(model, safe='/')}"


@dataclass
class SchemaFetcher:
    """One HTTP client for many fetches (drift fetches a schema per model)."""

    fal_base: str = FAL_API_BASE
    replicate_base: str = REPLICATE_API_BASE
    replicate_token: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    attempts: int = 3
    max_bytes: int = MAX_BYTES
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        for name in ("fal_base", "replicate_base"):
            value = getattr(self, name)
            if not value.startswith(("https://", "http://")):
                raise FetchError(
                    f"{name.replace('_', ' ')} {value!r} is not an http(s) URL"
                )
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=True,
            max_redirects=3,
            headers={
                "User-Agent": "modelvault-generator",
                "Accept": "application/json",
            },
            transport=self.transport,
        )

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        fal_base: str | None = None,
        replicate_base: str | None = None,
    ) -> SchemaFetcher:
        return cls(
            fal_base=fal_base or env.get(FAL_BASE_ENV) or FAL_API_BASE,
            replicate_base=replicate_base
            or env.get(REPLICATE_BASE_ENV)
            or REPLICATE_API_BASE,
            replicate_token=env.get(TOKEN_ENV) or None,
        )

    def __enter__(self) -> SchemaFetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, family: str, provider_model: str) -> tuple[bytes, str]:
        """(the document's bytes, its URL) for a provider family's model."""
        if family == "fal_queue":
            return self.fal(provider_model)
        if family == "replicate":
            return self.replicate(provider_model)
        raise FetchError(f"{family} publishes no per-model schema to fetch")

    def fal(self, endpoint_id: str) -> tuple[bytes, str]:
        url = fal_schema_url(self.fal_base, endpoint_id)
        return self._get(url, {}, f"fal endpoint {endpoint_id}"), url

    def replicate(self, model: str) -> tuple[bytes, str]:
        url = replicate_model_url(self.replicate_base, model)
        if not self.replicate_token:
            raise FetchError(
                f"{TOKEN_ENV} is not set: Replicate's model API ({url}) needs a "
                "token to read latest_version.openapi_schema; set it, or pass "
                "--schema with the version's openapi_schema"
            )
        headers = {"Authorization": f"Bearer {self.replicate_token}"}
        return self._get(url, headers, f"Replicate model {model}"), url

    def _redact(self, text: str) -> str:
        token = self.replicate_token
        return text.replace(token, "***") if token else text

    def _get(self, url: str, headers: Mapping[str, str], what: str) -> bytes:
        last = ""
        for attempt in range(1, self.attempts + 1):
            wait = min(2.0 ** (attempt - 1), 8.0)
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code in _TRANSIENT:
                        last = f"HTTP {response.status_code}"
                        retry_after = response.headers.get("retry-after", "")
                        if retry_after.isdigit():
                            wait = min(float(retry_after), 30.0)
                    elif response.status_code != 200:
                        raise FetchError(self._refused(response.status_code, url, what))
                    else:
                        return self._read(response, url)
            except httpx.HTTPError as exc:
                last = self._redact(f"{type(exc).__name__}: {exc}")
            if attempt < self.attempts:
                self.sleep(wait)
        raise FetchError(
            f"could not fetch {what}'s schema from {url} after {self.attempts} "
            f"attempts ({last}); retry later, or pass a stored schema file"
        )

    def _read(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(self._too_big(url))
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(self._too_big(url))
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, url: str) -> str:
        return (
            f"{url} answered more than {self.max_bytes // (1024 * 1024)} MiB; not a "
            "schema document (check the URL or the API base)"
        )

    @staticmethod
    def _refused(status: int, url: str, what: str) -> str:
        if status == 404:
            return (
                f"{what} was not found ({url} answered 404): check the id (fal: the "
                "endpoint id in the model page's URL; Replicate: owner/name)"
            )
        if status in (401, 403):
            return (
                f"{url} refused the request ({status}): {TOKEN_ENV} is missing, "
                "invalid or cannot see this model; set a valid token"
            )
        return f"{url} answered HTTP {status} for {what}; check the id and the API base"

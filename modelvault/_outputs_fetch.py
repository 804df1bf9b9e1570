"""Open an output URL under the guard: http(s) only, redirects followed by hand
and re-checked at every hop, each connection pinned to the address checked.

Pinning (why a request-level rewrite and not a custom transport): the request
goes to `scheme://<checked IP>:port/path` with the original `Host` header, and
for https the original name as TLS server name through httpx's `sni_hostname`
request extension (httpcore uses it for SNI and for certificate hostname
checks; https://www.python-httpx.org/advanced/extensions/#request-extensions).
So the certificate is verified against the provider's host name while the
socket goes to the address the guard approved: a second DNS answer is never
asked for. It works with any HTTP/1.1 httpx.Client the caller passes (the
runtime's shared one included). `Connection: close` keeps such a connection,
keyed in the pool by IP only, from being reused for another host name whose
certificate it never showed. (An https proxy from the environment would verify
the certificate against the IP and fail: safe, and the default client ignores
the environment's proxies.)
"""

from __future__ import annotations

import hashlib
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from modelvault._outputs_guard import SCHEMES, Resolver, checked_addresses
from modelvault._outputs_model import FetchPolicy, display_url
from modelvault.errors import OutputCopyError

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# 408 Request Timeout, 425 Too Early, 429 Too Many Requests and 5xx may pass.
RETRYABLE_STATUS = frozenset({408, 425, 429})
_MAX_CONNECT_TRIES = 3  # addresses tried in turn when a connect fails
USER_AGENT = "modelvault-outputs"


def new_client(policy: FetchPolicy) -> httpx.Client:
    """The client used when the caller passes none: no redirects of its own,
    no proxies or .netrc from the environment."""
    return httpx.Client(
        follow_redirects=False, timeout=policy.timeout_s, trust_env=False
    )


def _error(
    message: str, shown: str, reason: str, retryable: bool, status: int | None = None
) -> OutputCopyError:
    return OutputCopyError(
        message, url=shown, reason=reason, retryable=retryable, status_code=status
    )


def parse_output_url(url: str, shown: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _error(
            f"output URL {shown} is not a valid URL ({exc}); nothing was fetched",
            shown,
            "bad_url",
            False,
        ) from exc
    return checked_scheme(parsed, shown)


def checked_scheme(parsed: httpx.URL, shown: str) -> httpx.URL:
    if parsed.scheme not in SCHEMES:
        raise _error(
            f"output URL {shown} uses the {parsed.scheme or 'empty'} scheme; only "
            "http and https outputs are fetched (an output URL comes from the "
            "provider). Nothing was fetched",
            shown,
            "scheme",
            False,
        )
    if not parsed.raw_host:
        raise _error(
            f"output URL {shown} has no host; nothing was fetched",
            shown,
            "bad_url",
            False,
        )
    return parsed


def _via_redirect(error: OutputCopyError, original: str) -> OutputCopyError:
    """An error met on a redirect hop, told as such, filed under the output."""
    return OutputCopyError(
        f"{error} (reached by a redirect from output {original})",
        url=original,
        reason=error.reason,
        retryable=error.retryable,
        status_code=error.status_code,
    )


def _transport_error(exc: httpx.HTTPError, shown: str, during: str) -> OutputCopyError:
    if isinstance(exc, httpx.TimeoutException):
        return _error(
            f"{during} output {shown} timed out ({type(exc).__name__}); nothing "
            "was kept. This is temporary: copy again later",
            shown,
            "timeout",
            True,
        )
    if isinstance(exc, httpx.ConnectError) and _certificate_refused(exc):
        return _error(
            f"the TLS certificate of the host of output {shown} could not be "
            f"verified ({exc}); nothing was fetched. An output host must present "
            "a valid certificate for its name; if yours uses a private CA, pass "
            "a client that trusts it (copy_output(..., client=httpx.Client("
            "verify=...)))",
            shown,
            "tls",
            False,
        )
    if isinstance(exc, httpx.ConnectError):
        return _error(
            f"could not connect to the host of output {shown} ({exc}); nothing "
            "was kept. This is usually temporary: copy again later",
            shown,
            "connect",
            True,
        )
    return _error(
        f"{during} output {shown} broke ({type(exc).__name__}: {exc}); nothing "
        "was kept. Copy again later",
        shown,
        "broken",
        True,
    )


def _certificate_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore's error, which wraps ssl's
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _send_pinned(
    client: httpx.Client,
    url: httpx.URL,
    shown: str,
    policy: FetchPolicy,
    resolver: Resolver,
) -> httpx.Response:
    """GET `url` (streamed) from an address the guard approved for its host."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = checked_addresses(
        host,
        port,
        shown=shown,
        allow_private=policy.allow_private,
        allow_networks=policy.networks(),
        resolver=resolver,
    )
    headers = {
        "Host": url.netloc.decode("ascii"),  # host[:port], never userinfo
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        # Bytes as stored, so max_bytes counts what is kept and a compressed
        # answer cannot expand past it in one chunk.
        "Accept-Encoding": "identity",
        "Connection": "close",
    }
    extensions: dict[str, Any] = {"timeout": httpx.Timeout(policy.timeout_s).as_dict()}
    if url.scheme == "https":
        extensions["sni_hostname"] = host.strip("[]")
    failure: httpx.HTTPError | None = None
    for address in addresses[:_MAX_CONNECT_TRIES]:
        # A bare Request, not client.build_request: the client's default
        # headers, cookies and params (an app's shared client may carry its
        # provider API key) never travel to an output host; auth=None drops
        # the client's auth the same way.
        request = httpx.Request(
            "GET", url.copy_with(host=address), headers=headers, extensions=extensions
        )
        try:
            return client.send(request, stream=True, follow_redirects=False, auth=None)
        except httpx.ConnectError as exc:  # nothing sent yet: the next address
            failure = exc
        except httpx.HTTPError as exc:
            raise _transport_error(exc, shown, "requesting") from exc
    assert failure is not None
    raise _transport_error(failure, shown, "requesting") from failure


def _status_error(response: httpx.Response, shown: str) -> OutputCopyError:
    status = response.status_code
    if status in {404, 410}:
        advice = (
            "the output is gone (provider URLs expire: Replicate's after an "
            "hour); copy outputs soon after a generation completes"
        )
        retryable = False
    elif status in {401, 403}:
        advice = "the URL was refused (an expired or invalid signed URL)"
        retryable = False
    elif status >= 500 or status in RETRYABLE_STATUS:
        advice = "the host has a temporary problem: copy again later"
        retryable = True
    else:
        advice = "it is not a file download"
        retryable = False
    return _error(
        f"output {shown} answered HTTP {status}: {advice}. Nothing was kept",
        shown,
        "http_status",
        retryable,
        status,
    )


@contextmanager
def open_output(
    client: httpx.Client, url: str, policy: FetchPolicy, resolver: Resolver
) -> Iterator[httpx.Response]:
    """The streamed 200 answer for `url`, after at most `policy.max_redirects`
    redirects, each hop checked like the first. The response is closed on exit."""
    shown = display_url(url)
    current = parse_output_url(url, shown)
    for hop in range(policy.max_redirects + 1):
        try:
            if hop:
                current = checked_scheme(current, display_url(str(current)))
            response = _send_pinned(
                client, current, display_url(str(current)), policy, resolver
            )
        except OutputCopyError as exc:
            if not hop:
                raise
            raise _via_redirect(exc, shown) from exc
        if response.status_code in REDIRECTS:
            location = response.headers.get("location")
            response.close()
            try:
                current = current.join(location or "")
            except httpx.InvalidURL as exc:
                raise _error(
                    f"output {shown} redirected to an invalid URL; nothing was kept",
                    shown,
                    "bad_url",
                    False,
                ) from exc
            if not location:
                raise _error(
                    f"output {shown} answered HTTP {response.status_code} without "
                    "a Location; nothing was kept",
                    shown,
                    "http_status",
                    False,
                    response.status_code,
                )
            continue
        if response.status_code != 200:
            response.close()
            raise _status_error(response, shown)
        try:
            yield response
        finally:
            response.close()
        return
    raise _error(
        f"output {shown} redirected more than {policy.max_redirects} times; "
        "nothing was kept (raise FetchPolicy.max_redirects if the host really "
        "needs more)",
        shown,
        "redirects",
        False,
    )


class Meter:
    """The body of a response as chunks, counted and hashed while they pass,
    refused past `policy.max_bytes` or `policy.total_timeout_s`. When it raises
    inside a store's `put`, `error` keeps what went wrong (a store may wrap or
    replace the exception on its way out)."""

    def __init__(
        self, response: httpx.Response, shown: str, policy: FetchPolicy, started: float
    ) -> None:
        self._response = response
        self._shown = shown
        self._policy = policy
        self._deadline = started + policy.total_timeout_s
        self.hash = hashlib.sha256()
        self.bytes = 0
        self.finished = False
        self.error: OutputCopyError | None = None

    def _fail(self, error: OutputCopyError) -> OutputCopyError:
        self.error = error
        return error

    def too_large(self, detail: str) -> OutputCopyError:
        cap = _size(self._policy.max_bytes)
        return self._fail(
            _error(
                f"output {self._shown} is larger than the {cap} cap ({detail}); "
                "nothing was kept. Raise FetchPolicy.max_bytes if files this "
                "large are expected",
                self._shown,
                "too_large",
                False,
            )
        )

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces of at least `policy.chunk_size` (but the last).
        The cap and the deadline are checked at every network read:
        iter_bytes() without a size yields each read as it comes (with one,
        httpx would hold a trickling body back until a whole chunk arrived,
        and copy every byte once more)."""
        policy = self._policy
        pending = bytearray()
        try:
            for piece in self._response.iter_bytes():
                self.bytes += len(piece)
                if self.bytes > policy.max_bytes:
                    raise self.too_large(f"more than {self.bytes} bytes sent")
                if time.monotonic() > self._deadline:
                    raise self._fail(self._too_slow())
                self.hash.update(piece)
                if not pending and len(piece) >= policy.chunk_size:
                    yield piece  # a full read passes through, not copied
                    continue
                pending += piece  # small reads (a slow link) are gathered
                if len(pending) >= policy.chunk_size:
                    yield bytes(pending)
                    pending.clear()
        except httpx.HTTPError as exc:
            error = _transport_error(exc, self._shown, "downloading")
            raise self._fail(error) from exc
        if pending:
            yield bytes(pending)
        self.finished = True

    def _too_slow(self) -> OutputCopyError:
        limit = self._policy.total_timeout_s
        return _error(
            f"output {self._shown} took longer than {limit:g} s to download; "
            "nothing was kept. Copy again later, or raise "
            "FetchPolicy.total_timeout_s",
            self._shown,
            "timeout",
            True,
        )


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"

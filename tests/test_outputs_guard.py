"""The output-download guard: address classification, resolution checks, schemes,
redirects and connection pinning, over real loopback HTTP."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from outputs_support import FileServer, payload

from modelvault.outputs import (
    FetchPolicy,
    LocalOutputStore,
    OutputCopyError,
    Resolver,
    classify,
    copy_output,
)

LOOPBACK = FetchPolicy(allow_networks=("127.0.0.1/32",))


@pytest.fixture(scope="module")
def server() -> Iterator[FileServer]:
    started = FileServer().start()
    yield started
    started.stop()


@pytest.fixture
def store(tmp_path: Path) -> LocalOutputStore:
    return LocalOutputStore(tmp_path / "outputs")


def files_in(store: LocalOutputStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


# -- classification ------------------------------------------------------------
REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "10.0.0.5": "private",
    "172.16.3.4": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # cloud metadata
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    # Python's tables name these differently across releases: any refusal will do
    "240.0.0.1": "",
    "255.255.255.255": "",
    "100.64.0.1": "",  # shared address space (carrier-grade NAT)
    "192.0.0.8": "",  # IETF protocol assignments
    "192.0.2.7": "",  # documentation
    "198.18.0.1": "",  # benchmarking
    "2001:db8::1": "",  # documentation
    "100::1": "",  # discard-only
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback (inside ::ffff:7f00:1)",
    "::ffff:10.1.2.3": "private (inside ::ffff:a01:203)",
    "::ffff:169.254.169.254": "link-local (inside ::ffff:a9fe:a9fe)",
    "64:ff9b::a00:1": "private (inside 64:ff9b::a00:1)",  # NAT64 of 10.0.0.1
    "2002:7f00:1::1": "loopback (inside 2002:7f00:1::1)",  # 6to4 of 127.0.0.1
}
PUBLIC = ["8.8.8.8", "1.1.1.1", "151.101.1.1", "2606:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("text", "kind"), sorted(REFUSED.items()))
def test_classify_refuses_non_public_addresses(text: str, kind: str) -> None:
    found = classify(ipaddress.ip_address(text))
    assert found is not None
    assert found == kind or not kind


@pytest.mark.parametrize("text", PUBLIC)
def test_classify_passes_public_addresses(text: str) -> None:
    assert classify(ipaddress.ip_address(text)) is None


# -- what the guard refuses, before any byte is fetched ------------------------
def fixed(addresses: Sequence[str]) -> tuple[list[str], Resolver]:
    """A resolver answering `addresses` for any host, and the hosts it was asked."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return addresses

    return asked, resolve


def test_loopback_server_refused_by_default(
    server: FileServer, store: LocalOutputStore
) -> None:
    url = server.add("a.png", b"png", "image/png")
    before = len(server.requests)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(url, store, "g/0.png")
    error = caught.value
    assert (error.reason, error.retryable) == ("refused_address", False)
    assert "loopback" in str(error)
    assert "allow_networks=('127.0.0.1/32',)" in str(error)
    assert len(server.requests) == before  # nothing was sent
    assert files_in(store) == []


@pytest.mark.parametrize(
    "answer",
    ["10.0.0.5", "169.254.169.254", "::1", "::ffff:192.168.0.1", "fd00::7"],
)
def test_hosts_resolving_to_private_addresses_are_refused(
    store: LocalOutputStore, answer: str
) -> None:
    asked, resolve = fixed([answer])
    with pytest.raises(OutputCopyError) as caught:
        copy_output(
            "https://cdn.example.test/out.png", store, "g/0.png", resolver=resolve
        )
    assert caught.value.reason == "refused_address"
    assert answer in str(caught.value)
    assert asked == ["cdn.example.test"]


def test_one_private_answer_among_public_ones_refuses_the_host(
    store: LocalOutputStore,
) -> None:
    _, resolve = fixed(["93.184.216.34", "10.0.0.1"])
    with pytest.raises(OutputCopyError) as caught:
        copy_output("https://cdn.example.test/a", store, "g/0", resolver=resolve)
    assert caught.value.reason == "refused_address"


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3/x.png", "http://[::1]/x.png", "http://169.254.169.254/latest/"],
)
def test_ip_literal_urls_are_checked_too(store: LocalOutputStore, url: str) -> None:
    with pytest.raises(OutputCopyError) as caught:
        copy_output(url, store, "g/0")
    assert caught.value.reason == "refused_address"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "data:image/png;base64,AAAA",
        "//example.com/a.png",
    ],
)
def test_only_http_and_https_are_fetched(store: LocalOutputStore, url: str) -> None:
    with pytest.raises(OutputCopyError) as caught:
        copy_output(url, store, "g/0", policy=FetchPolicy(allow_private=True))
    assert (caught.value.reason, caught.value.retryable) == ("scheme", False)
    assert "only http and https" in str(caught.value)


def test_unresolvable_host_is_a_retryable_dns_error(store: LocalOutputStore) -> None:
    with pytest.raises(OutputCopyError) as caught:
        copy_output("http://no-such-host.invalid/a.png", store, "g/0")
    assert (caught.value.reason, caught.value.retryable) == ("dns", True)


# -- redirects -------------------------------------------------------------------
def redirect(server: FileServer, to: str, code: int = 302) -> str:
    return server.url("/redirect?" + str(httpx.QueryParams({"to": to, "code": code})))


def test_redirect_to_file_url_is_refused(
    server: FileServer, store: LocalOutputStore
) -> None:
    with pytest.raises(OutputCopyError) as caught:
        copy_output(
            redirect(server, "file:///etc/passwd"), store, "g/0", policy=LOOPBACK
        )
    error = caught.value
    assert (error.reason, error.retryable) == ("scheme", False)
    assert "file:///etc/passwd" in str(error) and "redirect from" in str(error)
    assert error.url.startswith("http://127.0.0.1:")  # filed under the output
    assert files_in(store) == []


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/x.png", "http://127.0.0.2:{port}/files/a", "http://[::1]/"],
)
def test_redirect_to_a_private_address_is_refused(
    server: FileServer, store: LocalOutputStore, target: str
) -> None:
    server.add("a", b"secret")
    before = len(server.requests)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(
            redirect(server, target.format(port=server.port)),
            store,
            "g/0",
            policy=LOOPBACK,  # 127.0.0.1 only: the redirect hop is checked again
        )
    assert caught.value.reason == "refused_address"
    assert "redirect from" in str(caught.value)
    assert len(server.requests) == before + 1  # only the redirect itself
    assert files_in(store) == []


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirects_are_followed_by_hand(
    server: FileServer, store: LocalOutputStore, code: int
) -> None:
    body = payload(5000)
    server.add("r.webp", body, "image/webp")
    stored = copy_output(
        redirect(server, "/files/r.webp", code), store, "g/0.webp", policy=LOOPBACK
    )
    assert Path(stored.location).read_bytes() == body
    assert stored.bytes == len(body)


def test_too_many_redirects(server: FileServer, store: LocalOutputStore) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_redirects=3)
    before = len(server.requests)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(server.url("/loop/0"), store, "g/0", policy=policy)
    assert (caught.value.reason, caught.value.retryable) == ("redirects", False)
    assert len(server.requests) - before == 4  # the first request + 3 redirects


def test_a_client_that_follows_redirects_is_still_guarded(
    server: FileServer, store: LocalOutputStore
) -> None:
    with (
        httpx.Client(follow_redirects=True) as client,
        pytest.raises(OutputCopyError) as caught,
    ):
        copy_output(
            redirect(server, "http://10.0.0.1/x"),
            store,
            "g/0",
            client=client,
            policy=LOOPBACK,
        )
    assert caught.value.reason == "refused_address"


# -- pinning: the connection goes to the address that was checked -------------
def test_connection_goes_to_the_checked_address_not_a_second_dns_answer(
    server: FileServer, store: LocalOutputStore
) -> None:
    """DNS rebinding: the first answer passes the check, a later one would not.
    Our resolver answers 127.0.0.1 once, then 10.0.0.1 (private, unreachable).
    `.test` names never resolve in real DNS, so a fetch that reached the file
    server cannot have asked the system either: the socket went to the address
    the guard checked, and the name travelled only in the Host header."""
    body = payload(100_000, seed=3)
    server.add("rebind.mp4", body, "video/mp4")
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return [next(answers)]

    url = f"http://outputs.rebind.test:{server.port}/files/rebind.mp4"
    stored = copy_output(url, store, "g/0.mp4", policy=LOOPBACK, resolver=rebinding)
    assert Path(stored.location).read_bytes() == body
    assert asked == ["outputs.rebind.test"]  # one answer, checked and used
    assert server.requests[-1].host == f"outputs.rebind.test:{server.port}"


def test_each_redirect_hop_is_resolved_and_checked_once(
    server: FileServer, store: LocalOutputStore
) -> None:
    server.add("hop.png", b"hop", "image/png")
    asked: list[str] = []

    def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return ["127.0.0.1"]

    target = f"http://second.rebind.test:{server.port}/files/hop.png"
    query = str(httpx.QueryParams({"to": target}))
    first = f"http://first.rebind.test:{server.port}/redirect?{query}"
    copy_output(first, store, "g/0.png", policy=LOOPBACK, resolver=resolve)
    assert asked == ["first.rebind.test", "second.rebind.test"]
    hosts = [seen.host for seen in server.requests[-2:]]
    assert hosts == [
        f"first.rebind.test:{server.port}",
        f"second.rebind.test:{server.port}",
    ]


# -- https: the certificate is checked against the name, the socket goes to the IP --
def tls_server(names: list[str]) -> tuple[FileServer, ssl.SSLContext, list[str]]:
    """An https FileServer on 127.0.0.1 with a throwaway CA's certificate for
    `names`; the client context trusting that CA; the SNI names it was sent."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(server_context)
    sent: list[str] = []

    def record_sni(sock: Any, name: str | None, context: Any) -> None:
        sent.append(name or "")

    server_context.sni_callback = record_sni
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return FileServer(tls=server_context).start(), client_context, sent


def test_https_is_verified_against_the_host_name_over_the_pinned_address(
    store: LocalOutputStore,
) -> None:
    server, client_context, sent = tls_server(["cdn.pinned.test"])
    try:
        body = payload(50_000, seed=4)
        server.add("tls.png", body, "image/png")
        _, resolve = fixed(["127.0.0.1"])
        with httpx.Client(verify=client_context) as client:
            stored = copy_output(
                f"https://cdn.pinned.test:{server.port}/files/tls.png",
                store,
                "g/0.png",
                client=client,
                policy=LOOPBACK,
                resolver=resolve,
            )
        assert Path(stored.location).read_bytes() == body
        assert sent == ["cdn.pinned.test"]  # SNI: the name, not 127.0.0.1
        assert server.requests[-1].host == f"cdn.pinned.test:{server.port}"
    finally:
        server.stop()


def test_https_with_a_certificate_for_another_name_is_refused(
    store: LocalOutputStore,
) -> None:
    server, client_context, _ = tls_server(["someone-else.test"])
    try:
        server.add("tls.png", b"not for you", "image/png")
        _, resolve = fixed(["127.0.0.1"])
        with (
            httpx.Client(verify=client_context) as client,
            pytest.raises(OutputCopyError) as caught,
        ):
            copy_output(
                f"https://cdn.pinned.test:{server.port}/files/tls.png",
                store,
                "g/0.png",
                client=client,
                policy=LOOPBACK,
                resolver=resolve,
            )
        assert (caught.value.reason, caught.value.retryable) == ("tls", False)
        assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
        assert files_in(store) == []
    finally:
        server.stop()


def test_importing_outputs_loads_neither_obstore_nor_platformdirs() -> None:
    import subprocess
    import sys

    code = (
        "import sys, modelvault.outputs; "
        "print(sorted(m for m in ('obstore', 'platformdirs') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"

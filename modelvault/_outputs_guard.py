"""Address policy for output downloads: which URLs and addresses may be fetched.

An output URL comes from the provider, so it is untrusted input: fetched
naively it could reach the machine's own services (loopback), the local
network, or a cloud metadata endpoint (169.254.169.254). Only http(s) URLs are
fetched, and every address a host resolves to must be public (unless the
policy allows private ones). The fetch then connects to the very address
checked here (see _outputs_fetch), so a DNS answer that changes between the
check and the connect (rebinding) cannot reach a private address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

from modelvault.errors import OutputCopyError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to, as strings. The default is the
# system resolver; tests pass their own (the seam a rebinding test needs).
Resolver = Callable[[str, int], Sequence[str]]

SCHEMES = ("http", "https")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
# IANA special-purpose blocks that are not globally reachable
# (https://www.iana.org/assignments/iana-ipv4-special-registry/ and
# iana-ipv6-special-registry/): a floor under Python's own is_private /
# is_global, whose tables differ between Python releases.
SPECIAL = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), in the system's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (and may be routed to)."""
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def classify(address: IPAddress) -> str | None:
    """None for a public address, else what it is ("loopback", "private", ...).
    An IPv6 address carrying an IPv4 one (IPv4-mapped, NAT64, 6to4, Teredo) is
    judged by the IPv4 address too."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        for inner in embedded:
            kind = classify(inner)
            if kind is not None:
                return f"{kind} (inside {address})"
        if address.ipv4_mapped is not None or address in _NAT64:
            return None  # judged entirely by the IPv4 address it stands for
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for kind, hit in checks:
        if hit:
            return kind
    if any(address in block for block in SPECIAL):
        return "special-purpose"
    if not address.is_global:  # e.g. 100.64.0.0/10, shared (carrier-grade NAT)
        return "not globally routable"
    return None


def _block(address: IPAddress | None, answer: str) -> str:
    if address is None:
        return answer
    return f"{address}/{address.max_prefixlen}"


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def checked_addresses(
    host: str,
    port: int,
    *,
    shown: str,
    allow_private: bool,
    allow_networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
    resolver: Resolver,
) -> list[str]:
    """The addresses to connect to for `host`, each one checked; OutputCopyError
    when the host does not resolve or any address is refused (one bad answer
    refuses the host: which one a connect would use is not ours to choose)."""
    literal = parse_address(host.strip("[]"))
    if literal is not None:
        answers: Sequence[str] = [str(literal)]
    else:
        try:
            answers = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise OutputCopyError(
                f"could not resolve the host of output {shown} ({exc}); nothing "
                "was kept. If the host is right, this is temporary: copy again "
                "later",
                url=shown,
                reason="dns",
                retryable=True,
            ) from exc
    addresses: list[str] = []
    for answer in answers:
        address = parse_address(answer.split("%", 1)[0])  # drop an IPv6 zone
        kind = "not an IP address" if address is None else classify(address)
        if address is not None and any(address in net for net in allow_networks):
            kind = None
        if kind is not None and not allow_private:
            raise OutputCopyError(
                f"output {shown} points to {answer}, a {kind} address; only "
                "public addresses are fetched (an output URL comes from the "
                "provider). Nothing was fetched. If this host is yours and "
                f"trusted, allow it with FetchPolicy(allow_networks="
                f"('{_block(address, answer)}',)), or every private address "
                "with FetchPolicy(allow_private=True)",
                url=shown,
                reason="refused_address",
                retryable=False,
            )
        if address is not None:
            addresses.append(str(address))
    if not addresses:
        raise OutputCopyError(
            f"the host of output {shown} resolved to no usable address; nothing "
            "was kept. Copy again later",
            url=shown,
            reason="dns",
            retryable=True,
        )
    return addresses

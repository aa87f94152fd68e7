"""Where a feed may be fetched from: public addresses only (issue 16).

A member's feed, every redirect on the way and a homepage's ``<link rel="alternate">``
could otherwise lead the fetcher to the secretariat's own machines (127.0.0.1, a router
on 192.168.x, a cloud's 169.254.169.254). Unless ``feeds.allow_private_addresses`` is
true, every hop is refused when its host is, or resolves to, a loopback, private,
link-local, multicast, reserved, unspecified or otherwise non-global address; a host
with one such address among several is refused whole.

Two checks cover every connection:

- a host written as an IP address is checked before each request (aiohttp never asks
  the resolver about those);
- a host name is checked in the resolver the connection pool uses (``GuardedResolver``):
  the addresses checked are the addresses connected to, so a name that answers a public
  address to a first lookup and 127.0.0.1 to a second (DNS rebinding) gains nothing.

Limit: behind an HTTP(S) proxy (``HTTP_PROXY``/``HTTPS_PROXY``) the proxy resolves the
feed's host, not renkei. Each hop's name is then resolved and checked here before the
request, but the proxy may get another answer from DNS; the proxy's own address is
allowed (it is usually on the intranet).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class RefusedAddress(OSError):
    """A host that is, or resolves to, an address renkei does not fetch feeds from."""


def why_refused(address: str) -> str | None:
    """The kind of a non-public address (``loopback``, ``private`` …); None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address inside an IPv6 one
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and (reason := why_refused(str(inner))):
            return reason
    kinds = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not global", not ip.is_global),  # e.g. 100.64.0.0/10, the carriers' shared space
    )
    return next((name for name, found in kinds if found), None)


def check_addresses(host: str, addresses: list[str]) -> None:
    """Raise RefusedAddress when any address of ``host`` is not public."""
    for address in addresses:
        if reason := why_refused(address):
            shown = host if host == address else f"{host} ({address})"
            raise RefusedAddress(
                f"内部アドレスのため取得しません (refused: {shown} is {reason}; "
                "set feeds.allow_private_addresses = true only for an intranet)"
            )


def proxy_hosts() -> frozenset[str]:
    """The hosts of the proxies in the environment (allowed to be private)."""
    proxies = urllib.request.getproxies()
    return frozenset(
        (urlsplit(url).hostname or "").lower() for key, url in proxies.items() if key != "no"
    ) - {""}


async def check_url(url: str, *, resolve: bool) -> None:
    """Check one hop before its request: a host written as an IP address always; a host
    name only when ``resolve`` (behind a proxy, where the resolver is not asked)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return  # the request fails with aiohttp's own InvalidURL
    if not host:
        return  # the request fails with aiohttp's own InvalidURL
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if not resolve:
            return
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError:
            return  # the request fails with its own DNS error
        check_addresses(host, [str(info[4][0]) for info in infos])
        return
    check_addresses(host, [host])


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing every host with a non-public address among its
    answers; the proxies' hosts are exempt."""

    def __init__(self, exempt: frozenset[str] = frozenset()) -> None:
        self._inner = aiohttp.DefaultResolver()
        self._exempt = exempt

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if host.lower() not in self._exempt:
            check_addresses(host, [str(r["host"]) for r in found])
        return found

    async def close(self) -> None:
        await self._inner.close()


def refused_cause(exc: BaseException) -> RefusedAddress | None:
    """The RefusedAddress behind an aiohttp connection error, if that was the cause."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RefusedAddress):
            return seen
        inner = getattr(seen, "os_error", None)
        if isinstance(inner, RefusedAddress):
            return inner
        seen = seen.__cause__
    return None

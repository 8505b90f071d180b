"""The one outbound HTTP client for customer-chosen URLs (tenant webhooks, organisation endpoints).

The destination is picked by a customer, so the client is hardened against server-side request
forgery: the host is resolved once, every address it resolves to must be public (no private,
loopback, link-local, multicast, reserved or shared ranges, IPv4-mapped forms included), and the
connection goes to the address that was checked, so a second DNS answer cannot rebind it to an
internal one. Plain `http` is refused unless the address is in `OUTBOUND_ALLOWED_NETWORKS`, a setting
that exists for tests and on-premises receivers. Redirects are never followed, connect and read
times are bounded, and at most `MAX_RESPONSE_BYTES` of a reply is read.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Tasdeeq-Webhooks/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """A call that did not get an HTTP answer. `permanent` says whether retrying can help."""

    code = "outbound_failed"
    permanent = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class DestinationNotAllowed(OutboundError):
    code = "destination_not_allowed"
    permanent = True


class OutboundTimeout(OutboundError):
    code = "timeout"


class OutboundConnectionError(OutboundError):
    code = "connection_failed"


@dataclass(frozen=True, slots=True)
class Timeout:
    connect: float = 3.0
    read: float = 10.0


@dataclass(frozen=True, slots=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line
    address: IPAddress  # the checked address the connection goes to


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status: int
    elapsed_ms: float
    body: bytes = field(repr=False)  # at most MAX_RESPONSE_BYTES
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.OUTBOUND_ALLOWED_NETWORKS]


def _explicitly_allowed(address: IPAddress) -> bool:
    return any(address in network for network in _allowed_networks() if network.version == address.version)


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _public(address.ipv4_mapped)
    # is_global is False for private, loopback, link-local, shared (100.64/10), reserved and
    # documentation ranges; multicast is refused on its own because some of it counts as global.
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundConnectionError("the destination host does not resolve", code="dns_failed") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundConnectionError("the destination host does not resolve", code="dns_failed")
    return addresses


def destination_check(url: str) -> Destination:
    """Validate `url` as a destination and pick the address to connect to; raise if it is refused.

    Call it when a customer registers a URL (to answer 400 at once) and again before every send
    (DNS can change between the two).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationNotAllowed("the URL is not valid", code="destination_invalid") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationNotAllowed("the URL must be http(s) with a host", code="destination_invalid")
    if parts.username is not None or parts.password is not None:
        raise DestinationNotAllowed("credentials in the URL are not accepted", code="destination_invalid")
    if len(url) > 2048:
        raise DestinationNotAllowed("the URL is too long", code="destination_invalid")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    for address in addresses:
        if _explicitly_allowed(address):
            continue
        if not _public(address):
            raise DestinationNotAllowed("the destination is not a public address")
        if parts.scheme != "https":
            raise DestinationNotAllowed("the destination must use https", code="destination_insecure")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Destination(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])


def _pool(destination: Destination, timeout: Timeout) -> urllib3.HTTPConnectionPool:
    limits = urllib3.Timeout(connect=timeout.connect, read=timeout.read)
    address = str(destination.address)
    if destination.scheme == "https":
        # Connect to the checked address but verify the certificate (and send SNI) for the host name.
        return urllib3.HTTPSConnectionPool(
            address,
            destination.port,
            timeout=limits,
            retries=False,
            maxsize=1,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            ssl_context=ssl.create_default_context(),
        )
    return urllib3.HTTPConnectionPool(address, destination.port, timeout=limits, retries=False, maxsize=1)


def _host_header(destination: Destination) -> str:
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    default_port = 443 if destination.scheme == "https" else 80
    return host if destination.port == default_port else f"{host}:{destination.port}"


def outbound_post(
    url: str, *, body: bytes, headers: Mapping[str, str], timeout: Timeout | None = None
) -> OutboundResponse:
    """POST `body` to `url`; return whatever HTTP status came back, raise `OutboundError` otherwise."""
    destination = destination_check(url)
    timeout = timeout or Timeout()
    request_headers = {"User-Agent": USER_AGENT, **headers, "Host": _host_header(destination)}
    started = time.perf_counter()
    pool = _pool(destination, timeout)
    try:
        response = pool.urlopen(
            "POST",
            destination.path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            content = response.read(MAX_RESPONSE_BYTES, decode_content=False)
        finally:
            response.release_conn()
    except urllib3.exceptions.NewConnectionError as exc:
        # Checked first: urllib3 derives it from ConnectTimeoutError for backwards compatibility.
        raise OutboundConnectionError("the connection was refused or failed") from exc
    except urllib3.exceptions.TimeoutError as exc:
        raise OutboundTimeout("the destination did not answer in time") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise OutboundConnectionError(f"the connection failed ({type(exc).__name__})") from exc
    finally:
        pool.close()
    return OutboundResponse(
        status=response.status,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        body=content,
        headers=dict(response.headers),
    )

"""Where a webhook may point: not at our own network, unless the operator allows it.

A URL whose host is, or resolves to, a loopback, private, link-local, multicast,
reserved or unspecified address is refused (a subscriber must not make the
worker probe the operator's network), and so is any scheme but https. With
`[notifications] allow_private_targets = true` (a lab, the tests) both are allowed.
The check runs when subscribing and again before every POST, as DNS may change;
a name that resolves differently between the check and the connection is not
caught (no pinning of the checked address).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def unsafe_target(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not receive webhooks; None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "not an http(s) URL"
    if parts.username or parts.password:
        return "a webhook URL carries no credentials"
    if allow_private:
        return None
    if parts.scheme != "https":
        return "webhooks go to https URLs only"
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(
            parts.hostname, port or 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return "the host does not resolve"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return "the host is a loopback, private or link-local address"
    return None

"""The web page's settings, from the environment, each refused in one sentence naming its
variable when it cannot be used.

- PERMANENCE_WEB_URL: the address people reach the page at; https there makes the cookies
  Secure (none);
- PERMANENCE_WEB_IDLE_MINUTES: a session unused this long ends (30);
- PERMANENCE_WEB_SESSION_HOURS: a session this old ends, however busy (10);
- PERMANENCE_WEB_SSO_HEADER: the request header in which a reverse proxy names the signed-in
  lead_id (none);
- PERMANENCE_WEB_TRUSTED_PROXIES: the addresses or networks that header is believed from;
  required with it (none).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from datetime import timedelta

from permanence.config import web_base_url
from permanence.errors import BadInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_HOST = "127.0.0.1"  # this machine only, unless told otherwise
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class WebSettings:
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=10)
    secure_cookies: bool = False
    sso_header: str | None = None
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def from_environment(cls) -> WebSettings:
        base = web_base_url()
        header = os.environ.get("PERMANENCE_WEB_SSO_HEADER", "").strip() or None
        if header is not None and not re.fullmatch(r"[A-Za-z0-9-]+", header):
            raise BadInput(f"PERMANENCE_WEB_SSO_HEADER={header!r}: expected a header name, "
                           "e.g. X-Remote-User")
        proxies = _networks(os.environ.get("PERMANENCE_WEB_TRUSTED_PROXIES", ""))
        if header is not None and not proxies:
            # Believed from anyone, the header would let anyone sign in as anyone.
            raise BadInput("PERMANENCE_WEB_SSO_HEADER is set but PERMANENCE_WEB_TRUSTED_PROXIES "
                           "is not: name the reverse proxy's addresses, e.g. 127.0.0.1")
        return cls(idle=timedelta(minutes=_whole("PERMANENCE_WEB_IDLE_MINUTES", 30, 1, 1440)),
                   lifetime=timedelta(hours=_whole("PERMANENCE_WEB_SESSION_HOURS", 10, 1, 168)),
                   secure_cookies=base is not None and base.lower().startswith("https:"),
                   sso_header=header, trusted_proxies=proxies)

    def trusts(self, address: str | None) -> bool:
        """Whether a request from `address` (the connection's peer, never a forwarded-for
        header, which anyone can write) may name its lead in the SSO header."""
        if self.sso_header is None or address is None:
            return False
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped  # a dual-stack listener's ::ffff:127.0.0.1 is 127.0.0.1
        return any(peer in network for network in self.trusted_proxies)


def _networks(text: str) -> tuple[Network, ...]:
    found = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        try:
            # strict: 10.0.4.7/0 is not quietly read as 0.0.0.0/0, every address there is.
            network = ipaddress.ip_network(part, strict=True)
        except ValueError:
            raise BadInput(f"PERMANENCE_WEB_TRUSTED_PROXIES={text!r}: {part!r} is not an IP "
                           "address or network (e.g. 127.0.0.1, 10.0.0.0/24; a network's "
                           "address has no host bits set)") from None
        if network.prefixlen == 0:
            raise BadInput(f"PERMANENCE_WEB_TRUSTED_PROXIES={text!r}: {part!r} is every "
                           "address, so anyone could name any lead; name the proxy's own "
                           "addresses")
        found.append(network)
    return tuple(found)


def _whole(variable: str, default: int, lowest: int, highest: int) -> int:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or not lowest <= int(value) <= highest:
        raise BadInput(f"{variable}={value!r}: expected a whole number from {lowest} to "
                       f"{highest}")
    return int(value)

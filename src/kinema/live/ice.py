"""STUN/TURN servers for WebRTC, from settings, for both peers (server and browser).

Beyond a LAN a peer behind NAT needs a STUN server to learn its public address, and one behind
a symmetric NAT or a UDP-blocking firewall needs a TURN relay. The same list goes to the
server's aiortc peer connection and, through the session's connection details
(``webrtc.iceServers``), to the browser / widget, which passes it to ``RTCPeerConnection``.

Settings (environment, prefix ``KINEMA_``)::

    KINEMA_LIVE_ICE_SERVERS='[{"urls": ["stun:stun.example.com:3478"]},
                              {"urls": ["turn:turn.example.com:3478?transport=udp"],
                               "username": "kinema", "credential": "secret"}]'
    KINEMA_LIVE_ICE_TRANSPORT_POLICY=relay   # all (default) | relay: relay candidates only
    KINEMA_LIVE_TURN_SECRET=...              # coturn ``use-auth-secret``: TURN entries without
    KINEMA_LIVE_TURN_TTL=86400               # a username get short-lived credentials per session

A bare string is accepted as ``{"urls": [string]}``. With ``live_turn_secret`` the browser
never sees a long-lived password: each session gets ``username = "<expiry>:<session id>"`` and
``credential = base64(HMAC-SHA1(secret, username))`` — the TURN REST API scheme that coturn
checks with ``use-auth-secret`` / ``static-auth-secret``.

aiortc (the server side) uses the first STUN and the first TURN URL only; browsers use all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kinema.config import Settings, get_settings

SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
POLICIES = ("all", "relay")


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    @property
    def is_turn(self) -> bool:
        return any(u.startswith(("turn:", "turns:")) for u in self.urls)

    def browser(self) -> dict[str, Any]:
        """The W3C ``RTCIceServer`` dictionary (what ``new RTCPeerConnection`` takes)."""
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out


@dataclass(frozen=True)
class IceConfig:
    servers: tuple[IceServer, ...] = ()
    policy: str = "all"  # "all" | "relay"

    def browser(self) -> dict[str, Any]:
        """``{"iceServers": [...], "iceTransportPolicy": ...}`` for the connection details."""
        return {
            "iceServers": [s.browser() for s in self.servers],
            "iceTransportPolicy": self.policy,
        }

    def aiortc(self) -> Any:
        """The same servers as an aiortc ``RTCConfiguration``."""
        from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

        servers = [
            RTCIceServer(list(s.urls), username=s.username, credential=s.credential)
            for s in self.servers
        ]
        policy = (
            RTCIceTransportPolicy.RELAY if self.policy == "relay" else RTCIceTransportPolicy.ALL
        )
        return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


def parse_servers(raw: Iterable[Any], field_name: str = "live_ice_servers") -> list[IceServer]:
    """Validate the settings' list; a ``ValueError`` names the entry and what is wrong with it
    (a server configuration error: the settings validator reports it at start-up)."""
    out = []
    for i, entry in enumerate(raw or []):
        where = f"{field_name}[{i}]"
        if isinstance(entry, str):
            entry = {"urls": [entry]}
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected an object with 'urls', got {entry!r}.")
        urls = entry.get("urls", entry.get("url"))
        if isinstance(urls, str):
            urls = [urls]
        if not urls or not all(isinstance(u, str) for u in urls):
            raise ValueError(f"{where}.urls: one URL or a list of URLs is required.")
        for u in urls:
            if not u.startswith(SCHEMES) or len(u.split(":", 1)[1]) == 0:
                raise ValueError(
                    f"{where}.urls: {u!r} is not a STUN/TURN URL (stun:, stuns:, turn:, turns:)."
                )
        username, credential = entry.get("username"), entry.get("credential")
        if (username is None) != (credential is None):
            raise ValueError(f"{where}: give both 'username' and 'credential', or neither.")
        out.append(IceServer(tuple(urls), username, credential))
    return out


def turn_rest_credentials(
    secret: str, user: str, ttl: float, now: float | None = None
) -> tuple[str, str]:
    """Short-lived TURN credentials (TURN REST API, coturn ``use-auth-secret``)."""
    expiry = int((time.time() if now is None else now) + ttl)
    username = f"{expiry}:{user}" if user else str(expiry)
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_config(settings: Settings | None = None, *, session_id: str = "") -> IceConfig:
    """The ICE servers and policy for one session (both peers use the same)."""
    s = settings or get_settings()
    policy = (s.live_ice_transport_policy or "all").strip().lower()
    if policy not in POLICIES:
        raise ValueError(f"live_ice_transport_policy: expected 'all' or 'relay', got {policy!r}.")
    servers = parse_servers(s.live_ice_servers)
    if s.live_turn_secret:
        servers = [
            IceServer(
                srv.urls,
                *turn_rest_credentials(s.live_turn_secret, session_id, s.live_turn_ttl),
            )
            if srv.is_turn and srv.username is None
            else srv
            for srv in servers
        ]
    if policy == "relay" and not any(srv.is_turn for srv in servers):
        raise ValueError(
            "live_ice_transport_policy: 'relay' needs a TURN server in live_ice_servers."
        )
    return IceConfig(tuple(servers), policy)

"""Publishable keys (``pk_...``) for the embed widget.

They sit in public HTML, so they are not secrets: what makes them safe is their scope. A key
opens sessions with exactly one avatar, only for pages whose ``Origin`` is on its list.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinema.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from kinema.platform.deployments.models import PublishableKey
from kinema.platform.models import utcnow

PREFIX = "pk_"


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, as browsers send it in ``Origin``."""
    raw = origin.strip().rstrip("/")
    if raw == "*":  # a key for every site is no key: name the sites
        raise InvalidInput(
            "allowedOrigins: '*' is not allowed; list the origins the widget is embedded on.",
            field="allowedOrigins",
        )
    bad = InvalidInput(
        f"allowedOrigins: {origin!r} is not an origin; use e.g. https://example.com "
        "(scheme, host and optional port, no path).",
        field="allowedOrigins",
    )
    try:
        parts = urlsplit(raw)
        port_n = parts.port  # raises ValueError for "http://a:99999"
    except ValueError:  # also "http://[::1" (unbalanced brackets)
        raise bad from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise bad
    port = f":{port_n}" if port_n else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def create(
    s: Session, org_id: str, avatar_id: str, origins: list[str], name: str = ""
) -> PublishableKey:
    if not origins:
        raise InvalidInput(
            "allowedOrigins: list at least one origin the widget may be embedded on.",
            field="allowedOrigins",
        )
    row = PublishableKey(
        org_id=org_id,
        key=PREFIX + secrets.token_urlsafe(24),
        avatar_id=avatar_id,
        allowed_origins=sorted({normalize_origin(o) for o in origins}),
        name=name,
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    return row


def list_keys(s: Session, org_id: str) -> list[PublishableKey]:
    return list(
        s.scalars(
            select(PublishableKey)
            .where(PublishableKey.org_id == org_id, PublishableKey.revoked_at.is_(None))
            .order_by(PublishableKey.created_at.desc())
        )
    )


def revoke(s: Session, org_id: str, key_id: str) -> None:
    row = s.get(PublishableKey, key_id)
    if row is None or row.org_id != org_id:
        raise NotFound(f"Publishable key {key_id!r} not found.")
    row.revoked_at = row.revoked_at or utcnow()


def origin_allowed(row: PublishableKey, origin: str | None) -> bool:
    if not origin:
        return False
    allowed = row.allowed_origins or []
    try:
        return normalize_origin(origin) in allowed  # a legacy "*" entry matches nothing
    except InvalidInput:
        return False


def authorize(s: Session, key: str, origin: str | None, avatar_id: str | None) -> PublishableKey:
    """The key row if it may open a session with ``avatar_id`` from ``origin``; else 401/403."""
    row = s.scalar(select(PublishableKey).where(PublishableKey.key == key))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("Invalid or revoked publishable key.")
    if avatar_id and avatar_id != row.avatar_id:
        raise Forbidden("This publishable key is not valid for that avatar.")
    if not origin_allowed(row, origin):
        raise Forbidden(
            f"Origin {origin or '(none)'} is not allowed for this key; add it to the key's "
            "allowed origins in Studio → Deployments."
        )
    return row


def any_key_allows(s: Session, origin: str) -> bool:
    """For CORS preflights, which carry no key: is ``origin`` on any live key's list?"""
    rows = s.scalars(select(PublishableKey).where(PublishableKey.revoked_at.is_(None)))
    return any(origin_allowed(r, origin) for r in rows)

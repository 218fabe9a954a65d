"""Dependencies every router shares: settings, database sessions, the calling organization
(Bearer key), the Runway version header, and the dispatcher to wake after writes."""

from __future__ import annotations

import time
from collections.abc import Iterator

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.errors import InvalidInput, Unauthorized
from kinema.media.limits import decode_owner
from kinema.platform import accounts, db
from kinema.platform.accounts import Caller

RUNWAY_VERSION = "2024-11-06"
TOUCH_INTERVAL_S = 60.0  # how often a key's last_used_at is written (not on every request)
_touched: dict[str, float] = {}


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(settings: Settings = Depends(get_app_settings)) -> Iterator[Session]:
    """A session for one request; commit it yourself, and keep the write short (SQLite)."""
    with db.session_factory(settings)() as session:
        yield session


def require_version(x_runway_version: str | None = Header(default=None)) -> None:
    if x_runway_version is None:
        raise InvalidInput(
            f"Missing X-Runway-Version header; send 'X-Runway-Version: {RUNWAY_VERSION}'."
        )
    if x_runway_version != RUNWAY_VERSION:
        raise InvalidInput(
            f"Unsupported X-Runway-Version {x_runway_version!r}; the supported version is "
            f"{RUNWAY_VERSION}."
        )


def current_org(request: Request, settings: Settings = Depends(get_app_settings)) -> Caller:
    """The caller of a ``Authorization: Bearer key_...`` request (401 otherwise)."""
    auth = request.headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'.")
    with db.session_scope(settings) as s:
        caller = accounts.authenticate(s, key.strip())
        owner = decode_owner.get()  # this request's heavy decodes count against the org
        if owner is not None:
            owner.id = caller.org_id
        now = time.monotonic()
        if now - _touched.get(caller.key_id, -1e9) > TOUCH_INTERVAL_S:
            _touched[caller.key_id] = now
            accounts.touch_key(s, caller.key_id)
        return caller


def wake_dispatcher(request: Request) -> None:
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()


def base_url(request: Request, settings: Settings) -> str:
    """Where clients reach us: ``settings.public_url`` or the request's own base URL."""
    return (settings.public_url or str(request.base_url)).rstrip("/")

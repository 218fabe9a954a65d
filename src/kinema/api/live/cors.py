"""CORS for the embed widget, for the origins publishable keys list and no others.

Only the ``/v1/live/...`` endpoints the widget calls answer cross-origin; the rest of the API
stays same-origin (an API key must never sit in a browser on someone else's page). Preflights
carry no key, so they pass when any live key lists the origin; the request itself is then checked
against its own key (or its session's key) by the endpoint. The one exception is the widget's
first call, ``POST /v1/live/embed/sessions``: its preflight passes for any origin, so that the
refusal of the request itself (403, with CORS headers) reaches the page and the widget can say
*why* ("origin … is not allowed for this key") instead of a bare "Failed to fetch". Nothing is
granted by that: the request carries its publishable key and is checked against its origins.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from kinema.api.deps import get_app_settings
from kinema.config import Settings
from kinema.platform import db
from kinema.platform.deployments import keys

router = APIRouter(tags=["embed"])

ALLOW_HEADERS = "authorization, content-type"
EXPLAINED = "embed/sessions"  # answers every origin's preflight; refusals carry CORS headers


def allowed_origin(settings: Settings, origin: str | None) -> str | None:
    if not origin:
        return None
    with db.session_scope(settings) as s:
        return origin if keys.any_key_allows(s, origin) else None


def well_formed(origin: str | None) -> str | None:
    """``origin`` if it is a real ``scheme://host[:port]`` origin (never ``*`` or junk)."""
    from kinema.errors import InvalidInput

    if not origin:
        return None
    try:
        keys.normalize_origin(origin)
    except InvalidInput:
        return None
    return origin


def apply_cors(response: Response, origin: str | None) -> None:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


@router.options("/v1/live/{path:path}", include_in_schema=False)
def preflight(
    path: str, request: Request, settings: Settings = Depends(get_app_settings)
) -> Response:
    origin = request.headers.get("origin")
    if path.strip("/") == EXPLAINED:
        origin = well_formed(origin)
    else:
        origin = allowed_origin(settings, origin)
    if origin is None:
        return Response(status_code=403)
    response = Response(status_code=204)
    apply_cors(response, origin)
    response.headers["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response

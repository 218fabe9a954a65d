"""Every error leaves the API as Runway does it: ``{"error": "..."}`` with the right status.

``KinemaError`` subclasses carry their status; FastAPI's validation errors become 400s that name
the parameter (``"Invalid parameter 'promptText': ..."``) with an ``issues`` list; 404/405 and
anything unexpected keep the same body shape. 429s carry ``Retry-After``.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kinema.errors import KinemaError, RateLimited

log = logging.getLogger("kinema.api")


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


_TYPE_TAGS = {"str", "int", "float", "bool", "dict", "list", "none"}


def _loc_parts(loc: tuple | list) -> list[str | int]:
    """The parameter path without FastAPI's location and pydantic's union-member tags."""
    return [
        p
        for p in loc
        if p not in ("body", "query", "path", "header")
        and not (isinstance(p, str) and ("[" in p or p.lower() in _TYPE_TAGS))
    ]


def _loc_name(loc: tuple | list) -> str:
    return ".".join(str(p) for p in _loc_parts(loc)) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KinemaError)
    async def _kinema(_: Request, exc: KinemaError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        message = str(exc)
        if exc.field and exc.status < 500 and exc.field not in message:
            # one error model: every refusal names the parameter it is about
            message = f"Invalid parameter '{exc.field}': {message}"
        return error_response(exc.status, message, headers)

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, exc: RecursionError) -> JSONResponse:
        # json.loads of a 100k-deep array/object ends here (from the body parser)
        return error_response(400, "Invalid request body: JSON nested too deeply.")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        issues = [
            {
                "code": e.get("type", "invalid"),
                "path": [p for p in e.get("loc", ()) if p != "body"],
                "message": e.get("msg", "invalid"),
            }
            for e in errors
        ]
        if errors and errors[0].get("type") == "json_invalid":  # loc is (body, offset)
            detail = (errors[0].get("ctx") or {}).get("error", "")
            msg = f"Invalid request body: not valid JSON{f' ({detail})' if detail else ''}."
        elif errors:
            first = errors[0]
            msg = f"Invalid parameter '{_loc_name(first.get('loc', ()))}': {first.get('msg')}."
        else:
            msg = "Invalid request."
        return error_response(400, msg, issues=issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "Not found."
        if exc.status_code == 405:
            detail = "Method not allowed."
        return error_response(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "An internal error occurred.")

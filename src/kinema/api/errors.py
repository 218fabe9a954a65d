"""Every error leaves the API as Runway does it: ``{"error": "..."}`` with the right status.

``KinemaError`` subclasses carry their status; FastAPI's validation errors become 400s that name
the parameter (``"Invalid parameter 'promptText': ..."``) with an ``issues`` list; 404/405 and
anything unexpected keep the same body shape. 429s carry ``Retry-After``. A method a path does
not serve answers 405 with an ``Allow`` header listing every method of that path; ``OPTIONS``
answers 204 with the same ``Allow``.

``document_errors`` writes the same contract into the OpenAPI document: every ``/v1`` operation
declares 400/401/403/404/409/413/429 with the ``Error`` body (and no 422, which this API never
sends), ``X-Runway-Version`` as the required header it is, and the Bearer key where one is needed.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from kinema.errors import KinemaError, RateLimited

log = logging.getLogger("kinema.api")


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


class ErrorIssue(BaseModel):
    code: str = Field(description="What kind of problem, e.g. missing, string_type.")
    path: list[str | int] = Field(description="Where in the request, e.g. ['promptText'].")
    message: str


class ErrorBody(BaseModel):
    """Every error this API answers: Runway's ``{"error": "..."}``."""

    error: str = Field(description="What is wrong and, where possible, what to do.")
    issues: list[ErrorIssue] | None = Field(
        default=None, description="Each problem of a request that failed validation (400 only)."
    )


# status -> what it means on this API (the body is always ``ErrorBody``)
ERROR_STATUSES: dict[int, str] = {
    400: "Invalid request: a parameter, header, file or URL that cannot be used (the message "
    "names it), a model or feature this server does not offer, or too few credits.",
    401: "Missing, unknown or revoked API key.",
    403: "The key may not do this (e.g. a publishable key outside its avatar or origin).",
    404: "No such resource in this organization.",
    409: "The resource is in a state that does not allow this (e.g. a session already ended).",
    413: "The request body is larger than the server accepts.",
    429: "Too many requests or tasks; retry after the number of seconds in Retry-After.",
}
RUNWAY_VERSION_HEADER = "x-runway-version"
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def routes(app: Any) -> list[tuple[str, set[str], Any]]:
    """``(path_format, methods, route)`` of every HTTP route, with router prefixes applied
    (FastAPI >= 0.16x keeps included routers lazily: ``iter_route_contexts`` flattens them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        pairs = [(r, r) for r in app.routes]
    else:
        pairs = [(c, c.original_route) for c in iter_route_contexts(app.routes)]
    out = []
    for ctx, route in pairs:
        path, methods = getattr(ctx, "path_format", None), getattr(ctx, "methods", None)
        if path and methods:
            out.append((path, set(methods), route))
    return out


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path (FastAPI has a route per method).

    A literal path wins over a pattern (``/v1/documents/upload`` over ``/v1/documents/{id}``),
    as the OpenAPI document lists them."""
    app = request.app
    table = getattr(app.state, "allow_table", None)
    if table is None:
        table = [(path, compile_path(path)[0], methods) for path, methods, _ in routes(app)]
        app.state.allow_table = table
    path = request.url.path
    matching = [(fmt, methods) for fmt, regex, methods in table if regex.match(path)]
    literal = [(fmt, methods) for fmt, methods in matching if fmt == path]
    methods: set[str] = {"OPTIONS"}
    for _, route_methods in literal or matching:
        methods |= route_methods
    return sorted(methods, key=lambda m: (_METHOD_ORDER + [m]).index(m))


def _error_ref(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document_errors(
    schema: dict[str, Any], *, version: str, secured: set[tuple[str, str]]
) -> dict[str, Any]:
    """Write the API's real error contract into an OpenAPI document (in place, and return it).

    ``secured`` lists the ``(METHOD, path)`` operations that take an API key (Bearer).
    """
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["ErrorIssue"] = ErrorIssue.model_json_schema()
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    body.pop("$defs", None)
    schemas["Error"] = body
    components.setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (key_...) from `kinema serve`'s first start or "
        "`kinema keys create`.",
    }
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            params = op.setdefault("parameters", [])
            declared = {p.get("name") for p in params if p.get("in") == "path"}
            for name in _PATH_PARAM.findall(path):
                if name not in declared:  # a route that ignores its path parameter
                    params.append(
                        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    )
            for p in params:
                if p.get("in") == "header" and p.get("name", "").lower() == RUNWAY_VERSION_HEADER:
                    p["required"] = True
                    p["schema"] = {"type": "string", "enum": [version], "title": "X-Runway-Version"}
                    p["description"] = f"The API version; this server speaks {version}."
            if not params:
                del op["parameters"]
            if not path.startswith("/v1/"):
                continue
            for status, text in ERROR_STATUSES.items():
                existing = responses.get(str(status), {})
                responses[str(status)] = _error_ref(existing.get("description") or text)
            responses["429"]["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }
            }
            if (method.upper(), path) in secured:
                op["security"] = [{"apiKey": []}]
    return schema


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
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "Not found."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path has one route per method
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
            detail = "Method not allowed."
        return error_response(exc.status_code, detail, headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "An internal error occurred.")

"""The FastAPI application: ``create_app(settings=None) -> FastAPI``.

Routers are listed once in ``ROUTERS`` (``"module:attribute"``); each area adds its line. The
lifespan migrates the database, registers this process as a node (``app.state.node``: its id and
address own the live sessions it prepares) and, unless the role is ``api``, runs the task
dispatcher (its executor starts worker processes), so the same app serves ``kinema serve`` and
tests.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline

from kinema.api.errors import document_errors, install_error_handlers, routes
from kinema.config import Settings, get_settings
from kinema.platform import db
from kinema.platform.nodes import NodeAgent

ROUTERS: list[str] = [
    "kinema.api.files:router",
    "kinema.api.runway_v1.tasks:router",
    "kinema.api.runway_v1.generation:router",
    "kinema.api.runway_v1.uploads:router",
    "kinema.api.runway_v1.uploads:form_router",
    "kinema.api.runway_v1.organization:router",
    "kinema.api.runway_v1.gen4:router",
    "kinema.api.runway_v1.audio:router",
    "kinema.api.runway_v1.upscale:router",
    "kinema.api.runway_v1.recipes:router",
    "kinema.api.runway_v1.unoffered:router",
    "kinema.api.characters:router",
    "kinema.api.live.sessions:router",
    "kinema.api.live.connect:router",
    "kinema.api.live.embed:router",
    "kinema.api.live.cors:router",
    "kinema.api.live.dashboard:router",
    "kinema.api.live.studio_tools:router",
    "kinema.api.live.static:router",
]


def _load(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _secured_operations(app: FastAPI) -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every documented operation that depends on the Bearer key."""
    from fastapi.routing import APIRoute

    from kinema.api.deps import current_org

    def uses(dep: Any) -> bool:
        return dep.call is current_org or any(uses(d) for d in dep.dependencies)

    return {
        (method, path)
        for path, methods, route in routes(app)
        if isinstance(route, APIRoute) and route.include_in_schema and uses(route.dependant)
        for method in methods
    }


def _document_errors(app: FastAPI) -> None:
    """The OpenAPI document with the real error responses (``errors.document_errors``)."""
    from kinema.api.deps import RUNWAY_VERSION

    build = app.openapi
    done = False

    def openapi() -> dict:
        nonlocal done
        schema = build()  # FastAPI's, cached on app.openapi_schema
        if not done:
            document_errors(schema, version=RUNWAY_VERSION, secured=_secured_operations(app))
            done = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings | None = None, *, run_tasks: bool = True, node: NodeAgent | None = None
) -> FastAPI:
    """Build the app. ``run_tasks=False`` serves the API without starting workers; ``node`` is
    an already started ``NodeAgent`` (``kinema serve`` starts it first to refuse cleanly)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.migrate(settings)
        agent = node
        if agent is None:
            agent = NodeAgent(settings, role="all" if run_tasks else "api")
            agent.start()
        app.state.node = agent
        from kinema.api.live.runtime import runtime_of

        agent.on_beat.append(runtime_of(app).sweep)
        dispatcher = None
        if run_tasks:
            from kinema.platform.jobs.dispatcher import Dispatcher

            dispatcher = Dispatcher(settings)
            dispatcher.start()
        app.state.dispatcher = dispatcher
        try:
            yield
        finally:
            if getattr(app.state, "live", None) is not None:  # live sessions end cleanly
                await app.state.live.shutdown()
            if dispatcher is not None:
                dispatcher.stop()
            agent.stop()

    app = FastAPIOffline(  # /docs works offline: Swagger UI assets ship in the wheel
        title="Kinema",
        version="0.1.0",
        description="Self-hosted living characters and a Runway-compatible video API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.dispatcher = None
    app.state.node = None
    install_error_handlers(app)
    from kinema.api.logs import install_log_redaction

    install_log_redaction()
    from kinema.api.limits import BodyLimitMiddleware, DecodeOwnerMiddleware

    app.add_middleware(BodyLimitMiddleware, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(
        DecodeOwnerMiddleware,
        limit=settings.max_heavy_decodes_per_org,
        queued=settings.max_heavy_decodes_queued_per_org,
    )
    for target in ROUTERS:
        app.include_router(_load(target))

    _document_errors(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict:
        return {"ok": True}

    return app

"""Request body size limits, enforced before a handler reads the body.

JSON bodies may carry data URIs (a 16 MB video, 5 MB images), so they are capped at
``MAX_JSON_BYTES``; other bodies (multipart uploads) at ``settings.max_upload_bytes`` plus room
for the form's own fields. The declared ``Content-Length`` is checked first; chunked bodies are
counted as they arrive. Over the limit: 413 ``{"error": ...}`` naming the limit.
"""

from __future__ import annotations

import json
from typing import Any

from kinema.media.limits import DecodeOwner, decode_owner

MAX_JSON_BYTES = 24 * 1024 * 1024
FORM_OVERHEAD = 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: Any, *, max_upload_bytes: int) -> None:
        self.app = app
        self.max_other = max_upload_bytes + FORM_OVERHEAD

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        limit = MAX_JSON_BYTES if ctype.endswith(b"json") else self.max_other
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        seen = 0
        started = False
        rejected = False

        async def counting_receive() -> dict:
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # answer 413 now: FastAPI turns any error while reading a body into a 400,
                    # so the app is told the client left and whatever it sends is dropped
                    rejected = True
                    if not started:
                        await _reject(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)


async def _reject(send: Any, limit: int) -> None:
    body = json.dumps(
        {"error": f"Request body too large: the limit is {limit} bytes for this content type."}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class DecodeOwnerMiddleware:
    """A fresh ``media.limits.DecodeOwner`` per request; ``deps.current_org`` names the caller's
    organization in it, so heavy decodes are capped per organization."""

    def __init__(self, app: Any, *, limit: int, queued: int) -> None:
        self.app = app
        self.limit = limit
        self.queued = queued

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = decode_owner.set(DecodeOwner(limit=self.limit, queued=self.queued))
        try:
            await self.app(scope, receive, send)
        finally:
            decode_owner.reset(token)

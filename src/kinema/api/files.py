"""``GET /files/<key>?exp=&sig=``: outputs served by kinema under expiring HMAC signatures,
whatever the storage backend. Local files and proxied remote ones both answer ``Range``
requests (206, so players can seek and Safari plays); with ``storage_serve=presign`` a remote
file is a redirect to a presigned URL of the store, valid no longer than the signature."""

from __future__ import annotations

import mimetypes
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from kinema.api.deps import get_app_settings
from kinema.config import Settings
from kinema.errors import Forbidden, NotFound
from kinema.platform import db
from kinema.platform.storage import (
    RangeNotSatisfiable,
    get_storage,
    parse_range,
    verify_signature,
)
from kinema.platform.tasks import task_id_of_key, withdrawn

router = APIRouter(tags=["files"], include_in_schema=False)

PRESIGN_MAX_TTL = 3600  # a redirect target outlives no signature, and never an hour


@router.get("/files/{key:path}")
def get_file(
    key: str,
    request: Request,
    exp: str = "",
    sig: str = "",
    settings: Settings = Depends(get_app_settings),
) -> Response:
    if not verify_signature(key, exp, sig, secret=settings.resolved_secret_key()):
        raise Forbidden(
            "This link is invalid or has expired; fetch the task again for a fresh URL."
        )
    task_id = task_id_of_key(key)
    if task_id is not None:  # a deleted or cancelled task's links die with it
        with db.session_scope(settings) as s:
            if withdrawn(s, task_id):
                raise NotFound("File not found.")
    storage = get_storage(settings)
    media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    local = storage.local_path(key)
    if local is not None:
        if not local.is_file():
            raise NotFound("File not found.")
        return FileResponse(local, media_type=media_type)  # Range handled by Starlette
    size = storage.size(key)  # NotFound when missing
    if settings.storage_serve == "presign":
        ttl = max(1, min(PRESIGN_MAX_TTL, int(exp) - int(time.time())))
        url = storage.presign(key, ttl)
        if url:
            return RedirectResponse(url, status_code=307)
    headers = {"Accept-Ranges": "bytes"}
    try:
        span = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if span is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(
            storage.iter_range(key, 0, size - 1), media_type=media_type, headers=headers
        )
    start, end = span
    headers.update(
        {"Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1)}
    )
    return StreamingResponse(
        storage.iter_range(key, start, end), status_code=206, media_type=media_type, headers=headers
    )

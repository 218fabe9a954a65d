"""``GET /files/<key>?exp=&sig=``: outputs served by kinema under expiring HMAC signatures,
whatever the storage backend (local files are sent with range support)."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response, StreamingResponse

from kinema.api.deps import get_app_settings
from kinema.config import Settings
from kinema.errors import Forbidden, NotFound
from kinema.platform import db
from kinema.platform.storage import get_storage, verify_signature
from kinema.platform.tasks import task_id_of_key, withdrawn

router = APIRouter(tags=["files"], include_in_schema=False)


@router.get("/files/{key:path}")
def get_file(
    key: str, exp: str = "", sig: str = "", settings: Settings = Depends(get_app_settings)
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
        return FileResponse(local, media_type=media_type)
    if not storage.exists(key):
        raise NotFound("File not found.")
    return StreamingResponse(storage.iter_bytes(key), media_type=media_type)

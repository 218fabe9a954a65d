"""Ephemeral uploads, the two-step flow of the SDK's ``uploads.create_ephemeral``:

1. ``POST /v1/uploads {"filename", "type": "ephemeral"}`` → ``{uploadUrl, fields, runwayUri}``;
2. the client POSTs multipart ``fields`` + ``file`` to ``uploadUrl`` with no API key (S3 style),
   so the one-time ``token`` in ``fields`` (an HMAC of the upload id) is the credential.
The ``runway://uploads/<id>`` URI then works in any media field for a day.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from kinema.api.deps import base_url, current_org, get_app_settings, require_version
from kinema.api.runway_v1.schemas import UploadIn
from kinema.config import Settings
from kinema.errors import Conflict, Forbidden, InvalidInput, InvalidMedia, NotFound
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.inputs import MEDIA_EXTENSIONS, UPLOAD_SCHEME, UPLOAD_TTL
from kinema.platform.models import Upload, utcnow
from kinema.platform.storage import get_storage

router = APIRouter(prefix="/v1", tags=["uploads"], dependencies=[Depends(require_version)])
form_router = APIRouter(tags=["uploads"], include_in_schema=False)

ALL_EXTENSIONS = tuple(e for exts in MEDIA_EXTENSIONS.values() for e in exts)


def _token(upload_id: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"upload:{upload_id}".encode(), hashlib.sha256).hexdigest()


@router.post("/uploads")
def create_upload(
    request: Request,
    body: UploadIn,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Start an ephemeral upload; returns where to POST the file."""
    name = body.filename.rsplit("/", 1)[-1]
    if (
        not name
        or len(name.encode("utf-8", "surrogatepass")) > 255
        or any(ord(c) < 32 or c in "\\\x7f" or "\ud800" <= c <= "\udfff" for c in name)
    ):
        raise InvalidInput(
            "Invalid parameter 'filename': 1 to 255 bytes, without control characters, NUL or "
            "backslashes.",
            field="filename",
        )
    if not name.lower().endswith(ALL_EXTENSIONS):
        raise InvalidInput(
            f"Invalid parameter 'filename': {name!r} must end in a media "
            f"extension ({', '.join(ALL_EXTENSIONS)}).",
            field="filename",
        )
    with db.session_scope(settings) as s:
        up = Upload(
            org_id=caller.org_id,
            filename=name,
            created_at=utcnow(),
            expires_at=utcnow() + UPLOAD_TTL,
        )
        s.add(up)
        s.flush()
        upload_id = up.id
    return {
        "uploadUrl": f"{base_url(request, settings)}/uploads/{upload_id}",
        "fields": {"token": _token(upload_id, settings.resolved_secret_key())},
        "runwayUri": f"{UPLOAD_SCHEME}{upload_id}",
    }


@form_router.post("/uploads/{upload_id}", status_code=204)
def receive_upload(
    upload_id: str,
    request: Request,
    token: str = Form(...),
    file: UploadFile = File(...),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """The form POST of step 2 (authorised by the signed ``token``)."""
    if not token.isascii() or not hmac.compare_digest(
        token, _token(upload_id, settings.resolved_secret_key())
    ):
        raise Forbidden("Invalid upload token.")
    with db.session_scope(settings) as s:
        up = s.get(Upload, upload_id)
        if up is None:
            raise NotFound("Upload not found.")
        if up.storage_key is not None:
            raise Conflict("This upload already has a file.")
        filename = up.filename
    chunks, size = [], 0
    while block := file.file.read(1 << 20):
        size += len(block)
        if size > settings.max_upload_bytes:
            raise InvalidMedia(
                f"file: larger than the upload limit of {settings.max_upload_bytes} bytes.",
                field="file",
            )
        chunks.append(block)
    key = get_storage(settings).put_bytes(f"uploads/{upload_id}/{filename}", b"".join(chunks))
    with db.session_scope(settings) as s:
        up = s.get(Upload, upload_id)
        assert up is not None
        up.storage_key, up.size = key, size
        up.content_type = file.content_type
        up.completed_at = utcnow()
        up.expires_at = utcnow() + max(UPLOAD_TTL, timedelta(0))
    return Response(status_code=204)

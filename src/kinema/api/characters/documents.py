"""``/v1/documents``: Runway's knowledge documents, plus ``POST /v1/documents/upload``
(Kinema): a multipart ``file`` (txt, md, pdf, docx, html) or JSON ``{url, name?}``."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from kinema.api.characters.render import document_json
from kinema.api.deps import base_url, current_org, get_app_settings, require_version
from kinema.api.pagination import paginate
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.characters import documents as service
from kinema.platform.characters.models import Document

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[Depends(require_version)])


class DocumentIn(BaseModel):
    name: str = Field(min_length=1, max_length=500)
    content: str


class DocumentPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=500)
    content: str | None = None


class DocumentUrlIn(BaseModel):
    url: str = Field(min_length=8, max_length=2048)
    name: str | None = Field(default=None, max_length=500)


@router.post("/documents")
def create_document(
    body: DocumentIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Create a text/Markdown document and index it for the organization."""
    with db.session_scope(settings) as s:
        doc = service.create_text(s, caller.org_id, body.name, body.content, settings)
        return document_json(s, doc, base_url(request, settings), settings)


@router.post("/documents/upload")
async def upload_document(
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Kinema: a document from a file (multipart ``file``, optional ``name``) or ``{url}``."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_part_size=settings.max_document_bytes + 1024)
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise InvalidInput(
                "Invalid parameter 'file': attach the document as 'file'.", field="file"
            )
        data = await file.read()
        name = form.get("name")
        filename, content_type = file.filename, file.content_type

        def store_file() -> dict:  # parse + database: off the event loop
            with db.session_scope(settings) as s:
                doc = service.create_file(
                    s,
                    caller.org_id,
                    data,
                    settings,
                    filename=filename,
                    content_type=content_type,
                    name=name if isinstance(name, str) else None,
                )
                return document_json(s, doc, base_url(request, settings), settings)

        return await asyncio.to_thread(store_file)
    try:
        body = DocumentUrlIn.model_validate(await request.json())
    except Exception:
        raise InvalidInput(
            'Send a multipart form with a \'file\', or JSON {"url": "https://..."}.',
            field="url",
        ) from None

    def store_url() -> dict:  # fetch + parse + database: off the event loop
        with db.session_scope(settings) as s:
            doc = service.create_url(s, caller.org_id, body.url, settings, name=body.name)
            return document_json(s, doc, base_url(request, settings), settings)

    return await asyncio.to_thread(store_url)


@router.get("/documents")
def list_documents(
    request: Request,
    limit: int = 20,
    cursor: str | None = None,
    sort: Literal["createdAt", "updatedAt"] = "createdAt",
    order: Literal["asc", "desc"] = "desc",
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    column = Document.created_at if sort == "createdAt" else Document.updated_at
    stmt = (
        select(Document)
        .where(Document.org_id == caller.org_id)
        .order_by(column.asc() if order == "asc" else column.desc(), Document.id)
    )
    base = base_url(request, settings)
    with db.session_scope(settings) as s:
        return paginate(
            s,
            stmt,
            limit=limit,
            cursor=cursor,
            render=lambda d: document_json(s, d, base, settings, content=False),
        )


@router.get("/documents/{doc_id}")
def get_document(
    doc_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        doc = service.get(s, caller.org_id, doc_id)
        return document_json(s, doc, base_url(request, settings), settings)


@router.patch("/documents/{doc_id}", status_code=204, response_class=Response)
def update_document(
    doc_id: str,
    body: DocumentPatch,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    with db.session_scope(settings) as s:
        service.update(s, caller.org_id, doc_id, settings, name=body.name, content=body.content)
    return Response(status_code=204)


@router.delete("/documents/{doc_id}", status_code=204, response_class=Response)
def delete_document(
    doc_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    with db.session_scope(settings) as s:
        service.delete(s, caller.org_id, doc_id, settings)
    return Response(status_code=204)

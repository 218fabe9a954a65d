"""Knowledge documents: create from text, a file or a URL; update; delete; index per org.

Text documents (Runway's ``{name, content}``) are Markdown or plain text; files and URLs go
through ``kinema.knowledge.ingest`` and become the same Document with ``type: "file"``. Every
write re-indexes the document's chunks in the organization's partition of the index.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.errors import InvalidInput, NotFound
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.errors import DocumentTooLarge, EmptyDocument
from kinema.knowledge.ingest import extract_text, fetch_document
from kinema.platform.characters.common import get_index
from kinema.platform.characters.models import Avatar, Document
from kinema.platform.models import utcnow

MAX_NAME = 500
MAX_AVATAR_KNOWLEDGE_TOKENS = 50_000  # Runway's limit of knowledge per avatar


def estimate_tokens(text: str) -> int:
    """About 4 characters a token for English prose (a word is ~1.3 tokens)."""
    return max(len(text) // 4, round(len(text.split()) * 1.3))


def _check_text(name: str, content: str, settings: Settings) -> None:
    if not name.strip():
        raise InvalidInput("Invalid parameter 'name': must not be empty.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Invalid parameter 'name': at most {MAX_NAME} characters.")
    if not content.strip():
        raise EmptyDocument("Invalid parameter 'content': the document is empty.", field="content")
    size = len(content.encode())
    if size > settings.max_document_bytes:
        raise DocumentTooLarge(
            f"Invalid parameter 'content': {size} bytes; the limit is "
            f"{settings.max_document_bytes} bytes. Split it into smaller documents.",
            field="content",
        )


def _index(doc: Document, settings: Settings) -> None:
    chunks = chunk_text(doc.content)
    if not chunks:
        raise EmptyDocument("The document holds no text to index.", field="content")
    get_index(settings).add(doc.org_id, doc.id, doc.name, chunks)


def create_text(
    session: Session, org_id: str, name: str, content: str, settings: Settings
) -> Document:
    _check_text(name, content, settings)
    now = utcnow()
    doc = Document(
        org_id=org_id,
        name=name.strip(),
        content=content,
        type="text",
        created_at=now,
        updated_at=now,
    )
    session.add(doc)
    session.flush()
    _index(doc, settings)
    return doc


def create_file(
    session: Session,
    org_id: str,
    data: bytes,
    settings: Settings,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    name: str | None = None,
) -> Document:
    """A document from an uploaded file (txt, md, pdf, docx, html)."""
    extracted = extract_text(
        data, filename=filename, content_type=content_type, max_bytes=settings.max_document_bytes
    )
    return _create_extracted(
        session, org_id, name or extracted.title, extracted.text, filename, settings
    )


def create_url(
    session: Session, org_id: str, url: str, settings: Settings, *, name: str | None = None
) -> Document:
    """A document from a web page or file URL (SSRF-guarded fetch)."""
    extracted = fetch_document(
        url, allow_private=settings.allow_private_urls, timeout=settings.fetch_timeout
    )
    return _create_extracted(
        session, org_id, name or extracted.title, extracted.text, url, settings
    )


def _create_extracted(
    session: Session, org_id: str, name: str, text: str, source: str | None, settings: Settings
) -> Document:
    name = (name or source or "document").strip()[:MAX_NAME]
    _check_text(name, text, settings)
    now = utcnow()
    doc = Document(
        org_id=org_id,
        name=name,
        content=text,
        type="file",
        source=source,
        created_at=now,
        updated_at=now,
    )
    session.add(doc)
    session.flush()
    _index(doc, settings)
    return doc


def get(session: Session, org_id: str, doc_id: str) -> Document:
    doc = session.get(Document, doc_id)
    if doc is None or doc.org_id != org_id:
        raise NotFound("Document not found.")
    return doc


def update(
    session: Session,
    org_id: str,
    doc_id: str,
    settings: Settings,
    *,
    name: str | None = None,
    content: str | None = None,
) -> Document:
    doc = get(session, org_id, doc_id)
    new_name = doc.name if name is None else name
    new_content = doc.content if content is None else content
    _check_text(new_name, new_content, settings)
    doc.name, doc.content, doc.updated_at = new_name.strip(), new_content, utcnow()
    session.flush()
    _index(doc, settings)
    return doc


def delete(session: Session, org_id: str, doc_id: str, settings: Settings) -> None:
    """Delete a document, detach it from every avatar and drop it from the index."""
    doc = get(session, org_id, doc_id)
    for avatar in used_by(session, org_id, doc_id):
        avatar.document_ids = [d for d in avatar.document_ids if d != doc_id]
    session.delete(doc)
    get_index(settings).remove(org_id, doc_id)


def used_by(session: Session, org_id: str, doc_id: str) -> list[Avatar]:
    avatars = session.scalars(select(Avatar).where(Avatar.org_id == org_id)).all()
    return [a for a in avatars if doc_id in (a.document_ids or [])]


def check_ids(session: Session, org_id: str, doc_ids: list[str]) -> list[str]:
    """``doc_ids`` deduplicated, each an existing document of the org (else 400 naming it)."""
    out: list[str] = []
    for n, doc_id in enumerate(doc_ids):
        doc = session.get(Document, doc_id)
        if doc is None or doc.org_id != org_id:
            raise InvalidInput(
                f"Invalid parameter 'documentIds.{n}': no document {doc_id!r} in this "
                "organization.",
                field="documentIds",
            )
        if doc_id not in out:
            out.append(doc_id)
    tokens = sum(estimate_tokens(session.get_one(Document, d).content) for d in out)
    if tokens > MAX_AVATAR_KNOWLEDGE_TOKENS:
        raise InvalidInput(
            f"Invalid parameter 'documentIds': the documents hold about {tokens} tokens; an "
            f"avatar may use at most {MAX_AVATAR_KNOWLEDGE_TOKENS}.",
            field="documentIds",
        )
    return out

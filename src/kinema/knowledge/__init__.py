"""Knowledge for characters: documents in, cited passages out.

``ingest`` (bytes or URL → text) → ``chunk`` (heading-aware passages) → ``index`` (per
organization; SQLite FTS5 by default, PostgreSQL full-text via ``open_index("postgresql://…")``)
→ ``KnowledgeIndex.search`` (top-k ``Passage`` with document, heading and position for citations).

    doc = extract_text(pdf_bytes, filename="handbook.pdf")
    index = open_index(settings.home / "knowledge.db")
    index.add(org_id, doc_id, doc.title, chunk_text(doc.text))
    index.search(org_id, "how many vacation days?", k=4)
"""

from kinema.knowledge.chunk import Chunk, chunk_text
from kinema.knowledge.index import KnowledgeIndex, Passage, SqliteIndex, open_index
from kinema.knowledge.ingest import ExtractedDocument, extract_text, fetch_document

__all__ = [
    "Chunk",
    "ExtractedDocument",
    "KnowledgeIndex",
    "Passage",
    "SqliteIndex",
    "chunk_text",
    "extract_text",
    "fetch_document",
    "open_index",
]

"""Typed errors for documents the knowledge base cannot use.

All are ``InvalidInput`` (HTTP 400) so the API maps them without knowing about documents; each
message says what was wrong and what the user can do instead.
"""

from __future__ import annotations

from kinema.errors import InvalidInput


class InvalidDocument(InvalidInput):
    """A document is corrupt or cannot be read."""


class UnsupportedDocument(InvalidDocument):
    """The file type is not one we extract text from (txt, md, pdf, docx, html)."""


class EmptyDocument(InvalidDocument):
    """The file is empty or holds no text after extraction."""


class EncryptedDocument(InvalidDocument):
    """The PDF is password-protected; we cannot read it without the password."""


class NoTextInDocument(InvalidDocument):
    """The PDF has pages but no text layer (scanned or image-only); OCR is not offered."""


class DocumentTooLarge(InvalidDocument):
    """The file is over ``settings.max_document_bytes``."""

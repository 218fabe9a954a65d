"""Shared helpers: the organization's knowledge index, signed file URLs, timestamps."""

from __future__ import annotations

from datetime import datetime

from kinema.config import Settings
from kinema.knowledge.index import KnowledgeIndex, shared_index
from kinema.platform.storage import sign_path
from kinema.platform.tasks import as_utc


def index_url(settings: Settings) -> str:
    """PostgreSQL full-text search when the database is PostgreSQL, else FTS5 beside it."""
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        return url.replace("+psycopg", "")
    return str(settings.home / "knowledge.sqlite")


def get_index(settings: Settings) -> KnowledgeIndex:
    """The knowledge index (opened once per process and URL)."""
    url = index_url(settings)
    if not url.startswith("postgresql"):
        settings.home.mkdir(parents=True, exist_ok=True)
    return shared_index(url)


def signed_url(key: str | None, base: str, settings: Settings) -> str | None:
    """An expiring URL under which kinema serves the stored file ``key``."""
    if not key:
        return None
    path = sign_path(key, secret=settings.resolved_secret_key(), ttl=settings.output_url_ttl)
    return base.rstrip("/") + path


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    dt = as_utc(dt)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"

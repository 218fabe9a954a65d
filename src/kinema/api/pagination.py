"""Runway's cursor pages: ``?limit=&cursor=`` in, ``{"data": [...], "nextCursor": ...}`` out.

The cursor is an opaque offset; good enough for lists ordered by creation time.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from kinema.errors import InvalidInput

T = TypeVar("T")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(cursor.encode()).decode()))
    except ValueError:
        raise InvalidInput("Invalid parameter 'cursor'.", field="cursor") from None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def page(
    items: Sequence[T],
    *,
    limit: int,
    offset: int,
    render: Callable[[T], Any] = lambda x: x,
    has_more: bool | None = None,
) -> dict:
    more = len(items) > limit if has_more is None else has_more
    return {
        "data": [render(i) for i in items[:limit]],
        "nextCursor": encode_cursor(offset + limit) if more else None,
    }


def paginate(
    session: Session,
    stmt: Select,
    *,
    limit: int,
    cursor: str | None,
    render: Callable[[Any], Any] = lambda x: x,
) -> dict:
    """Run ``stmt`` (already ordered) for one page; ``limit`` must be 1..100."""
    if not 1 <= limit <= 100:
        raise InvalidInput("Invalid parameter 'limit': must be from 1 to 100.", field="limit")
    offset = decode_cursor(cursor)
    rows = session.scalars(stmt.offset(offset).limit(limit + 1)).all()
    return page(rows, limit=limit, offset=offset, render=render)

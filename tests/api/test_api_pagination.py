"""The shared cursor-page helper other routers use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kinema.errors import InvalidInput
from kinema.platform import accounts, db
from kinema.platform.models import Organization


def test_paginate_walks_all_rows_once(settings):
    from kinema.api.pagination import paginate

    with db.session_scope(settings) as s:
        for n in range(7):
            accounts.create_org(s, f"org{n}", credits=0)
    seen, cursor, pages = [], None, 0
    with db.session_scope(settings) as s:
        stmt = select(Organization).order_by(Organization.name)
        while True:
            page = paginate(s, stmt, limit=3, cursor=cursor, render=lambda o: o.name)
            seen += page["data"]
            pages += 1
            cursor = page["nextCursor"]
            if not cursor:
                break
        assert seen == [f"org{n}" for n in range(7)] and pages == 3
        with pytest.raises(InvalidInput, match="limit"):
            paginate(s, stmt, limit=0, cursor=None)
        with pytest.raises(InvalidInput, match="cursor"):
            paginate(s, stmt, limit=3, cursor="!!")

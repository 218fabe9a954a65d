"""Organizations, API keys and credits.

Keys look like Runway's (``key_`` + 128 hex). Only a SHA-256 of a key is stored; the key itself
is shown once. Credits move only through ``_move`` — one conditional UPDATE plus a ledger row in
the caller's transaction — so balances stay exact with many processes at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinema.errors import InsufficientCredits, NotFound, Unauthorized
from kinema.platform.models import ApiKey, CreditEntry, Organization, utcnow

KEY_PREFIX = "key_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_hex(64)


@dataclass(frozen=True)
class Caller:
    """Who is calling: resolved from a Bearer key, detached from any session."""

    org_id: str
    org_name: str
    key_id: str


def create_org(session: Session, name: str, *, credits: int) -> Organization:
    if session.scalar(select(Organization).where(Organization.name == name)):
        raise ValueError(f"organization {name!r} already exists")
    org = Organization(name=name, credit_balance=0)
    session.add(org)
    session.flush()
    if credits:
        _move(session, org.id, credits, "grant")
    return org


def find_org(session: Session, name_or_id: str) -> Organization:
    org = session.get(Organization, name_or_id) or session.scalar(
        select(Organization).where(Organization.name == name_or_id)
    )
    if org is None:
        raise NotFound(f"organization {name_or_id!r} not found")
    return org


def create_key(session: Session, org_id: str, name: str = "") -> tuple[ApiKey, str]:
    """A new key for ``org_id``; returns the row and the plain key (shown once, never stored)."""
    plain = generate_key()
    row = ApiKey(org_id=org_id, name=name, prefix=plain[:12], key_hash=hash_key(plain))
    session.add(row)
    session.flush()
    return row, plain


def revoke_key(session: Session, key_id_or_prefix: str) -> ApiKey:
    rows = session.scalars(
        select(ApiKey).where(
            (ApiKey.id == key_id_or_prefix) | (ApiKey.prefix == key_id_or_prefix[:12])
        )
    ).all()
    if key_id_or_prefix.startswith(KEY_PREFIX) and len(key_id_or_prefix) > 12:
        rows = [r for r in rows if r.key_hash == hash_key(key_id_or_prefix)] or rows
    if not rows:
        raise NotFound(f"API key {key_id_or_prefix!r} not found")
    if len(rows) > 1:
        raise NotFound(f"{key_id_or_prefix!r} matches {len(rows)} keys; use the key id")
    rows[0].revoked_at = rows[0].revoked_at or utcnow()
    return rows[0]


def authenticate(session: Session, key: str) -> Caller:
    """The caller for a plain key; ``Unauthorized`` when unknown or revoked."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if row is None:
        raise Unauthorized("Invalid API key.")
    if row.revoked_at is not None:
        raise Unauthorized("This API key has been revoked.")
    org = session.get(Organization, row.org_id)
    assert org is not None
    return Caller(org_id=org.id, org_name=org.name, key_id=row.id)


def _move(
    session: Session,
    org_id: str,
    amount: int,
    reason: str,
    *,
    task_id: str | None = None,
    model: str | None = None,
) -> None:
    """Add ``amount`` (may be negative) to the balance; refuse to go below zero on debits."""
    stmt = update(Organization).where(Organization.id == org_id)
    if amount < 0:
        stmt = stmt.where(Organization.credit_balance >= -amount)
    res = session.execute(
        stmt.values(credit_balance=Organization.credit_balance + amount).execution_options(
            synchronize_session=False
        )
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        if session.get(Organization, org_id) is None:
            raise NotFound(f"organization {org_id!r} not found")
        balance = balance_of(session, org_id)
        raise InsufficientCredits(
            f"Not enough credits: this task costs {-amount} credits and the balance is "
            f"{balance}. Add credits with `kinema credits add`."
        )
    session.add(
        CreditEntry(
            org_id=org_id,
            amount=amount,
            reason=reason,
            task_id=task_id,
            model=model,
            created_at=utcnow(),
        )
    )


def add_credits(session: Session, org_id: str, amount: int) -> int:
    _move(session, org_id, amount, "add")
    return balance_of(session, org_id)


def reserve(session: Session, org_id: str, amount: int, *, task_id: str, model: str) -> None:
    if amount > 0:
        _move(session, org_id, -amount, "reserve", task_id=task_id, model=model)


def refund(session: Session, org_id: str, amount: int, *, task_id: str, model: str) -> None:
    if amount > 0:
        _move(session, org_id, amount, "refund", task_id=task_id, model=model)


def balance_of(session: Session, org_id: str) -> int:
    return int(
        session.scalar(
            select(Organization.credit_balance)
            .where(Organization.id == org_id)
            .execution_options(populate_existing=True)
        )
        or 0
    )


def list_keys(session: Session) -> list[tuple[ApiKey, Organization]]:
    rows = session.execute(
        select(ApiKey, Organization)
        .join(Organization, ApiKey.org_id == Organization.id)
        .order_by(ApiKey.created_at)
    ).all()
    return [(k, o) for k, o in rows]


def touch_key(session: Session, key_id: str, when: datetime | None = None) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when or utcnow()))
